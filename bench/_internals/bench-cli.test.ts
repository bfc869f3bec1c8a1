import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePgSet } from '../pg-stats.ts';
import { benchCli, flag, type BenchIo } from './bench-cli.ts';

const ROOT = new URL('../../', import.meta.url);

const SPEC = {
  name: 'demo',
  purpose: 'a bench that measures nothing',
  about: 'What it prints goes here.',
  flags: {
    devices: flag.devices('devices in the fleet', { default: 10_000 }),
    seed: flag.int('root seed', { default: 1, placeholder: 'S' }),
    'probe-ms': flag.int('time per probe', { default: 1000, min: 50, max: 60_000 }),
    levels: flag.ints('concurrency levels', { default: [4, 8, 16], min: 1 }),
    'key-cache': flag.int('keys per process', { min: 1, placeholder: 'K' }),
    'rollout-seed': flag.seed('seed of the rollout', { default: '4242' }),
    quiet: flag.switch('no progress lines'),
    'pg-set': flag.repeatable('a PostgreSQL setting', { placeholder: 'name=val', parse: parsePgSet }),
  },
};

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** benchCli on `argv` with its output captured and its exit turned into a result. */
function run(argv: string[]) {
  const io = { stdout: '', stderr: '' };
  const sink: BenchIo = {
    out: (t) => void (io.stdout += t),
    err: (t) => void (io.stderr += t),
    exit: (code) => {
      throw new Exit(code);
    },
  };
  try {
    return { ...io, code: undefined, values: benchCli(SPEC, argv, sink) };
  } catch (err) {
    if (err instanceof Exit) return { ...io, code: err.code, values: undefined };
    throw err;
  }
}

const HINT = 'Run "npm run bench:demo -- --help" for the flags it takes.\n';

describe('benchCli: --help', () => {
  it.each([['--help'], ['-h']])('%s prints the usage to stdout and exits 0', (arg) => {
    const r = run([arg]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('bench:demo — a bench that measures nothing\n\nUsage: npm run bench:demo -- [options]\n\nWhat it prints goes here.\n');
  });

  it('lists every flag with its value, description and default, then --help', () => {
    const lines = run(['--help']).stdout.split('\n');
    const line = (flagName: string) => lines.find((l) => l.startsWith(`  ${flagName} `)) ?? `(no line for ${flagName})`;
    expect(line('--devices')).toMatch(/^ {2}--devices N +devices in the fleet \(default 10000\)$/);
    expect(line('--seed')).toMatch(/^ {2}--seed S +root seed \(default 1\)$/);
    expect(line('--probe-ms')).toMatch(/^ {2}--probe-ms N +time per probe \(default 1000\)$/);
    expect(line('--levels')).toMatch(/^ {2}--levels N,N,… +concurrency levels \(default 4,8,16\)$/);
    expect(line('--key-cache')).toMatch(/^ {2}--key-cache K +keys per process$/);
    expect(line('--rollout-seed')).toMatch(/^ {2}--rollout-seed S +seed of the rollout \(default 4242\)$/);
    expect(line('--quiet')).toMatch(/^ {2}--quiet +no progress lines$/);
    expect(line('--pg-set')).toMatch(/^ {2}--pg-set name=val +a PostgreSQL setting \(repeatable\)$/);
    expect(line('-h,')).toMatch(/^ {2}-h, --help +this text$/);
    // Descriptions start in one column.
    const columns = new Set(lines.filter((l) => l.startsWith('  -')).map((l) => l.search(/(?<=\S {2,})\S/)));
    expect(columns.size).toBe(1);
  });

  it('is printed even when other values are bad (the help is what a confused user asks for)', () => {
    expect(run(['--probe-ms', '1', '--help']).code).toBe(0);
  });

  it('refuses a bench that declares its own "help" flag', () => {
    expect(() => benchCli({ name: 'x', purpose: 'y', flags: { help: flag.switch('mine') } }, [])).toThrow('bench:x declares a flag "help"');
  });
});

describe('benchCli: values', () => {
  it('gives every default when no flag is given', () => {
    const r = run([]);
    expect(r.code).toBeUndefined();
    expect(r.values).toEqual({ devices: 10_000, seed: 1, 'probe-ms': 1000, levels: [4, 8, 16], 'key-cache': undefined, 'rollout-seed': '4242', quiet: false, 'pg-set': {} });
  });

  it('reads what is given: sizes, lists, seeds, switches; a flag given twice keeps the last', () => {
    const r = run(['--devices', '10k', '--seed', '0', '--levels', '1, 2,3', '--key-cache', '10_000', '--rollout-seed', '0xff', '--quiet', '--probe-ms=50', '--devices', '1m']);
    expect(r.values).toEqual({ devices: 1_000_000, seed: 0, 'probe-ms': 50, levels: [1, 2, 3], 'key-cache': 10_000, 'rollout-seed': '255', quiet: true, 'pg-set': {} });
  });

  it('collects a repeatable flag from every occurrence, in order', () => {
    const r = run(['--pg-set', 'shared_buffers=4GB', '--pg-set', 'work_mem=64MB', '--pg-set', 'shared_buffers=6GB']);
    expect(r.values?.['pg-set']).toEqual({ shared_buffers: '6GB', work_mem: '64MB' });
  });
});

describe('benchCli: --shard I/N, as every fleetbed command reads it', () => {
  const spec = { name: 'demo', purpose: 'p', flags: { shard: flag.shard("drive only the I-th of N slices of the fleet's households") } };
  const sink = (io: { stderr: string }): BenchIo => ({ out: () => {}, err: (t) => void (io.stderr += t), exit: (code) => { throw new Exit(code); } });

  it('is shown as --shard I/N, absent is undefined, and 2/3 is the 2nd of 3', () => {
    let help = '';
    expect(() => benchCli(spec, ['--help'], { ...sink({ stderr: '' }), out: (t) => void (help += t) })).toThrow('exit 0');
    expect(help).toMatch(/^ {2}--shard I\/N +drive only the I-th of N slices/m);
    expect(benchCli(spec, [], sink({ stderr: '' }))).toEqual({ shard: undefined });
    expect(benchCli(spec, ['--shard', '2/3'], sink({ stderr: '' }))).toEqual({ shard: { index: 2, count: 3 } });
  });

  it.each([['3/2'], ['0/2'], ['2'], ['1/5000']])('refuses %s with the form and exit 2', (value) => {
    const io = { stderr: '' };
    expect(() => benchCli(spec, ['--shard', value], sink(io))).toThrow('exit 2');
    expect(io.stderr).toContain(`bench:demo: --shard must be i/n with 1 ≤ i ≤ n ≤ 4096 (the i-th of n slices of the fleet's households), got "${value}".`);
  });
});

describe('benchCli: bad usage exits 2 with the bench, what was wrong and the --help hint on stderr', () => {
  it.each([
    [['--probe-ms', '10'], '--probe-ms must be an integer from 50 to 60000, got "10".'],
    [['--probe-ms', '1.5'], '--probe-ms must be an integer from 50 to 60000, got "1.5".'],
    [['--seed', 'one'], '--seed must be an integer of at least 0, got "one".'],
    [['--key-cache', '0'], '--key-cache must be an integer of at least 1, got "0".'],
    [['--devices', '2m'], '--devices must be an integer from 1 to 1000000 (e.g. 500, 10k, 1m), got "2m".'],
    [['--levels', '4,,8'], '--levels must be a comma-separated list, each an integer of at least 1, got "4,,8".'],
    [['--rollout-seed', '0x1g'], '--rollout-seed must be an unsigned 64-bit integer'],
    [['--pg-set', 'shared_buffers'], '--pg-set takes name=value (a PostgreSQL setting, e.g. shared_buffers=4GB), got "shared_buffers"'],
  ])('%j', (argv, message) => {
    const r = run(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(`bench:demo: ${message}`)).toBe(true);
    expect(r.stderr.endsWith(`\n${HINT}`)).toBe(true);
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--devices'], "Option '--devices <value>' argument missing"],
    [['--quiet=yes'], "Option '--quiet' does not take an argument"],
    [['extra'], "Unexpected argument 'extra'. This command does not take positional arguments"],
  ])('%j: %s', (argv, message) => {
    const r = run(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`bench:demo: ${message}\n${HINT}`);
  });
});

/** Every `bench:NAME` script of package.json and the bench file it runs. */
function benchScripts(): [string, string][] {
  const { scripts } = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { scripts: Record<string, string> };
  return Object.entries(scripts)
    .filter(([name]) => name.startsWith('bench:'))
    .map(([name, command]) => [name.slice('bench:'.length), /\bbench\/[\w-]+\.ts\b/.exec(command)?.[0] ?? `(no bench file in "${command}")`]);
}

function spawnBench(file: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', file, ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

describe('every bench script reads its flags with benchCli', () => {
  it('package.json has the benches', () => {
    expect(benchScripts().map(([name]) => name)).toEqual(expect.arrayContaining(['provision', 'ingest', 'fleet', 'host', 'ota', 'ota-health']));
  });

  it.each(benchScripts())('bench:%s (%s): --help exits 0 naming the bench; an unknown flag exits 2 before anything starts', async (name, file) => {
    const [help, bad] = await Promise.all([spawnBench(file, ['--help']), spawnBench(file, ['--no-such-flag'])]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain(`Usage: npm run bench:${name} -- [options]\n`);
    expect(help.stdout).toMatch(/\n {2}-h, --help +this text\n/);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(`bench:${name}: Unknown option '--no-such-flag'\nRun "npm run bench:${name} -- --help" for the flags it takes.\n`);
  });
});
