import { parseFlags, type FlagOptions } from '../core/flags.ts';

export { EXIT, UsageError } from '../core/errors.ts';
export { choiceFlag, intFlag, shardFlag } from '../core/flags.ts';

/**
 * Parse a fleetbed command's `argv` strictly: an unknown flag or a missing value is a
 * UsageError that names the flag and points at `fleetbed <command> --help`.
 */
export function parseCommandArgs<O extends FlagOptions>(command: string, argv: string[], options: O, allowPositionals = false) {
  return parseFlags(argv, options, { allowPositionals, hint: `Run "fleetbed ${command} --help" for the flags it takes.` });
}
