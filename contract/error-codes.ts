/**
 * The catalogue of every `FLEETBED_*` error code the harness, the simulators and the
 * reports raise: what each means, which exit class the CLI gives it, and the fix.
 *
 * It lives in contract/ because simulators/ and reports/ may import only contract/, and
 * {@link FleetbedError} takes its `code` from {@link ErrorCode} (the keys of this
 * catalogue): a code that is not here does not compile. The CLI's exit code for an error
 * is `EXIT[ERROR_CATALOGUE[code].exit]` (harness/core/errors.ts); `fleetbed help errors`
 * prints this table.
 *
 * Adding a code: add its entry here (meaning, exit, fix), then throw it. A code nothing
 * throws any more is removed here too (a test checks both ways).
 *
 * Not here: the reference API's problem codes (reference-api/src/errors.ts, sent over
 * HTTP) and the `FLEETBED_*` environment variables (FLEETBED_FACTORY_SECRET, …).
 */

/**
 * How the CLI treats an error, by the exit code it ends with:
 * - `usage` (exit 2): what was asked for is wrong — a flag, an option, a scenario, a
 *   suite — and is refused before (or instead of) running anything; fix the input.
 * - `failed` (exit 1): what was asked for is fine but running it failed — the
 *   environment, the platform, the disk, or a fleetbed bug.
 */
export type ExitClass = 'usage' | 'failed';

/** The exit classes, in the order `fleetbed help errors` explains them. */
export const EXIT_CLASSES: readonly ExitClass[] = Object.freeze(['usage', 'failed'] as const);

/** One catalogue entry. */
export interface ErrorCodeEntry {
  /** What happened, in one or two sentences. */
  readonly meaning: string;
  /** The exit class the CLI ends with (see {@link ExitClass}). */
  readonly exit: ExitClass;
  /** What to do about it. The error's own message gives the specifics (expected vs received). */
  readonly fix: string;
}

/** Freezes the catalogue and each entry, keeping the literal keys for {@link ErrorCode}. */
function catalogue<const T extends Record<`FLEETBED_${string}`, ErrorCodeEntry>>(entries: T): { readonly [K in keyof T]: ErrorCodeEntry } {
  for (const entry of Object.values(entries)) Object.freeze(entry);
  return Object.freeze(entries) as { readonly [K in keyof T]: ErrorCodeEntry };
}

/** Every `FLEETBED_*` error code, keyed by code. Frozen (entries too). */
export const ERROR_CATALOGUE = catalogue({
  // The command line (harness/core/errors.ts).
  FLEETBED_USAGE: {
    meaning: 'The command line is wrong: an unknown command or flag, a missing or malformed flag value, or a path with nothing to run.',
    exit: 'usage',
    fix: 'Follow the hint printed under the message; `fleetbed <command> --help` lists the flags each command takes.',
  },

  // Environments (harness/core/env).
  FLEETBED_ENV_BAD_CONFIG: {
    meaning: 'An environment option or variable is invalid or missing (an unknown --env, --target-url without FLEETBED_FACTORY_SECRET, a bad URL or timeout); nothing was started.',
    exit: 'usage',
    fix: 'Correct the option the message names; `fleetbed up --help` lists the environments and what each needs.',
  },
  FLEETBED_ENV_NO_DOCKER: {
    meaning: '--env containers was chosen but no Docker engine answers.',
    exit: 'failed',
    fix: 'Start a Docker engine (or set DOCKER_HOST), or use --env embedded (no Docker needed) or --env url.',
  },
  FLEETBED_ENV_TIMEOUT: {
    meaning: 'PostgreSQL or the API did not become ready before its deadline.',
    exit: 'failed',
    fix: 'Check that what the message names is running and reachable (the API must answer GET /readyz with 200); the message quotes the last failure seen.',
  },
  FLEETBED_ENV_START_FAILED: {
    meaning: 'A process or container of the environment failed while starting: the API exited, PostgreSQL refused the credentials, a container did not come up.',
    exit: 'failed',
    fix: 'Read the log or cause quoted in the message; with DATABASE_URL, check its user, password and database name.',
  },

  FLEETBED_ENV_NO_IMAGE: {
    meaning: '--env containers found a Docker engine but neither the public images (no registry answers) nor images built by `fleetbed images build` for the current sources.',
    exit: 'failed',
    fix: 'Run `npx fleetbed images build` (builds PostgreSQL and the API from Debian packages, no registry needed; cached), or name images with FLEETBED_POSTGRES_IMAGE and FLEETBED_API_IMAGE.',
  },
  FLEETBED_ENV_MISSING_PACKAGE: {
    meaning: 'The chosen environment needs an optional package that is not installed (the containers environment needs testcontainers and @testcontainers/postgresql).',
    exit: 'failed',
    fix: 'npm i -D testcontainers@11 @testcontainers/postgresql@11 (or run npm ci without --omit=optional), or pick another environment with --env.',
  },

  // Images without a registry (harness/products/images).
  FLEETBED_IMAGES_BUILD_FAILED: {
    meaning: '`fleetbed images build` failed: no Docker engine, debootstrap missing or not root, the Debian mirror unreachable, or a build or smoke-test step failed.',
    exit: 'failed',
    fix: 'Do what the message says for the step it names (it quotes the step\'s output; the whole log is in .fleetbed/images-build.log), then run the build again.',
  },

  // Fault injection (harness/core/faults).
  FLEETBED_FAULT_INVALID: {
    meaning: 'A fault-proxy option or fault setting is invalid (the seed, the target URL, a rate or delay out of range); nothing was changed.',
    exit: 'usage',
    fix: 'Give the field the message names a value of the kind it states; the target is an http:// base URL without a path.',
  },
  FLEETBED_FAULT_FRAMING: {
    meaning: 'A chunked HTTP body passing through the fault proxy cannot be delimited. The proxy forwards such a message unfaulted instead of failing the run.',
    exit: 'failed',
    fix: 'Nothing, as long as it is forwarded. Should it ever end a run, it is a fleetbed bug: report it with the message.',
  },

  // Driving a fleet against a platform (harness/core/fleet).
  FLEETBED_FLEET_RUN_OPTIONS_INVALID: {
    meaning: 'A fleet-run option is invalid (a count below 1, a reconcile mode that needs a database URL the environment lacks); nothing was started.',
    exit: 'usage',
    fix: 'Correct the option the message names; without DATABASE_URL, use reconcile "api" or "auto".',
  },
  FLEETBED_FLEET_HTTP_FAILED: {
    meaning: 'The platform answered a fleet request with a status or body the driver cannot continue after (an unexpected status, a body that is not JSON, an account that already exists).',
    exit: 'failed',
    fix: 'Read the request and the answer quoted in the message; when accounts already exist, run against a fresh database or with another --seed.',
  },
  FLEETBED_FLEET_NOT_TEST_MODE: {
    meaning: 'The platform does not expose the testbed hooks (/testbed/clock answered 404): it is not in test mode, and a fleet run needs its virtual clock.',
    exit: 'failed',
    fix: 'Start the platform in test mode (the reference API: FLEETBED_TEST_MODE=1), or let fleetbed start one (--env embedded).',
  },

  // Merging shard reports (harness/products/merge).
  FLEETBED_MERGE_INPUT_INVALID: {
    meaning: 'The directories given to `fleetbed merge` are not the complete, matching reports of one sharded run: a shard missing or there twice, different shard counts, seeds, fleet sizes, plans or commits, run and load reports mixed, a summary.json that is not a shard\'s, or a ledger part that is damaged; nothing was written.',
    exit: 'usage',
    fix: 'Give every shard\'s --report-dir of the same `fleetbed run --shard i/N` or `fleetbed load --shard i/N` (same scenarios or plan, seed, size and commit), once each; re-run a shard whose files are damaged.',
  },

  // Fleet fixtures (harness/core/fixtures).
  FLEETBED_FIXTURE_INVALID: {
    meaning: "A cached fleet fixture does not hold what its manifest promises (a file missing or of the wrong size, a database that lacks the fleet's devices, an app state of another fleet); it is never used.",
    exit: 'failed',
    fix: 'Runs that find one rebuild it and say so; by hand: `fleetbed fixtures prune --all`, then `fleetbed fixtures build` (docs/fixtures.md).',
  },
  FLEETBED_FIXTURE_OPTIONS_INVALID: {
    meaning: 'A fixture option is invalid (a --max-size or FLEETBED_FIXTURE_MAX_SIZE that is not a size, a cache folder that cannot be used), or a fixture was asked for where none can be used (--env url or containers, --api-entry); nothing was started.',
    exit: 'usage',
    fix: 'Correct the option the message names; `fleetbed fixtures --help` lists them. Fixtures need the embedded environment and the reference API.',
  },

  // The simulators (simulators/).
  FLEETBED_FLEET_OPTIONS_INVALID: {
    meaning: 'A fleet option of the simulator is missing, of the wrong type or out of range; nothing was built.',
    exit: 'usage',
    fix: 'Set the fleet field the message names (a scenario\'s fleet.* or the matching flag) within the range it states.',
  },
  FLEETBED_SEED_INVALID: {
    meaning: 'A seed is not an integer in [0, 2^53).',
    exit: 'usage',
    fix: 'Give --seed (or the scenario\'s seed) as a whole number from 0 to 9007199254740991.',
  },
  FLEETBED_FLEET_TIME_INVALID: {
    meaning: 'The fleet\'s virtual time left what it can represent (u32 seconds): the platform\'s clock is too far ahead, or a step went backwards (a simulator bug).',
    exit: 'failed',
    fix: 'Check that the platform\'s clock (GET /testbed/clock) is a date before 2106; otherwise report it as a bug with the seed and the scenario.',
  },
  FLEETBED_BLE_LINK_FAILED: {
    meaning: 'A message did not survive the BLE framing between a simulated device and a phone. The link is lossless, so this is a framing bug.',
    exit: 'failed',
    fix: 'Report it as a simulator bug with the seed, the scenario and the message.',
  },

  // Scenarios and thresholds (harness/core/scenario, harness/core/thresholds).
  FLEETBED_SCENARIO_INVALID: {
    meaning: 'A scenario file does not load, parse or validate; nothing was started.',
    exit: 'usage',
    fix: 'Fix what the message names (the file, the field path, what was expected and what was received) and run again.',
  },
  FLEETBED_THRESHOLD_INVALID: {
    meaning: 'A k6-style threshold expression does not parse, or does not fit its metric.',
    exit: 'usage',
    fix: 'Write it as <aggregation><operator><number>, e.g. "p(99)<250", "avg<50" or "rate<0.01", with an aggregation its metric has.',
  },

  // The attack product (harness/products/attack).
  FLEETBED_ATTACK_SUITE_INVALID: {
    meaning: 'A security suite path does not exist, or a suite file does not export default defineAttackSuite({...}).',
    exit: 'usage',
    fix: 'Point `fleetbed attack` at scenarios/security or at .ts files that export default defineAttackSuite({...}).',
  },
  FLEETBED_ATTACK_SETUP_FAILED: {
    meaning: 'Building the attack world (accounts, devices, bonds, a release) failed: the platform refused a legitimate setup request.',
    exit: 'failed',
    fix: 'Read the request and the answer quoted in the message; the platform must be in test mode and accept the legitimate requests the attacks start from.',
  },

  // Reports (reports/).
  FLEETBED_REPORTER_INVALID: {
    meaning: 'A reporter name is not one of the known reporters; nothing was written.',
    exit: 'usage',
    fix: 'Use json, junit and/or html (--reporter json,junit,html).',
  },
  FLEETBED_REPORT_RUN_ID_INVALID: {
    meaning: 'A run id cannot name a report directory (it contains "/" or "..", or does not start with a letter or digit).',
    exit: 'usage',
    fix: 'Use letters, digits, ".", "_" and "-", starting with a letter or digit; or pass --report-dir.',
  },
  FLEETBED_REPORT_WRITE_FAILED: {
    meaning: 'A report directory or file could not be written (permissions, a path through a file, a full disk).',
    exit: 'failed',
    fix: 'Pass a writable --report-dir and check that its disk has space.',
  },

  // Legacy scenarios (harness/core/legacy).
  FLEETBED_LEGACY_LINE_UNSERVED: {
    meaning: 'A legacy scenario brings dialects of its own (`legacy.dialects`) but runs on the embedded or containers environment, whose reference API serves only the eight catalogue lines of contract/legacy/dialects.ts (and would read a replaced line under its catalogue spec); nothing was started.',
    exit: 'usage',
    fix: 'Run the scenario against the platform that serves your line (`--env url --target-url …`, in test mode); or, to rehearse on the reference API, add your dialect to contract/legacy/dialects.ts, where the reference API, the contract and the simulators all read it, and drop it from `legacy.dialects`.',
  },

  // The load product (harness/products/load).
  FLEETBED_LOAD_SHARD_UNSUPPORTED: {
    meaning: '`fleetbed load --shard i/N` was asked for a load that does not split into independent processes: a closed-model plan (its syncs come as fast as the platform answers, so which syncs happen depends on timing) or --find-max (a search for the knee needs one process to see every step); nothing was started.',
    exit: 'usage',
    fix: 'Shard an open-model plan (constant, ramping, fleet-day, thundering-herd, outage-backlog); run a closed plan or --find-max whole, without --shard.',
  },

  // fleetbed k6 export | prepare, fleetbed load reconcile (harness/products/k6).
  FLEETBED_K6_EXPORT_INVALID: {
    meaning: 'The k6 export directory given with --from is missing, unreadable, of another format version, or its ledger does not match its manifest.',
    exit: 'usage',
    fix: 'Point --from at a directory written by `fleetbed k6 export`, or export again with this version of fleetbed.',
  },
  FLEETBED_K6_UNSUPPORTED: {
    meaning: 'The plan or the platform cannot be handed to k6 as asked: a closed-model plan, or a platform whose clock is already past the exported fleet\'s start.',
    exit: 'usage',
    fix: 'Export an open-model plan; re-export with --target-url so the fleet starts at the platform\'s clock, or prepare a fresh platform.',
  },
});

/** A `FLEETBED_*` error code: a key of {@link ERROR_CATALOGUE}. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every code of {@link ERROR_CATALOGUE}, in catalogue order. */
export const ERROR_CODES: readonly ErrorCode[] = Object.freeze(Object.keys(ERROR_CATALOGUE) as ErrorCode[]);

/** True when `code` is a code of {@link ERROR_CATALOGUE} (for codes that arrive untyped). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code);
}
