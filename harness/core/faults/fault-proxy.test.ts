import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Client, errors as undiciErrors } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultEvent, type FaultProxy } from './fault-proxy.ts';

/** A real HTTP server that counts the requests it completed (the response was fully written). */
let server: Server;
let target: string;
let completed: { method: string; url: string; bytes: number }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.on('finish', () => completed.push({ method: req.method!, url: req.url!, bytes: body.length }));
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part one, ');
        setImmediate(() => res.end('part two'));
        return;
      }
      if (req.url === '/close') {
        res.writeHead(200, { connection: 'close', 'content-type': 'text/plain' });
        res.end('bye');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, bytes: body.length, key: req.headers['idempotency-key'] ?? null }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  completed = [];
});

async function setup(options: Partial<Parameters<typeof startFaultProxy>[0]> = {}): Promise<{ proxy: FaultProxy; client: Client; events: FaultEvent[] }> {
  const events: FaultEvent[] = [];
  const proxy = await startFaultProxy({ target, seed: 42, onFault: (e) => events.push(e), ...options });
  const client = new Client(proxy.url, { pipelining: 1, keepAliveTimeout: 10_000 });
  cleanups.push(async () => {
    await client.destroy();
    await proxy.close();
  });
  return { proxy, client, events };
}

async function post(client: Client, path: string, body: string, key?: string) {
  const res = await client.request({ method: 'POST', path, body, headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) } });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** What a client sees when the connection under it is reset. */
function isConnectionFailure(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes(e?.code ?? '') || e?.cause?.code === 'ECONNRESET' || err instanceof undiciErrors.SocketError;
}

describe('fault proxy: transparent without faults', () => {
  it('forwards GET, POST, chunked request and response bodies over one keep-alive connection', async () => {
    const { proxy, client } = await setup();
    const get = await client.request({ method: 'GET', path: '/hello' });
    expect(get.statusCode).toBe(200);
    expect(JSON.parse(await get.body.text())).toMatchObject({ method: 'GET', url: '/hello', bytes: 0 });

    const p = await post(client, '/echo', JSON.stringify({ hello: 'x'.repeat(100_000) }));
    expect(JSON.parse(p.text)).toMatchObject({ bytes: 100_012 });

    // A stream body: undici sends it chunked.
    const chunked = await client.request({ method: 'POST', path: '/stream', body: Readable.from([Buffer.from('abc'), Buffer.from('defgh')]) });
    expect(JSON.parse(await chunked.body.text())).toMatchObject({ bytes: 8 });

    const chunkedResponse = await client.request({ method: 'GET', path: '/chunked' });
    expect(await chunkedResponse.body.text()).toBe('part one, part two');

    const head = await client.request({ method: 'HEAD', path: '/hello' });
    await head.body.text();
    expect(head.statusCode).toBe(200);

    const stats = proxy.stats;
    expect(stats).toMatchObject({ connections: 1, requests: 5, forwarded: 5, resets: 0, injected5xx: 0, passthrough: 0 });
    expect(completed).toHaveLength(5);
  });

  it('serves pipelined requests in order', async () => {
    const { proxy } = await setup();
    const socket = net.connect(Number(new URL(proxy.url).port), '127.0.0.1');
    cleanups.push(async () => void socket.destroy());
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    socket.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\nPOST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /close HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => socket.on('end', resolve));
    const bodies = received.split('\r\n\r\n').filter((s) => !s.startsWith('HTTP/1.1'));
    expect(received.match(/HTTP\/1\.1 200/g)).toHaveLength(3);
    expect(bodies.join('|')).toMatch(/"url":"\/one".*"url":"\/two","bytes":3.*bye/s);
  });

  it('relays a connection it cannot frame (Expect: 100-continue) raw, without faults', async () => {
    const { proxy } = await setup({ faults: { http5xx: { probability: 1 } } });
    const socket = net.connect(Number(new URL(proxy.url).port), '127.0.0.1');
    cleanups.push(async () => void socket.destroy());
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    socket.write('POST /expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    socket.write('hi');
    await new Promise((resolve) => socket.on('end', resolve));
    expect(received).toMatch(/HTTP\/1\.1 200 OK[\s\S]*"bytes":2/);
    expect(proxy.stats.passthrough).toBe(1);
    expect(proxy.stats.injected5xx).toBe(0);
  });
});

describe('fault proxy: faults', () => {
  it('adds latency, measurably, with seeded jitter', async () => {
    const { proxy, client, events } = await setup();
    await client.request({ method: 'GET', path: '/warm' }).then((r) => r.body.text());

    proxy.setFaults({ latency: { ms: 150, jitterMs: 50 } });
    const t1 = performance.now();
    await client.request({ method: 'GET', path: '/slow' }).then((r) => r.body.text());
    const slowed = performance.now() - t1;
    expect(events).toHaveLength(1);
    const delay = events[0]!.delayMs!;
    expect(delay).toBeGreaterThanOrEqual(150);
    expect(delay).toBeLessThanOrEqual(200);
    // A delayed request cannot come back sooner than its delay (a comparison with an
    // undelayed baseline would be at the mercy of a loaded machine).
    expect(slowed).toBeGreaterThanOrEqual(delay - 2);
    expect(proxy.stats).toMatchObject({ delayed: 1, delayMs: delay });
  });

  it('resets the client connection before forwarding: the client sees the reset, the server nothing', async () => {
    const { proxy, client } = await setup({ faults: { connectionReset: { probability: 1, count: 1 } } });
    const err = await post(client, '/uploads', '{"a":1}', 'k-1').catch((e: unknown) => e);
    expect(isConnectionFailure(err)).toBe(true);
    expect(completed).toHaveLength(0);
    // The budget (count 1) is spent: the retry goes through.
    const retry = await post(client, '/uploads', '{"a":1}', 'k-1');
    expect(retry.status).toBe(200);
    expect(completed).toHaveLength(1);
    expect(proxy.stats).toMatchObject({ resets: 1, forwarded: 1, connections: 2 });
  });

  it('answers a 5xx instead of forwarding, and keeps the connection usable', async () => {
    const { proxy, client } = await setup({ faults: { http5xx: { status: 502, match: { method: 'POST', pathPrefix: '/v2/uploads' } } } });
    const hit = await post(client, '/v2/uploads', '{"r":[]}', 'k-2');
    expect(hit.status).toBe(502);
    expect(hit.headers['x-fleetbed-fault']).toBe('http-5xx');
    expect(JSON.parse(hit.text)).toMatchObject({ status: 502, title: 'Bad Gateway' });
    const other = await post(client, '/v2/accounts', '{}');
    expect(other.status).toBe(200);
    expect(completed.map((c) => c.url)).toEqual(['/v2/accounts']);
    expect(proxy.stats).toMatchObject({ injected5xx: 1, connections: 1 });
  });

  it('drops the response after commit: the server completed the request, the client got an error', async () => {
    const { proxy, client, events } = await setup({ faults: { dropResponseAfterCommit: { probability: 1, count: 1 } } });
    const err = await post(client, '/v2/uploads', '{"records":[1,2,3]}', 'k-3').catch((e: unknown) => e);
    expect(isConnectionFailure(err)).toBe(true);
    expect(completed).toEqual([{ method: 'POST', url: '/v2/uploads', bytes: 19 }]);
    expect(events).toEqual([{ fault: 'drop-response-after-commit', method: 'POST', target: '/v2/uploads', idempotencyKey: 'k-3' }]);
    // The phone retries the same request: this time the answer comes back.
    const retry = await post(client, '/v2/uploads', '{"records":[1,2,3]}', 'k-3');
    expect(retry.status).toBe(200);
    expect(completed).toHaveLength(2);
    expect(proxy.stats).toMatchObject({ droppedAfterCommit: 1, forwarded: 2 });
  });

  it('resets the client when the target is down, as a direct connection would fail', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const { proxy, client } = await setup({ target: `http://127.0.0.1:${port}` });
    const err = await client.request({ method: 'GET', path: '/' }).catch((e: unknown) => e);
    expect(isConnectionFailure(err)).toBe(true);
    expect(proxy.stats.upstreamErrors).toBe(1);
  });

  it('keeps a count budget across setFaults calls with the same id, and starts a new one for a new id', async () => {
    const { proxy, client } = await setup();
    proxy.setFaults({ http5xx: { id: 'faults[1]', count: 2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      statuses.push((await post(client, '/x', `{"i":${i}}`)).status);
      proxy.setFaults({ http5xx: { id: 'faults[1]', count: 2 } });
    }
    statuses.push((await post(client, '/x', '{"i":2}')).status);
    proxy.setFaults({ http5xx: { id: 'faults[2]', count: 1 } });
    statuses.push((await post(client, '/x', '{"i":3}')).status);
    proxy.clearFaults();
    statuses.push((await post(client, '/x', '{"i":4}')).status);
    expect(statuses).toEqual([503, 503, 200, 503, 200]);
  });

  it('rejects invalid settings naming the field', async () => {
    const { proxy } = await setup();
    expect(() => proxy.setFaults({ latency: { ms: -1 } })).toThrow(/latency\.ms must be a delay in ms ≥ 0, got -1/);
    expect(() => proxy.setFaults({ http5xx: { status: 404 } })).toThrow(/http5xx\.status must be an integer from 500 to 599, got 404/);
    expect(() => proxy.setFaults({ reset: {} } as never)).toThrow(/reset must be one of latency, connectionReset, http5xx, dropResponseAfterCommit/);
    await expect(startFaultProxy({ target: 'https://example.com', seed: 1 })).rejects.toMatchObject({ code: 'FLEETBED_FAULT_INVALID' });
  });
});

describe('fault proxy: determinism', () => {
  /** Which of 40 distinct uploads got a 5xx, under `seed`, sent over 4 concurrent connections. */
  async function fates(seed: string | number): Promise<string> {
    const proxy = await startFaultProxy({ target, seed, faults: { http5xx: { probability: 0.5 } } });
    const clients = [0, 1, 2, 3].map(() => new Client(proxy.url));
    try {
      const out = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const r = await clients[i % 4]!.request({ method: 'POST', path: '/v2/uploads', body: `{"n":${i}}`, headers: { 'idempotency-key': `upload-${i}` } });
          await r.body.text();
          return r.statusCode === 503 ? 'x' : '.';
        }),
      );
      return out.join('');
    } finally {
      await Promise.all(clients.map((c) => c.destroy()));
      await proxy.close();
    }
  }

  it('gives the same fault sequence for the same seed, whatever the interleaving, and another for another seed', async () => {
    const a = await fates('12345678901234567890');
    const b = await fates('12345678901234567890');
    const c = await fates(7);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/x/);
    expect(a).toMatch(/\./);
  });

  it('draws again for a retry of a request that was hit', async () => {
    const { client } = await setup({ faults: { http5xx: { probability: 0.5 } } });
    // Each upload is retried until it passes: with a fresh draw per hit none fails forever,
    // and with p = 0.5 some need more than one attempt.
    const attempts: number[] = [];
    for (let i = 0; i < 8; i++) {
      let n = 0;
      let status = 0;
      while (status !== 200 && n < 30) {
        n++;
        status = (await post(client, '/v2/uploads', `{"i":${i}}`, `key-${i}`)).status;
      }
      expect(status).toBe(200);
      attempts.push(n);
    }
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  });
});
