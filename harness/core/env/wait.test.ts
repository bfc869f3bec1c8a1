import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isFleetbedError } from './errors.ts';
import { getFreePort, getFreePorts } from './free-port.ts';
import { waitFor, waitForHttp } from './wait.ts';

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error & { code?: string }) => error,
  );
}

describe('waitFor', () => {
  it('resolves with the first truthy probe result', async () => {
    let attempts = 0;
    const value = await waitFor('the third attempt', () => (++attempts === 3 ? 'ready' : false), { timeoutMs: 2000, intervalMs: 1 });
    expect(value).toBe('ready');
    expect(attempts).toBe(3);
  });

  it('times out naming what it waited for, the elapsed ms and the last error', async () => {
    const error = await rejection(
      waitFor(
        'the flux capacitor',
        () => {
          throw new Error('still charging');
        },
        { timeoutMs: 150, intervalMs: 10, hint: 'Plug it in.' },
      ),
    );
    expect(isFleetbedError(error, 'FLEETBED_ENV_TIMEOUT')).toBe(true);
    expect(error.message).toMatch(/^Timed out after (\d+) ms waiting for the flux capacitor \(timeout 150 ms, \d+ attempt\(s\); last: still charging\)\. Plug it in\.$/);
    expect(Number(/after (\d+) ms/.exec(error.message)?.[1])).toBeGreaterThanOrEqual(145);
  });

  it('bounds a probe that never settles by the deadline', async () => {
    const started = performance.now();
    const error = await rejection(waitFor('a probe that hangs', () => new Promise<boolean>(() => undefined), { timeoutMs: 100 }));
    expect(error.code).toBe('FLEETBED_ENV_TIMEOUT');
    expect(error.message).toContain('no attempt finished');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('stops at once when its signal aborts, with the abort reason', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('the process died')), 30);
    const started = performance.now();
    const error = await rejection(waitFor('never', () => false, { timeoutMs: 10_000, signal: controller.signal }));
    expect(error.message).toBe('the process died');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('waitForHttp', () => {
  it('polls until the expected status', async () => {
    let calls = 0;
    const server = createServer((_req, res) => {
      res.statusCode = ++calls < 3 ? 503 : 200;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await expect(waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 3000, intervalMs: 5 })).resolves.toBe(200);
      expect(calls).toBe(3);
    } finally {
      server.close();
    }
  });

  it('times out with the URL and the connection error', async () => {
    const port = await getFreePort();
    const error = await rejection(waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 200, intervalMs: 20 }));
    expect(error.code).toBe('FLEETBED_ENV_TIMEOUT');
    expect(error.message).toContain(`waiting for GET http://127.0.0.1:${port}/readyz to answer HTTP 200`);
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('getFreePorts', () => {
  it('returns distinct bindable ports', async () => {
    const ports = await getFreePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });
});
