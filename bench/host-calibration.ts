import { spawn } from 'node:child_process';
import { createPublicKey, sign, verify } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';
import { deviceKeySeed, privateKeyFromSeed } from '../simulators/device-keys.ts';

/**
 * What this host could do at the moment a benchmark ran, measured in a few
 * seconds before it: the unit costs a fleet run is made of. Benchmark results
 * from different days or machines are only comparable next to these numbers,
 * and even then loosely: on 2026-12-03 they were the best yet and the fleet
 * still used 2.47 ms of CPU per device against 2.1 on its best day.
 * (On the 2-core machine docs/benchmarks.md's figures come from, the same code took
 * 107 s for 100,000 devices and, three hours later, 221–279 s; Ed25519 was
 * barely slower then, but a wake-up across cores took 90–170 µs against
 * 14 µs on one core.)
 */
export interface HostCalibration {
  /** CPUs Node can use. */
  cores: number;
  /** Ed25519 signatures per second on one core (Node crypto, a cached KeyObject). */
  ed25519SignPerSec: number;
  /** Ed25519 verifications per second on one core. */
  ed25519VerifyPerSec: number;
  /**
   * Microseconds for one thread to wake another and be woken back (futex via
   * Atomics.wait/notify). On a virtual machine whose idle vCPUs halt, this is
   * the price of every hand-off between processes on different cores: a
   * request crosses four of them (load generator → API → PostgreSQL and back).
   */
  wakeRoundTripUs: number;
  /** Small JSON POSTs per second through loopback TCP: an undici Pool (16 connections, 64 in flight) against a bare node:http server in its own process. */
  loopbackHttpPerSec: number;
}

export interface CalibrationOptions {
  /** Time spent on each of the four probes, in ms (default 1000). */
  probeMs?: number;
}

/** Measure the host: about four probe lengths of wall time, one core busy at a time except for the HTTP probe (two processes). */
export async function calibrateHost(options: CalibrationOptions = {}): Promise<HostCalibration> {
  const probeMs = options.probeMs ?? 1000;
  const { signPerSec, verifyPerSec } = ed25519Rates(probeMs);
  return {
    cores: availableParallelism(),
    ed25519SignPerSec: signPerSec,
    ed25519VerifyPerSec: verifyPerSec,
    wakeRoundTripUs: await wakeRoundTripUs(probeMs),
    loopbackHttpPerSec: await loopbackHttpRate(probeMs),
  };
}

/** One line for people: the calibration next to a benchmark's result. */
export function formatCalibration(c: HostCalibration): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return `host: ${c.cores} cores · Ed25519 ${n(c.ed25519SignPerSec)} signs/s, ${n(c.ed25519VerifyPerSec)} verifies/s per core · thread wake round trip ${c.wakeRoundTripUs} µs · loopback HTTP ${n(c.loopbackHttpPerSec)} req/s`;
}

function ed25519Rates(probeMs: number): { signPerSec: number; verifyPerSec: number } {
  const key = privateKeyFromSeed(deviceKeySeed(1, 0));
  const pub = createPublicKey(key);
  const message = Buffer.alloc(64, 0x5a);
  const signature = sign(null, message, key);
  const rate = (op: () => unknown): number => {
    for (let i = 0; i < 200; i++) op(); // warm up
    const started = performance.now();
    let n = 0;
    while (performance.now() - started < probeMs) {
      for (let i = 0; i < 64; i++) op();
      n += 64;
    }
    return Math.round((n * 1000) / (performance.now() - started));
  };
  const signPerSec = rate(() => sign(null, message, key));
  const verifyPerSec = rate(() => {
    if (!verify(null, message, pub, signature)) throw new Error('host calibration: a signature made a moment ago did not verify');
  });
  return { signPerSec, verifyPerSec };
}

// The partner thread: waits for slot 0 to turn 1, sets it back to 0 and wakes the caller; slot 1 = 1 means stop.
const WAKE_PARTNER = `
const { workerData } = require('node:worker_threads');
const a = new Int32Array(workerData);
for (;;) {
  Atomics.wait(a, 0, 0);
  if (Atomics.load(a, 1) === 1) break;
  Atomics.store(a, 0, 0);
  Atomics.notify(a, 0);
}`;

async function wakeRoundTripUs(probeMs: number): Promise<number> {
  const shared = new SharedArrayBuffer(8);
  const a = new Int32Array(shared);
  const worker = new Worker(WAKE_PARTNER, { eval: true, workerData: shared });
  try {
    await once(worker, 'online');
    const roundTrip = () => {
      Atomics.store(a, 0, 1);
      Atomics.notify(a, 0);
      // The partner sets the slot back to 0; 5 s without it means it is gone.
      if (Atomics.wait(a, 0, 1, 5000) === 'timed-out') throw new Error('host calibration: the wake-up partner thread did not answer within 5 s');
    };
    for (let i = 0; i < 100; i++) roundTrip();
    const started = performance.now();
    let n = 0;
    while (performance.now() - started < probeMs) {
      roundTrip();
      n++;
    }
    return Math.round(((performance.now() - started) * 1000 * 10) / n) / 10;
  } finally {
    Atomics.store(a, 1, 1);
    Atomics.store(a, 0, 1);
    Atomics.notify(a, 0);
    await worker.terminate();
  }
}

// A bare HTTP server in its own process: answers a JSON POST with a small JSON body; prints its port.
const HTTP_PARTNER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const out = JSON.stringify({ ok: true, n: body.n });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();`;

async function loopbackHttpRate(probeMs: number): Promise<number> {
  // stdin is a pipe: when this process goes away for any reason, the server sees its end and exits.
  const server = spawn(process.execPath, ['-e', HTTP_PARTNER], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      server.stdout.setEncoding('utf8');
      server.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      server.once('error', reject);
      server.once('exit', (code) => reject(new Error(`host calibration: the loopback HTTP server exited (code ${code}) before listening`)));
    });
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 16 });
    try {
      const post = async (n: number) => {
        const r = await pool.request({ method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n, pad: 'x'.repeat(160) }) });
        await r.body.text();
        if (r.statusCode !== 200) throw new Error(`host calibration: the loopback HTTP server answered ${r.statusCode}`);
      };
      const run = async (ms: number) => {
        const end = performance.now() + ms;
        let n = 0;
        await Promise.all(
          Array.from({ length: 64 }, async () => {
            while (performance.now() < end) await post(n++);
          }),
        );
        return n;
      };
      await run(Math.min(200, probeMs)); // open the connections, warm both ends
      const started = performance.now();
      const n = await run(probeMs);
      return Math.round((n * 1000) / (performance.now() - started));
    } finally {
      await pool.close();
    }
  } finally {
    server.stdin.end();
    server.kill();
  }
}
