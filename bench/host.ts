import { benchCli, flag } from './_internals/bench-cli.ts';
import { calibrateHost, formatCalibration } from './host-calibration.ts';

/**
 * npm run bench:host [-- --probe-ms N]
 *
 * Measures what this host can do right now (Ed25519 per core, the cost of a
 * cross-thread wake-up, loopback HTTP): the unit costs a fleet run is made of.
 * bench:fleet measures the same before it starts and prints it in its summary.
 */
const { 'probe-ms': probeMs } = benchCli({
  name: 'host',
  purpose: "this host's unit costs right now, in about four seconds",
  about: `Measures Ed25519 signatures and verifications per second on one core, a thread
wake-up round trip, and small JSON POSTs per second over loopback HTTP. Run it
next to a benchmark to tell a slower day (or machine) from slower code. A line
for people goes to stderr; the last line of stdout is one JSON object.`,
  flags: {
    'probe-ms': flag.int('time spent on each probe, in ms', { default: 1000, min: 50, max: 60_000 }),
  },
});
const c = await calibrateHost({ probeMs });
process.stderr.write(`${formatCalibration(c)}\n`);
process.stdout.write(`${JSON.stringify(c)}\n`);
