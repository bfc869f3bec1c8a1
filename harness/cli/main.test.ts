import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ERROR_CATALOGUE, ERROR_CODES, FleetbedError } from '../../contract/fleetbed-error.ts';
import { SimulatorError } from '../../simulators/errors.ts';
import { EnvironmentError } from '../core/env/errors.ts';
import { EXIT, UsageError } from '../core/errors.ts';
import { FaultError } from '../core/faults/errors.ts';
import { FramingError } from '../core/faults/_internals/chunked.ts';
import { FleetRunError } from '../core/fleet/errors.ts';
import { ScenarioError } from '../core/scenario/errors.ts';
import { ThresholdError } from '../core/thresholds/errors.ts';
import { SuiteError } from '../products/attack/suite.ts';
import { WorldSetupError } from '../products/attack/world.ts';
import { main, renderErrorCatalogue, reportError } from './main.ts';

/** Run the real CLI entry; returns its exit code, stdout lines and what it wrote to stderr. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const lines: string[] = [];
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(argv, (l) => lines.push(l));
    return { code, stdout: lines.join('\n'), stderr };
  } finally {
    spy.mockRestore();
  }
}

/**
 * A TCP server that answers every PostgreSQL startup with a FATAL ErrorResponse of
 * SQLSTATE 28P01 (password authentication failed): a database that refuses at once.
 */
async function refusingPostgres(): Promise<{ server: Server; url: string }> {
  const server = createServer((socket) => {
    socket.once('data', () => {
      const fields = Buffer.from('SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "fleetbed"\0\0', 'latin1');
      const header = Buffer.alloc(5);
      header.write('E', 0, 'latin1');
      header.writeInt32BE(4 + fields.length, 1);
      socket.end(Buffer.concat([header, fields]));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `postgres://fleetbed:wrong@127.0.0.1:${port}/fleetbed` };
}

const savedDatabaseUrl = process.env.DATABASE_URL;
afterEach(() => {
  if (savedDatabaseUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedDatabaseUrl;
});

describe('main: the exit code comes from the error code\'s catalogue entry', () => {
  it('a scenario that does not exist is bad usage: exit 2, the message and the hint', async () => {
    const r = await cli(['run', 'does-not-exist.ts']);
    expect(r.code, r.stderr).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^fleetbed: .*does-not-exist\.ts/);
    expect(r.stderr).not.toMatch(/unexpected error/);
  });

  it('an unknown command is bad usage: exit 2', async () => {
    const r = await cli(['frobnicate']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('fleetbed: unknown command "frobnicate".\nCommands: up, run, attack');
    expect(r.stderr).toMatch(/Commands: [^\n]*\bload\b[^\n]*\bfixtures\b[^\n]*\bimages\b/);
  });

  it('an environment that fails to start is a failure: exit 1, printed with its code (FLEETBED_ENV_START_FAILED)', async () => {
    const pg = await refusingPostgres();
    try {
      process.env.DATABASE_URL = pg.url;
      const r = await cli(['up', '--env', 'url']);
      expect(r.code, r.stderr).toBe(EXIT.failed);
      expect(r.stderr).toMatch(/^fleetbed: \[FLEETBED_ENV_START_FAILED\] PostgreSQL at .* refused the connection: .*28P01/);
    } finally {
      pg.server.close();
    }
  }, 30_000);
});

describe('reportError', () => {
  const report = (err: unknown) => {
    let text = '';
    const code = reportError(err, (t) => (text += t));
    return { code, text };
  };

  it('prints a usage error as its message and hint, exit 2', () => {
    expect(report(new UsageError('--devices must be an integer from 1 to 1000000, got "many".', 'Run "fleetbed run --help".'))).toEqual({
      code: 2,
      text: 'fleetbed: --devices must be an integer from 1 to 1000000, got "many".\nRun "fleetbed run --help".\n',
    });
  });

  it('prints another FleetbedError as [code] message, with its catalogue exit code', () => {
    expect(report(new EnvironmentError('FLEETBED_ENV_TIMEOUT', 'Timed out after 300 ms waiting for GET /readyz'))).toEqual({ code: 1, text: 'fleetbed: [FLEETBED_ENV_TIMEOUT] Timed out after 300 ms waiting for GET /readyz\n' });
    expect(report(new SimulatorError('FLEETBED_SEED_INVALID', 'seed must be an integer in [0, 2^53), got -1.'))).toEqual({ code: 2, text: 'fleetbed: [FLEETBED_SEED_INVALID] seed must be an integer in [0, 2^53), got -1.\n' });
    // The catalogue, not the name: this one ends in _INVALID and is a failure (the old suffix rule said 2).
    expect(report(new SimulatorError('FLEETBED_FLEET_TIME_INVALID', 'cannot step to 4294967296')).code).toBe(1);
  });

  it('prints anything else as unexpected, with its stack, exit 1', () => {
    const error = new TypeError('x is not a function');
    const r = report(error);
    expect(r.code).toBe(1);
    expect(r.text).toBe(`fleetbed: unexpected error: ${error.stack}\n`);
    expect(report(Object.assign(new Error('duck'), { code: 'FLEETBED_USAGE' })).code).toBe(1);
  });
});

describe('every error class of simulators/ and harness/ shares the one base', () => {
  it('is a FleetbedError whose code is in the catalogue', () => {
    const errors = [
      new UsageError('x'),
      new EnvironmentError('FLEETBED_ENV_NO_DOCKER', 'x'),
      new FaultError('FLEETBED_FAULT_INVALID', 'x'),
      new FramingError('x'),
      new FleetRunError('FLEETBED_FLEET_HTTP_FAILED', 'x'),
      new ScenarioError('x', { file: 'x.ts' }),
      new ThresholdError('p(99)<', 'x'),
      new SimulatorError('FLEETBED_BLE_LINK_FAILED', 'x'),
      new SuiteError('x'),
      new WorldSetupError('x'),
    ];
    for (const error of errors) {
      expect(error, error.name).toBeInstanceOf(FleetbedError);
      expect(ERROR_CODES, error.name).toContain(error.code);
    }
    expect(new SuiteError('x').code).toBe('FLEETBED_ATTACK_SUITE_INVALID');
    expect(new WorldSetupError('x').code).toBe('FLEETBED_ATTACK_SETUP_FAILED');
    expect(new FramingError('x').code).toBe('FLEETBED_FAULT_FRAMING');
  });
});

describe('fleetbed help errors', () => {
  it('prints the catalogue as a table: every code with its exit code, meaning and fix', async () => {
    const r = await cli(['help', 'errors']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toBe(renderErrorCatalogue());
    const lines = r.stdout.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^CODE +EXIT +MEANING \/ FIX$/));
    // One block per code (blank-line separated), the text column unwrapped.
    const blocks = r.stdout.split('\n\n').map((b) => b.replace(/\s+/g, ' ').trim());
    for (const code of ERROR_CODES) {
      const { meaning, exit, fix } = ERROR_CATALOGUE[code];
      const row = blocks.filter((b) => b.startsWith(`${code} `));
      expect(row, code).toHaveLength(1);
      expect(row[0]).toBe(`${code} ${EXIT[exit]} ${exit} ${meaning.replace(/\s+/g, ' ')} Fix: ${fix.replace(/\s+/g, ' ')}`);
    }
    expect(lines.every((l) => l.length <= 100), 'lines fit 100 columns').toBe(true);
  });

  it('is named in the top-level help', async () => {
    expect((await cli(['--help'])).stdout).toContain('fleetbed help errors');
  });
});
