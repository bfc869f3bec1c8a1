import net, { type AddressInfo, type Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseSeed, type SeedInput } from '../scenario/seed.ts';
import type { ProxyFaultKind, RequestMatch } from '../scenario/types.ts';
import { FaultError } from './errors.ts';
import { keyedUnit } from './_internals/keyed-draw.ts';
import { MAX_BODY_BYTES, RequestAssembler, type BufferedRequest } from './_internals/request-assembler.ts';
import { ResponseReader } from './_internals/response-reader.ts';

/** What every proxy fault setting has. */
export interface FaultRule {
  /** Chance that a matching request is hit, from 0 to 1. Default 1. */
  probability?: number;
  /** Hit at most this many requests. Default: no limit. */
  count?: number | null;
  /** Only requests matching this. Default: every request. */
  match?: RequestMatch;
  /**
   * Names the rule for its `count` budget: setting a rule with the same id again keeps
   * what is left of the budget; another id (or none) starts a fresh one.
   */
  id?: string;
}

/** Delay requests before forwarding them. */
export interface LatencyRule extends FaultRule {
  /** Fixed delay, ms. */
  ms: number;
  /** Plus a delay drawn uniformly from [0, jitterMs], ms. Default 0. */
  jitterMs?: number;
}

/** Answer a 5xx instead of forwarding. */
export interface Http5xxRule extends FaultRule {
  /** Status, 500–599. Default 503. */
  status?: number;
}

/**
 * The faults in force. In {@link FaultProxy.setFaults} a key set to a rule replaces that
 * fault's rule, `null` turns it off, and an absent key leaves it as it is.
 */
export interface ProxyFaults {
  latency?: LatencyRule | null;
  connectionReset?: FaultRule | null;
  http5xx?: Http5xxRule | null;
  dropResponseAfterCommit?: FaultRule | null;
}

/** Counters since the proxy started. */
export interface FaultProxyStats {
  /** Client connections accepted. */
  connections: number;
  /** Whole requests framed (faults are decided per request). */
  requests: number;
  /** Requests forwarded to the target. */
  forwarded: number;
  /** Requests delayed, and the total delay added, ms. */
  delayed: number;
  delayMs: number;
  /** Client connections reset by a connection-reset fault. */
  resets: number;
  /** 5xx answers injected. */
  injected5xx: number;
  /** Responses swallowed after the target answered (client connection reset). */
  droppedAfterCommit: number;
  /** Connections the proxy stopped framing and relays raw, without faults (see the module's limits). */
  passthrough: number;
  /** Failures to reach the target, or the target breaking a connection; mirrored to the client as a reset. */
  upstreamErrors: number;
}

/** One injected fault, as reported to `onFault`. */
export interface FaultEvent {
  fault: ProxyFaultKind;
  method: string;
  target: string;
  /** The request's Idempotency-Key, when it has one. */
  idempotencyKey?: string;
  delayMs?: number;
  status?: number;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Where to forward: `http://host:port` of the platform API. */
  target: string;
  /** Root of every random choice (u64, as in scenarios). */
  seed: SeedInput;
  /** Listen address. Default `127.0.0.1`. */
  host?: string;
  /** Listen port. Default 0 (a free port). */
  port?: number;
  /** Faults in force from the start. Default: none. */
  faults?: ProxyFaults;
  /** Called for every fault injected (the runner records them in its history). */
  onFault?: (event: FaultEvent) => void;
}

/** A running fault proxy. `await using proxy = await startFaultProxy(...)` closes it. */
export interface FaultProxy extends AsyncDisposable {
  /** Base URL to give the harness's HTTP client instead of the target's, e.g. `http://127.0.0.1:40111`. */
  readonly url: string;
  /** A snapshot of the counters. */
  readonly stats: Readonly<FaultProxyStats>;
  /** The rules in force. */
  readonly faults: Readonly<ProxyFaults>;
  /** Change the faults (see {@link ProxyFaults}); validated first, throws `FLEETBED_FAULT_INVALID`. */
  setFaults(patch: ProxyFaults): void;
  /** Turn every fault off. */
  clearFaults(): void;
  /** Reset every open client connection now (RST); returns how many. */
  resetConnections(): number;
  /** Stop listening and tear down every connection. Idempotent. */
  close(): Promise<void>;
}

const KINDS = {
  latency: 'latency',
  connectionReset: 'connection-reset',
  http5xx: 'http-5xx',
  dropResponseAfterCommit: 'drop-response-after-commit',
} as const satisfies Record<keyof ProxyFaults, ProxyFaultKind>;
type RuleKey = keyof typeof KINDS;
const RULE_KEYS = Object.keys(KINDS) as RuleKey[];

/**
 * Start an in-process TCP proxy between the harness and the platform API that injects
 * faults at HTTP/1.1 request boundaries: added latency (fixed plus seeded jitter),
 * connection resets (RST before the request is forwarded), a 5xx answered in place of
 * the target's, and a dropped response after commit (the target receives and answers the
 * request; the proxy swallows the answer and resets the client connection).
 *
 * Nothing reaches inside the system under test: the target only ever sees requests a
 * client sent, byte for byte, or a closed connection.
 *
 * Every choice is a keyed draw from `seed` over (fault, method, target, Idempotency-Key
 * or body digest, times this request was already hit), so a request's fate does not
 * depend on how concurrent connections interleave, and a retry of a request that was hit
 * draws again. No `Math.random()`.
 *
 * Limits: HTTP/1.1 (and 1.0) only, no TLS. Requests are delimited by Content-Length or
 * chunked framing and buffered whole (up to 64 MiB) before they are forwarded; requests
 * on one connection are handled one at a time, so a pipelining client is served in order
 * but not in parallel. A connection whose framing the proxy cannot follow (`Expect:
 * 100-continue`, Upgrade/CONNECT, unknown transfer codings, conflicting lengths, a larger
 * body, a malformed head) is relayed raw, without faults, from that point on
 * (`stats.passthrough`). When the target closes or breaks a connection, the proxy does the
 * same to the client.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = parseTarget(options.target);
  const seed = parseSeed(options.seed);
  if (seed === undefined) throw new FaultError('FLEETBED_FAULT_INVALID', `fault proxy seed must be a u64 (number, bigint or decimal string), got ${JSON.stringify(String(options.seed))}`);
  const core = new ProxyCore(target, seed, options.onFault);
  if (options.faults) core.setFaults(options.faults);
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => core.accept(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      core.destroyAll();
    }));
  return {
    url: `http://${host}:${address.port}`,
    get stats() {
      return { ...core.stats };
    },
    get faults() {
      return core.current();
    },
    setFaults: (patch) => core.setFaults(patch),
    clearFaults: () => core.setFaults({ latency: null, connectionReset: null, http5xx: null, dropResponseAfterCommit: null }),
    resetConnections: () => core.resetAll(),
    close,
    [Symbol.asyncDispose]: close,
  };
}

interface Target {
  host: string;
  port: number;
}

function parseTarget(text: string): Target {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FaultError('FLEETBED_FAULT_INVALID', `fault proxy target must be an http URL such as "http://127.0.0.1:3000", got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:') throw new FaultError('FLEETBED_FAULT_INVALID', `fault proxy target must use http: (the proxy does not speak TLS), got ${JSON.stringify(text)}`);
  if (url.pathname !== '/' || url.search) throw new FaultError('FLEETBED_FAULT_INVALID', `fault proxy target must be a base URL without a path, got ${JSON.stringify(text)}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) };
}

type Decision = { delayMs: number; action: 'forward' | 'reset' | '5xx' | 'drop'; status: number };

/** Rules, budgets, draws and counters shared by every connection of one proxy. */
class ProxyCore {
  readonly stats: FaultProxyStats = { connections: 0, requests: 0, forwarded: 0, delayed: 0, delayMs: 0, resets: 0, injected5xx: 0, droppedAfterCommit: 0, passthrough: 0, upstreamErrors: 0 };
  readonly #rules: ProxyFaults = {};
  readonly #budgets = new Map<RuleKey, { id: string | undefined; left: number }>();
  /** How often each request key was already hit (reset, 5xx, drop): the draw counter of its next copy. */
  readonly #hits = new Map<string, number>();
  readonly #connections = new Set<Connection>();

  constructor(
    readonly target: Target,
    readonly seed: string,
    readonly onFault: ((event: FaultEvent) => void) | undefined,
  ) {}

  accept(socket: Socket): void {
    this.stats.connections++;
    const c = new Connection(this, socket);
    this.#connections.add(c);
    socket.once('close', () => this.#connections.delete(c));
  }

  setFaults(patch: ProxyFaults): void {
    if (typeof patch !== 'object' || patch === null) invalid('faults', 'an object such as { latency: { ms: 100 } }', patch);
    for (const key of Object.keys(patch)) if (!(key in KINDS)) invalid(key, `one of ${RULE_KEYS.join(', ')}`, key);
    for (const key of RULE_KEYS) if (patch[key]) validateRule(key, patch[key]!);
    for (const key of RULE_KEYS) {
      if (!(key in patch)) continue;
      const rule = patch[key];
      if (rule === null || rule === undefined) {
        delete this.#rules[key];
        this.#budgets.delete(key);
        continue;
      }
      const copy = structuredClone(rule);
      (this.#rules as Record<RuleKey, FaultRule>)[key] = copy;
      const prev = this.#budgets.get(key);
      if (!(prev && copy.id !== undefined && prev.id === copy.id)) this.#budgets.set(key, { id: copy.id, left: copy.count ?? Infinity });
    }
  }

  current(): Readonly<ProxyFaults> {
    return structuredClone(this.#rules);
  }

  /** The fate of one request, drawn from the seed and the request's identity. */
  decide(req: BufferedRequest): Decision {
    const idempotencyKey = req.headers.get('idempotency-key');
    const key = `${req.method} ${req.target} ${idempotencyKey !== undefined ? `key:${idempotencyKey}` : `body:${req.bodyDigest}`}`;
    const n = this.#hits.get(key) ?? 0;
    const hit = (k: RuleKey): boolean => {
      const rule = this.#rules[k];
      if (!rule || !matches(rule.match, req)) return false;
      const budget = this.#budgets.get(k);
      if (budget && budget.left <= 0) return false;
      if (keyedUnit(this.seed, KINDS[k], n, key) >= (rule.probability ?? 1)) return false;
      if (budget) budget.left--;
      return true;
    };
    const d: Decision = { delayMs: 0, action: 'forward', status: 0 };
    const event = (fault: ProxyFaultKind, extra: Partial<FaultEvent> = {}) =>
      this.onFault?.({ fault, method: req.method, target: req.target, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}), ...extra });
    if (hit('latency')) {
      const rule = this.#rules.latency!;
      d.delayMs = rule.ms + Math.floor(keyedUnit(this.seed, 'latency-jitter', n, key) * ((rule.jitterMs ?? 0) + 1));
      event('latency', { delayMs: d.delayMs });
    }
    if (hit('connectionReset')) {
      d.action = 'reset';
      event('connection-reset');
    } else if (hit('http5xx')) {
      d.action = '5xx';
      d.status = this.#rules.http5xx!.status ?? 503;
      event('http-5xx', { status: d.status });
    } else if (hit('dropResponseAfterCommit')) {
      d.action = 'drop';
      event('drop-response-after-commit');
    }
    if (d.action !== 'forward') this.#hits.set(key, n + 1);
    return d;
  }

  resetAll(): number {
    let n = 0;
    for (const c of this.#connections) if (c.reset()) n++;
    return n;
  }

  destroyAll(): void {
    for (const c of this.#connections) c.kill();
  }
}

function matches(match: RequestMatch | undefined, req: BufferedRequest): boolean {
  if (!match) return true;
  if (match.method !== undefined && match.method !== req.method) return false;
  if (match.pathPrefix !== undefined && !req.target.startsWith(match.pathPrefix)) return false;
  return true;
}

function invalid(field: string, expected: string, got: unknown): never {
  throw new FaultError('FLEETBED_FAULT_INVALID', `fault proxy: ${field} must be ${expected}, got ${JSON.stringify(got)}`);
}

function validateRule(key: RuleKey, rule: FaultRule & Partial<LatencyRule & Http5xxRule>): void {
  if (typeof rule !== 'object') invalid(key, 'a rule object or null', rule);
  const allowed = ['probability', 'count', 'match', 'id', ...(key === 'latency' ? ['ms', 'jitterMs'] : key === 'http5xx' ? ['status'] : [])];
  for (const k of Object.keys(rule)) if (!allowed.includes(k)) invalid(`${key}.${k}`, `absent (${key} takes ${allowed.join(', ')})`, k);
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) invalid(`${key}.probability`, 'a probability from 0 to 1', rule.probability);
  if (rule.count !== undefined && rule.count !== null && !(Number.isInteger(rule.count) && rule.count >= 0)) invalid(`${key}.count`, 'an integer ≥ 0 or null', rule.count);
  if (key === 'latency') {
    if (!(Number.isFinite(rule.ms) && rule.ms! >= 0)) invalid('latency.ms', 'a delay in ms ≥ 0', rule.ms);
    if (rule.jitterMs !== undefined && !(Number.isInteger(rule.jitterMs) && rule.jitterMs >= 0)) invalid('latency.jitterMs', 'an integer ≥ 0 (ms)', rule.jitterMs);
  }
  if (key === 'http5xx' && rule.status !== undefined && !(Number.isInteger(rule.status) && rule.status >= 500 && rule.status <= 599)) invalid('http5xx.status', 'an integer from 500 to 599', rule.status);
}

/** Drop a socket with a TCP RST where Node can (`resetAndDestroy`), else a plain destroy. */
function rst(socket: Socket): void {
  if (socket.destroyed) return;
  const s = socket as Socket & { resetAndDestroy?: () => Socket };
  if (typeof s.resetAndDestroy === 'function' && socket.readyState !== 'opening') s.resetAndDestroy();
  else socket.destroy();
}

/** One client connection and its upstream twin. */
class Connection {
  readonly #core: ProxyCore;
  readonly #client: Socket;
  readonly #requests = new RequestAssembler();
  #upstream: Socket | null = null;
  #response: { reader: ResponseReader; drop: boolean; settle: (ok: boolean) => void } | null = null;
  #busy = false;
  #raw = false;
  #clientEnded = false;
  #closed = false;

  constructor(core: ProxyCore, client: Socket) {
    this.#core = core;
    this.#client = client;
    client.on('data', (chunk: Buffer) => {
      if (this.#raw) return void relay(chunk, this.#client, this.#upstream);
      this.#requests.push(chunk);
      if (this.#requests.buffered > MAX_BODY_BYTES + 128 * 1024) client.pause();
      this.#pump();
    });
    client.on('end', () => {
      this.#clientEnded = true;
      if (this.#raw) this.#upstream?.end();
      else this.#pump();
    });
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
  }

  /** Reset the client connection (RST) and close upstream. False if already closed. */
  reset(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    rst(this.#client);
    this.#upstream?.destroy();
    this.#response?.settle(false);
    return true;
  }

  /** Destroy both sockets now, whatever state the connection is in (proxy shutdown). */
  kill(): void {
    this.destroy();
    this.#client.destroy();
    this.#upstream?.destroy();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy();
    this.#upstream?.destroy();
    this.#response?.settle(false);
  }

  #pump(): void {
    if (this.#busy || this.#closed || this.#raw) return;
    this.#busy = true;
    void this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        if (this.#closed) return;
        const next = this.#requests.take();
        if (this.#client.isPaused() && this.#requests.buffered <= MAX_BODY_BYTES) this.#client.resume();
        if (next === null) {
          if (this.#clientEnded) {
            this.#client.end();
            this.#upstream?.end();
          }
          return;
        }
        if ('passthrough' in next) {
          await this.#goRaw(next.bytes);
          return;
        }
        await this.#handle(next);
      }
    } catch {
      this.reset();
    } finally {
      this.#busy = false;
    }
  }

  async #handle(req: BufferedRequest): Promise<void> {
    const core = this.#core;
    core.stats.requests++;
    const d = core.decide(req);
    if (d.delayMs > 0) {
      core.stats.delayed++;
      core.stats.delayMs += d.delayMs;
      await sleep(d.delayMs);
      if (this.#closed) return;
    }
    if (d.action === 'reset') {
      core.stats.resets++;
      this.reset();
      return;
    }
    if (d.action === '5xx') {
      core.stats.injected5xx++;
      this.#client.write(injected(d.status, req));
      if (req.close) this.#closeAfterResponse();
      return;
    }
    const upstream = await this.#connect();
    if (!upstream) return;
    const drop = d.action === 'drop';
    const done = new Promise<boolean>((settle) => {
      this.#response = { reader: new ResponseReader(req.method), drop, settle };
    });
    upstream.write(req.bytes);
    core.stats.forwarded++;
    const complete = await done;
    const reader = this.#response?.reader;
    this.#response = null;
    if (!complete || this.#closed) return;
    if (drop) {
      core.stats.droppedAfterCommit++;
      this.reset();
      return;
    }
    if (reader?.upgraded) return void (await this.#goRaw(Buffer.alloc(0)));
    if (req.close || !reader?.keepAlive) this.#closeAfterResponse();
  }

  #closeAfterResponse(): void {
    this.#closed = true;
    this.#client.end();
    this.#upstream?.end();
  }

  /** The upstream socket, connected; on failure the client is reset (as a refused connection would fail it) and null returned. */
  async #connect(): Promise<Socket | null> {
    if (this.#upstream && !this.#upstream.destroyed) return this.#upstream;
    const { host, port } = this.#core.target;
    const socket = net.connect({ host, port, noDelay: true, allowHalfOpen: true });
    const ok = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
    });
    if (!ok || this.#closed) {
      socket.destroy();
      if (!ok) {
        this.#core.stats.upstreamErrors++;
        this.reset();
      }
      return null;
    }
    this.#upstream = socket;
    socket.on('data', (chunk: Buffer) => this.#fromUpstream(socket, chunk));
    socket.on('end', () => this.#upstreamEnded(socket));
    socket.on('error', () => {
      this.#core.stats.upstreamErrors++;
      this.reset();
    });
    socket.on('close', () => {
      if (this.#upstream === socket) this.#upstream = null;
    });
    return socket;
  }

  #fromUpstream(upstream: Socket, chunk: Buffer): void {
    if (this.#raw || !this.#response) {
      // Raw relay, or bytes the target sent unasked (e.g. a 408 before closing): pass them on.
      relay(chunk, upstream, this.#client);
      return;
    }
    const r = this.#response;
    let piece;
    try {
      piece = r.reader.feed(chunk);
    } catch {
      this.#core.stats.upstreamErrors++;
      this.reset();
      return;
    }
    if (!r.drop && piece.own.length > 0) relay(piece.own, upstream, this.#client);
    if (piece.rest && !r.drop) relay(piece.rest, upstream, this.#client);
    if (piece.done) r.settle(true);
  }

  #upstreamEnded(upstream: Socket): void {
    const r = this.#response;
    if (r) {
      if (r.reader.endOfStream()) {
        r.settle(true);
        if (!r.drop) this.#closeAfterResponse();
      } else {
        // The target closed mid-response: the client sees a broken connection too.
        this.#core.stats.upstreamErrors++;
        this.reset();
      }
      return;
    }
    if (this.#raw) return void this.#client.end();
    upstream.destroy();
    if (this.#upstream === upstream) this.#upstream = null;
    // Idle keep-alive connection closed by the target: close the client's too, as a direct
    // connection would be. Mid-request (a delay before forwarding), reconnect instead.
    if (!this.#busy) this.#closeAfterResponse();
  }

  async #goRaw(first: Buffer): Promise<void> {
    this.#core.stats.passthrough++;
    this.#raw = true;
    const upstream = await this.#connect();
    if (!upstream) return;
    if (first.length > 0) upstream.write(first);
    if (this.#clientEnded) upstream.end();
  }
}

/** Write `chunk` from `from` to `to`, pausing `from` until `to` drains. */
function relay(chunk: Buffer, from: Socket | null, to: Socket | null): void {
  if (!to || to.destroyed || to.writableEnded) return;
  if (!to.write(chunk) && from && !from.isPaused()) {
    from.pause();
    to.once('drain', () => from.resume());
  }
}

function injected(status: number, req: BufferedRequest): Buffer {
  const title = STATUS_CODES[status] ?? 'Server Error';
  const body = JSON.stringify({ type: 'about:blank', title, status, detail: 'injected by the fleetbed fault proxy; the request was not forwarded' });
  const head = `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-fleetbed-fault: http-5xx\r\nconnection: ${req.close ? 'close' : 'keep-alive'}\r\n\r\n`;
  return Buffer.from(req.method === 'HEAD' ? head : head + body);
}
