import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.ts';
import { choiceFlag, devicesFlag, intFlag, parseFlags, seedFlag } from './flags.ts';

/** The UsageError `fn` throws (fails the test when it throws nothing or something else). */
function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('parseFlags', () => {
  const options = { workers: { type: 'string' }, quiet: { type: 'boolean' } } as const;

  it('parses the declared flags', () => {
    expect(parseFlags(['--workers', '3', '--quiet'], options).values).toEqual({ workers: '3', quiet: true });
  });

  it("turns node's errors into a UsageError with the caller's hint, without node's advice on positionals", () => {
    const e = usageError(() => parseFlags(['--bogus'], options, { hint: 'Run "x --help".' }));
    expect(e.message).toBe("Unknown option '--bogus'");
    expect(e.hint).toBe('Run "x --help".');
  });

  it('refuses positionals unless allowed', () => {
    usageError(() => parseFlags(['file'], options));
    expect(parseFlags(['file'], options, { allowPositionals: true }).positionals).toEqual(['file']);
  });
});

describe('value helpers', () => {
  it('intFlag: digits and underscores within bounds; the message names flag, value and range', () => {
    expect(intFlag('workers', '10_000', 1)).toBe(10_000);
    expect(intFlag('workers', undefined, 1)).toBeUndefined();
    expect(usageError(() => intFlag('workers', '65', 1, 64)).message).toBe('--workers must be an integer from 1 to 64, got "65".');
    expect(usageError(() => intFlag('chunk', '-1', 1)).message).toBe('--chunk must be an integer of at least 1, got "-1".');
  });

  it('choiceFlag lists the allowed values', () => {
    expect(choiceFlag('env', 'url', ['embedded', 'url'])).toBe('url');
    expect(usageError(() => choiceFlag('env', 'docker', ['embedded', 'url'])).message).toBe('--env must be one of embedded, url, got "docker".');
  });

  it("devicesFlag reads sizes as the scenario's --devices does, and names the flag it was given for", () => {
    expect(devicesFlag('e2e-devices', '10k')).toBe(10_000);
    expect(devicesFlag('e2e-devices', '1M')).toBe(1_000_000);
    expect(usageError(() => devicesFlag('e2e-devices', '0')).message).toBe('--e2e-devices must be an integer from 1 to 1000000 (e.g. 500, 10k, 1m), got "0".');
  });

  it('seedFlag gives canonical decimal text, and names the flag', () => {
    expect(seedFlag('seed', '0xff')).toBe('255');
    expect(usageError(() => seedFlag('rollout-seed', '-3')).message).toMatch(/^--rollout-seed must be an unsigned 64-bit integer.*, got "-3"\.$/);
  });
});
