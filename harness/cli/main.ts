import { readFileSync } from 'node:fs';
import { up, UP_HELP } from './commands/up.ts';
import { run, RUN_HELP } from './commands/run.ts';
import { attack, ATTACK_HELP } from './commands/attack.ts';
import { EXIT, UsageError } from './usage.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const HELP = `fleetbed ${pkg.version} — a reproducible fleet testbed for connected-device platforms

Usage: fleetbed <command> [options]

Commands:
  up        start PostgreSQL + the reference API (embedded by default) and keep them running
  run       run scenario suites and check the invariants: fleetbed run scenarios/ci
  attack    play a forged phone against the platform: fleetbed attack scenarios/security
  help      show help for a command: fleetbed help up

Options:
  -h, --help       show this help (or a command's: fleetbed up --help)
  -v, --version    print the version

Exit codes: 0 success, 1 a check failed, 2 bad usage.
Docs: README.md — environments, scenario suites, reports.
`;

const COMMANDS: Record<string, { run: (argv: string[], out: (l: string) => void) => Promise<number>; help: string }> = {
  up: { run: up, help: UP_HELP },
  run: { run, help: RUN_HELP },
  attack: { run: attack, help: ATTACK_HELP },
};

/** Run the CLI; returns the exit code. Never calls process.exit (so cleanup handlers run). */
export async function main(argv: string[], out: (line: string) => void = (l) => process.stdout.write(l.endsWith('\n') ? l : l + '\n')): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '-h' || first === '--help') {
      out(HELP);
      return first === undefined ? EXIT.usage : EXIT.ok;
    }
    if (first === '-v' || first === '--version') {
      out(pkg.version);
      return EXIT.ok;
    }
    if (first === 'help') {
      const topic = rest[0];
      out(topic && COMMANDS[topic] ? COMMANDS[topic].help : HELP);
      return EXIT.ok;
    }
    const command = COMMANDS[first];
    if (!command) {
      throw new UsageError(`unknown command ${JSON.stringify(first)}.`, `Commands: ${Object.keys(COMMANDS).join(', ')}. Run "fleetbed --help".`);
    }
    return await command.run(rest, out);
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`fleetbed: ${err.message}\n${err.hint ? err.hint + '\n' : ''}`);
    return EXIT.usage;
  }
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === 'string' && e.code.startsWith('FLEETBED_')) {
    process.stderr.write(`fleetbed: [${e.code}] ${e.message}\n`);
    return e.code === 'FLEETBED_ENV_BAD_CONFIG' || e.code.endsWith('_INVALID') ? EXIT.usage : EXIT.failed;
  }
  process.stderr.write(`fleetbed: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.failed;
}
