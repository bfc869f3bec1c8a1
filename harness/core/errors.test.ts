import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ERROR_CODES, FleetbedError, isFleetbedError, type ErrorCode } from '../../contract/fleetbed-error.ts';
import { EnvironmentError } from './env/errors.ts';
import { EXIT, exitCodeFor, UsageError } from './errors.ts';
import { ScenarioError } from './scenario/errors.ts';
import { ThresholdError } from './thresholds/errors.ts';

describe('exitCodeFor: the exit code is the catalogue entry\'s exit class', () => {
  it('maps usage-class codes to 2 and failed-class codes to 1', () => {
    expect(exitCodeFor(new UsageError('unknown flag --bogus'))).toBe(2);
    expect(exitCodeFor(ScenarioError.field('s.json', 'fleet.devices', 'an integer from 1 to 1000000', -5))).toBe(2);
    expect(exitCodeFor(new ThresholdError('p(99)<', 'expected a number after "<"'))).toBe(2);
    expect(exitCodeFor(new EnvironmentError('FLEETBED_ENV_BAD_CONFIG', 'bad --env'))).toBe(2);
    expect(exitCodeFor(new EnvironmentError('FLEETBED_ENV_START_FAILED', 'the API exited'))).toBe(1);
    expect(exitCodeFor(new EnvironmentError('FLEETBED_ENV_NO_DOCKER', 'no Docker engine'))).toBe(1);
    // Ends in _INVALID, but is not bad usage: the old suffix rule said 2.
    expect(exitCodeFor(new FleetbedError('FLEETBED_FLEET_TIME_INVALID', 'virtual time past u32'))).toBe(1);
  });

  it('follows the catalogue for every code', () => {
    const expected = { usage: EXIT.usage, failed: EXIT.failed } as const;
    for (const code of ERROR_CODES) expect(exitCodeFor(new FleetbedError(code, 'x')), code).toBe(expected[ERROR_CATALOGUE[code].exit]);
    expect(new Set(ERROR_CODES.map((c) => exitCodeFor(new FleetbedError(c, 'x'))))).toEqual(new Set([1, 2]));
  });

  it('gives 1 to anything that is not a FleetbedError, a look-alike with a usage code included', () => {
    expect(exitCodeFor(new Error('boom'))).toBe(1);
    expect(exitCodeFor(Object.assign(new Error('look-alike'), { code: 'FLEETBED_USAGE' }))).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
    expect(exitCodeFor(undefined)).toBe(1);
  });
});

describe('UsageError', () => {
  it('is a FleetbedError with code FLEETBED_USAGE, keeping its hint', () => {
    const error = new UsageError('--devices must be an integer from 1 to 1000000, got "many".', 'Run "fleetbed run --help".');
    expect(error).toBeInstanceOf(FleetbedError);
    expect(error).toBeInstanceOf(Error);
    expect(isFleetbedError(error, 'FLEETBED_USAGE')).toBe(true);
    expect(error.code).toBe('FLEETBED_USAGE');
    expect(error.name).toBe('UsageError');
    expect(error.hint).toBe('Run "fleetbed run --help".');
    expect(new UsageError('x').hint).toBeUndefined();
    expect(ERROR_CATALOGUE[error.code].exit).toBe('usage');
  });
});

describe('FleetbedError codes are checked by the compiler', () => {
  it('refuses a code that is not in the catalogue (npx tsc fails if it stops refusing)', () => {
    // @ts-expect-error — not a catalogue code
    const wrong = new FleetbedError('FLEETBED_NOT_A_CODE', 'x');
    const code: ErrorCode = 'FLEETBED_USAGE';
    expect(isFleetbedError(wrong, code)).toBe(false);
    // @ts-expect-error — EnvironmentError takes only its own codes
    expect(new EnvironmentError('FLEETBED_USAGE', 'x').code).toBe('FLEETBED_USAGE');
  });
});
