import { parseArgs } from 'node:util';
import { calibrateHost, formatCalibration } from './host-calibration.ts';

/**
 * npm run bench:host [-- --probe-ms N]
 *
 * Measures what this host can do right now (Ed25519 per core, the cost of a
 * cross-thread wake-up, loopback HTTP): the unit costs a fleet run is made of.
 * bench:fleet measures the same before it starts and prints it in its summary.
 */
const USAGE = `Usage: npm run bench:host -- [options]

Measures this host's unit costs in about four seconds: Ed25519 signatures and
verifications per second on one core, a thread wake-up round trip, and small
JSON POSTs per second over loopback HTTP. Run it next to a benchmark to tell a
slower day (or machine) from slower code. A line for people goes to stderr; the
last line of stdout is one JSON object.

  --probe-ms N   time spent on each probe, in ms (1000)
  --help         this text
`;

let values;
try {
  ({ values } = parseArgs({ options: { 'probe-ms': { type: 'string', default: '1000' }, help: { type: 'boolean', default: false } } }));
} catch (err) {
  process.stderr.write(`bench:host: ${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const probeMs = Number(values['probe-ms']);
if (!Number.isSafeInteger(probeMs) || probeMs < 50 || probeMs > 60_000) {
  process.stderr.write(`bench:host: --probe-ms must be an integer from 50 to 60000 (milliseconds per probe), got ${JSON.stringify(values['probe-ms'])}\n`);
  process.exit(2);
}
const c = await calibrateHost({ probeMs });
process.stderr.write(`${formatCalibration(c)}\n`);
process.stdout.write(`${JSON.stringify(c)}\n`);
