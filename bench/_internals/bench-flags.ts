import { UsageError } from '../../harness/core/errors.ts';
import { devicesFlag, integerRange, intFlag, seedFlag, shardFlag, type ShardFlag } from '../../harness/core/flags.ts';

/**
 * One flag of a bench: how the help shows it and how its text becomes a value.
 * Make one with {@link flag}; `T` is the value the bench gets.
 */
export interface Flag<T> {
  /** What the flag sets, for the help (one line). */
  readonly description: string;
  /** What its value looks like in the help (`N`, `name=val`); undefined for a switch, which takes no value. */
  readonly placeholder: string | undefined;
  /** May be given more than once; every value is kept, in order. */
  readonly repeatable: boolean;
  /** The default as the help prints it; undefined when there is none to print. */
  readonly defaultText: string | undefined;
  /**
   * The value from what the command line gave: the text of each occurrence, in order
   * (at most one unless repeatable; `''` for a switch), `[]` when the flag is absent.
   * Throws a UsageError naming `--name` and the bad value.
   */
  readonly read: (given: readonly string[], name: string) => T;
}

interface IntOptions {
  min?: number;
  max?: number;
  placeholder?: string;
}

/** The flag a constructor returns: its value is `T` with a default `D`, and `T | undefined` (absent) without one. */
type Defaulted<T, D> = D extends undefined ? Flag<T | undefined> : Flag<T>;

/** A flag that takes one value (the last one given wins); `absent` when it is not given. */
function valueFlag<T>(description: string, placeholder: string, defaultText: string | undefined, read: (text: string, name: string) => T, absent: T | undefined): Flag<T | undefined> {
  return { description, placeholder, repeatable: false, defaultText, read: (given, name) => (given.length === 0 ? absent : read(given.at(-1)!, name)) };
}

/** The flag kinds a bench can declare. */
export const flag = {
  /** A switch: false unless given. */
  switch(description: string): Flag<boolean> {
    return { description, placeholder: undefined, repeatable: false, defaultText: undefined, read: (given) => given.length > 0 };
  },

  /** An integer from `min` (default 0) to `max`; `10_000` is accepted. Without a default the value is undefined when absent. */
  int<D extends number | undefined = undefined>(description: string, options: IntOptions & { default?: D } = {}): Defaulted<number, D> {
    const { min = 0, max = Number.MAX_SAFE_INTEGER, placeholder = 'N' } = options;
    return valueFlag<number>(description, placeholder, options.default?.toString(), (text, name) => intFlag(name, text, min, max)!, options.default) as Defaulted<number, D>;
  },

  /** A device count as every fleetbed command reads it: `500`, `10_000`, `10k`, `1m` (1 to the scenario maximum). */
  devices<D extends number | undefined = undefined>(description: string, options: { default?: D; placeholder?: string } = {}): Defaulted<number, D> {
    return valueFlag<number>(description, options.placeholder ?? 'N', options.default?.toString(), (text, name) => devicesFlag(name, text)!, options.default) as Defaulted<number, D>;
  },

  /** A u64 seed (decimal or 0x-hex), as canonical decimal text. */
  seed<D extends string | undefined = undefined>(description: string, options: { default?: D; placeholder?: string } = {}): Defaulted<string, D> {
    return valueFlag<string>(description, options.placeholder ?? 'S', options.default, (text, name) => seedFlag(name, text)!, options.default) as Defaulted<string, D>;
  },

  /** A shard `I/N` as every fleetbed command reads it (`--shard 2/3`: the 2nd of 3 slices); undefined when absent. */
  shard(description: string): Flag<ShardFlag | undefined> {
    return valueFlag<ShardFlag>(description, 'I/N', undefined, (text) => shardFlag(text)!, undefined);
  },

  /** Integers separated by commas (`4,8,16`), each from `min` (default 0) to `max`. */
  ints<D extends readonly number[] | undefined = undefined>(description: string, options: IntOptions & { default?: D } = {}): Defaulted<number[], D> {
    const { min = 0, max = Number.MAX_SAFE_INTEGER, placeholder = 'N,N,…' } = options;
    const read = (text: string, name: string): number[] => {
      try {
        return text.split(',').map((part) => intFlag(name, part.trim(), min, max)!);
      } catch {
        throw new UsageError(`--${name} must be a comma-separated list, each ${integerRange(min, max)}, got ${JSON.stringify(text)}.`);
      }
    };
    return valueFlag<number[]>(description, placeholder, options.default?.join(','), read, options.default === undefined ? undefined : [...options.default]) as Defaulted<number[], D>;
  },

  /**
   * A flag given any number of times; `parse` turns every value, in order, into what the
   * bench gets (it is called with `[]` when the flag is absent). An Error thrown by `parse`
   * is bad usage: its message is shown as it is, so it should name the flag.
   */
  repeatable<T>(description: string, options: { placeholder: string; parse: (values: readonly string[]) => T }): Flag<T> {
    return {
      description,
      placeholder: options.placeholder,
      repeatable: true,
      defaultText: undefined,
      read: (given) => {
        try {
          return options.parse(given);
        } catch (err) {
          if (err instanceof UsageError) throw err;
          throw new UsageError((err as Error).message);
        }
      },
    };
  },
};
