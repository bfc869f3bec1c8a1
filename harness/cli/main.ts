import { readFileSync } from 'node:fs';
import { up, UP_HELP } from './commands/up.ts';
import { run, RUN_HELP } from './commands/run.ts';
import { attack, ATTACK_HELP } from './commands/attack.ts';
import { load, LOAD_HELP } from './commands/load.ts';
import { fixtures, FIXTURES_HELP } from './commands/fixtures.ts';
import { images, IMAGES_HELP } from './commands/images.ts';
import { k6, K6_HELP } from './commands/k6.ts';
import { merge, MERGE_HELP } from './commands/merge.ts';
import { ERROR_CATALOGUE, ERROR_CODES, EXIT_CLASSES, isFleetbedError } from '../../contract/fleetbed-error.ts';
import { exitCodeFor } from '../core/errors.ts';
import { EXIT, UsageError } from './usage.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const HELP = `fleetbed ${pkg.version} — a reproducible fleet testbed for connected-device platforms

Usage: fleetbed <command> [options]

Commands:
  up        start PostgreSQL + the reference API (embedded by default) and keep them running
  run       run scenario suites and check the invariants: fleetbed run scenarios/ci
  attack    play a forged phone against the platform: fleetbed attack scenarios/security
  load      play a load plan as an open model and measure capacity: fleetbed load scenarios/load/fleet-day.ts
  merge     add the reports of a sharded run into one: fleetbed merge out/shard-1 out/shard-2
  fixtures  cached provisioned, bonded fleets: fleetbed fixtures list | build | prune
  images    build the container images without a registry: fleetbed images build
  k6        hand a load plan to k6 / k6-operator: fleetbed k6 export scenarios/load/smoke.ts --out DIR
  help      show help for a command: fleetbed help up; every error code: fleetbed help errors

Options:
  -h, --help       show this help (or a command's: fleetbed up --help)
  -v, --version    print the version

Exit codes: 0 success, 1 a check failed, 2 bad usage. Errors: fleetbed help errors
lists every FLEETBED_* code, its exit code and the fix.
Docs: README.md — environments, scenario suites, reports.
`;

const COMMANDS: Record<string, { run: (argv: string[], out: (l: string) => void) => Promise<number>; help: string }> = {
  up: { run: up, help: UP_HELP },
  run: { run, help: RUN_HELP },
  attack: { run: attack, help: ATTACK_HELP },
  load: { run: load, help: LOAD_HELP },
  fixtures: { run: fixtures, help: FIXTURES_HELP },
  images: { run: images, help: IMAGES_HELP },
  k6: { run: k6, help: K6_HELP },
  merge: { run: merge, help: MERGE_HELP },
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
      out(topic === 'errors' ? renderErrorCatalogue() : topic && COMMANDS[topic] ? COMMANDS[topic].help : HELP);
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

/**
 * Print `err` to stderr and return the exit code: `EXIT[ERROR_CATALOGUE[code].exit]` for a
 * FleetbedError (see {@link exitCodeFor}), printed as `fleetbed: [CODE] message` (a
 * UsageError as `fleetbed: message` and its hint); anything else is unexpected: exit 1,
 * printed with its stack.
 */
export function reportError(err: unknown, write: (text: string) => void = (t) => process.stderr.write(t)): number {
  if (err instanceof UsageError) {
    write(`fleetbed: ${err.message}\n${err.hint ? err.hint + '\n' : ''}`);
    return exitCodeFor(err);
  }
  if (isFleetbedError(err)) {
    write(`fleetbed: [${err.code}] ${err.message}\n`);
    return exitCodeFor(err);
  }
  write(`fleetbed: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.failed;
}

/** Wrap `text` into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The error catalogue (contract/error-codes.ts) as the table `fleetbed help errors` prints:
 * one row per code with its exit code, its meaning and the fix, wrapped to `width` columns.
 */
export function renderErrorCatalogue(width = 100): string {
  const codeWidth = Math.max(...ERROR_CODES.map((c) => c.length));
  const exitLabel = (exit: keyof typeof EXIT) => `${EXIT[exit]} ${exit}`;
  const exitWidth = Math.max('EXIT'.length, ...EXIT_CLASSES.map((e) => exitLabel(e).length));
  const indent = codeWidth + 2 + exitWidth + 2;
  const textWidth = Math.max(40, width - indent);
  const rows = [`${'CODE'.padEnd(codeWidth)}  ${'EXIT'.padEnd(exitWidth)}  MEANING / FIX`];
  for (const code of ERROR_CODES) {
    rows.push('');
    const entry = ERROR_CATALOGUE[code];
    const text = [...wrap(entry.meaning, textWidth), ...wrap(`Fix: ${entry.fix}`, textWidth)];
    rows.push(`${code.padEnd(codeWidth)}  ${exitLabel(entry.exit).padEnd(exitWidth)}  ${text[0]}`);
    for (const more of text.slice(1)) rows.push(`${' '.repeat(indent)}${more}`);
  }
  return `fleetbed error codes

Every error fleetbed raises on purpose is printed as "fleetbed: [CODE] message" (bad usage
as the message and a hint); the message gives the specifics, expected vs received. The
exit code comes from the code: 2 usage (fix the command, the options or the scenario;
nothing ran), 1 failed (the environment, the platform, the disk, or a fleetbed bug). Any
other error is unexpected: exit 1, with its stack.

${rows.join('\n')}
`;
}
