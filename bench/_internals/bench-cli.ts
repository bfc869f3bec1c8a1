import { EXIT, UsageError } from '../../harness/core/errors.ts';
import { parseFlags, type FlagOptions } from '../../harness/core/flags.ts';
import type { Flag } from './bench-flags.ts';

export { flag, type Flag } from './bench-flags.ts';

/** A bench's flags by name (without the leading `--`; `help` is taken). */
export type BenchFlags = Record<string, Flag<unknown>>;

/** What a bench is and which flags it takes: its `--help` is generated from this. */
export interface BenchSpec<F extends BenchFlags> {
  /** The npm script's suffix: `fleet` for `npm run bench:fleet`. */
  name: string;
  /** The npm script, when it is not `bench:<name>` (e.g. `soak`). */
  script?: string;
  /** What it measures, in one line. */
  purpose: string;
  /** More about it for the help (what it prints, exit codes); optional. */
  about?: string;
  flags: F;
}

/** The values a bench gets: each flag's value, by the flag's name. */
export type BenchValues<F extends BenchFlags> = { [K in keyof F]: F[K] extends Flag<infer T> ? T : never };

/** What {@link parseBenchArgs} found: a request for the help, or the values. */
export type BenchArgs<F extends BenchFlags> = { help: true } | { help: false; values: BenchValues<F> };

/** Where {@link benchCli} writes and how it exits (the process's, unless a test passes its own). */
export interface BenchIo {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): never;
}

const PROCESS_IO: BenchIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/** The npm script a spec is run by. */
function scriptOf(spec: { name: string; script?: string }): string {
  return spec.script ?? `bench:${spec.name}`;
}

/** `Run "npm run bench:NAME -- --help" …`: the line under every usage error. */
function helpHint(script: string): string {
  return `Run "npm run ${script} -- --help" for the flags it takes.`;
}

/** The `--help` text: purpose, usage line, about, then every flag with its placeholder, description and default. */
export function benchUsage<F extends BenchFlags>(spec: BenchSpec<F>): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const notes = [f.repeatable ? 'repeatable' : undefined, f.defaultText === undefined ? undefined : `default ${f.defaultText}`].filter((n) => n !== undefined);
    return [f.placeholder === undefined ? `--${name}` : `--${name} ${f.placeholder}`, notes.length ? `${f.description} (${notes.join(', ')})` : f.description] as const;
  });
  rows.push(['-h, --help', 'this text']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    `${scriptOf(spec)} — ${spec.purpose}`,
    '',
    `Usage: npm run ${scriptOf(spec)} -- [options]`,
    ...(spec.about ? ['', spec.about.trim()] : []),
    '',
    'Options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    '',
  ].join('\n');
}

/** Parse `argv` strictly against the spec. Throws {@link UsageError} naming the flag and the value. */
export function parseBenchArgs<F extends BenchFlags>(spec: BenchSpec<F>, argv: string[]): BenchArgs<F> {
  if ('help' in spec.flags) throw new Error(`bench:${spec.name} declares a flag "help": --help is every bench's own`);
  const options: FlagOptions = { help: { type: 'boolean', short: 'h' } };
  for (const [name, f] of Object.entries(spec.flags)) options[name] = { type: f.placeholder === undefined ? 'boolean' : 'string', multiple: f.repeatable };
  const { values: given } = parseFlags(argv, options);
  if (given.help) return { help: true };
  const values: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    const raw = given[name];
    const texts = raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map((v) => (typeof v === 'string' ? v : ''));
    values[name] = f.read(texts, name);
  }
  return { help: false, values: values as BenchValues<F> };
}

/**
 * A bench's command line, read the one way every bench reads it. Returns the values;
 * `--help` / `-h` prints {@link benchUsage} to stdout and exits 0; an unknown flag or a bad
 * value prints `bench:NAME: <what was wrong>` and {@link helpHint} to stderr and exits 2.
 */
export function benchCli<F extends BenchFlags>(spec: BenchSpec<F>, argv: string[] = process.argv.slice(2), io: BenchIo = PROCESS_IO): BenchValues<F> {
  let args: BenchArgs<F>;
  try {
    args = parseBenchArgs(spec, argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`${scriptOf(spec)}: ${err.message}\n${helpHint(scriptOf(spec))}\n`);
    return io.exit(EXIT.usage);
  }
  if (args.help) {
    io.out(benchUsage(spec));
    return io.exit(EXIT.ok);
  }
  return args.values;
}
