import net, { type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { keyedUnit } from './_internals/keyed-draw.ts';

/**
 * A fault proxy between the API and PostgreSQL that speaks just enough of the
 * PostgreSQL wire protocol (v3) to fault whole statements, Jepsen-style:
 *
 * - `latency`: a statement reaches the server `ms` (+ up to `jitterMs`) late;
 * - `connectionReset`: the connection drops before a statement reaches the server
 *   (inside a transaction, PostgreSQL rolls the transaction back);
 * - `replyLost`: a writing statement ran and **committed**, then its reply is lost
 *   and the connection drops: the API cannot know whether it committed. Only a
 *   statement that wrote (INSERT, UPDATE, DELETE, or COMMIT) and finished outside a
 *   transaction block without an error is eligible.
 *
 * A statement is what the client sends up to a Sync (extended protocol) or one
 * Query (simple protocol); the proxy holds it until it is complete, then forwards or
 * faults it, and holds the server's answer until its ReadyForQuery. Decisions are
 * seeded draws (per proxy, in the order statements complete). Nothing else is
 * parsed or changed: authentication and data pass through.
 */
export interface DbFaultRule {
  /** Chance that an eligible statement is hit, 0–1. Default 1. */
  probability?: number;
  /** Hit at most this many statements. Default: no limit. */
  count?: number | null;
  /** Names the rule's `count` budget: the same id again keeps what is left of it. */
  id?: string;
}

export interface DbLatencyRule extends DbFaultRule {
  ms: number;
  jitterMs?: number;
}

export interface DbFaults {
  latency?: DbLatencyRule | null;
  connectionReset?: DbFaultRule | null;
  replyLost?: DbFaultRule | null;
}

export interface PgFaultProxyStats {
  connections: number;
  statements: number;
  delayed: number;
  resets: number;
  repliesLost: number;
}

export interface PgFaultProxy {
  /** The port the API connects to instead of PostgreSQL's. */
  readonly port: number;
  /** `databaseUrl` with its host and port replaced by the proxy's. */
  urlFor(databaseUrl: string): string;
  /** Replace each fault given (`null` turns it off; absent keys stay). */
  setFaults(faults: DbFaults): void;
  clearFaults(): void;
  readonly stats: Readonly<PgFaultProxyStats>;
  /** Stop listening and drop every connection. */
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const WRITE = /^\s*(?:with\b[\s\S]*?\b)?(insert|update|delete|merge|commit|end)\b|\b(insert\s+into|update\s+\w[\w.]*\s+set|delete\s+from)\b/i;

interface Budget {
  id: string | undefined;
  left: number;
}

export async function startPgFaultProxy(options: { targetHost: string; targetPort: number; seed: string }): Promise<PgFaultProxy> {
  const faults: { latency: DbLatencyRule | null; connectionReset: DbFaultRule | null; replyLost: DbFaultRule | null } = { latency: null, connectionReset: null, replyLost: null };
  const budgets: Record<keyof DbFaults, Budget> = { latency: { id: undefined, left: Infinity }, connectionReset: { id: undefined, left: Infinity }, replyLost: { id: undefined, left: Infinity } };
  const stats: PgFaultProxyStats = { connections: 0, statements: 0, delayed: 0, resets: 0, repliesLost: 0 };
  const sockets = new Set<Socket>();
  let draws = 0;

  const hit = (kind: keyof DbFaults): boolean => {
    const rule = faults[kind];
    if (!rule || budgets[kind].left <= 0) return false;
    if (keyedUnit(options.seed, 'db', kind, draws++) >= (rule.probability ?? 1)) return false;
    budgets[kind].left -= 1;
    return true;
  };

  const server = net.createServer((client) => {
    stats.connections += 1;
    const upstream = net.connect({ host: options.targetHost, port: options.targetPort });
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });

    // ---------------------------------------------------------------- client → server
    let started = false;
    let passthrough = false; // a cancel request or an encrypted session: bytes pass untouched
    let awaitingOneByte = false; // the server's one-byte answer to SSLRequest / GSSENCRequest
    let inBuf: Buffer = Buffer.alloc(0);
    let held: Buffer[] = [];
    let heldWrites = false;
    /** Statement names → whether their text writes (Parse), for Binds that name them. */
    const prepared = new Map<string, boolean>();
    /** Per forwarded statement, in order: whether it writes (the answers arrive in the same order). */
    const pending: boolean[] = [];
    let chain: Promise<void> = Promise.resolve();

    const onStatement = (writes: boolean) => {
      const out = Buffer.concat(held);
      held = [];
      heldWrites = false;
      stats.statements += 1;
      chain = chain.then(async () => {
        if (client.destroyed) return;
        if (hit('connectionReset')) {
          stats.resets += 1;
          drop();
          return;
        }
        if (hit('latency')) {
          const rule = faults.latency;
          stats.delayed += 1;
          if (rule) await sleep(rule.ms + (rule.jitterMs ? Math.floor(keyedUnit(options.seed, 'db-jitter', draws++) * (rule.jitterMs + 1)) : 0));
        }
        if (upstream.destroyed) return;
        pending.push(writes);
        upstream.write(out);
      });
    };

    client.on('data', (chunk: Buffer) => {
      if (passthrough) {
        upstream.write(chunk);
        return;
      }
      inBuf = inBuf.length ? Buffer.concat([inBuf, chunk]) : chunk;
      for (;;) {
        if (!started) {
          if (inBuf.length < 8) return;
          const len = inBuf.readInt32BE(0);
          if (inBuf.length < len) return;
          const code = inBuf.readInt32BE(4);
          const msg = inBuf.subarray(0, len);
          inBuf = inBuf.subarray(len);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) awaitingOneByte = true;
          else if (code === CANCEL_REQUEST) passthrough = true;
          else started = true;
          upstream.write(msg);
          if (passthrough) {
            if (inBuf.length) upstream.write(inBuf);
            return;
          }
          continue;
        }
        if (inBuf.length < 5) return;
        const len = inBuf.readInt32BE(1);
        if (inBuf.length < 1 + len) return;
        const type = String.fromCharCode(inBuf[0]!);
        const msg = inBuf.subarray(0, 1 + len);
        const body = msg.subarray(5);
        inBuf = inBuf.subarray(1 + len);
        held.push(Buffer.from(msg));
        if (type === 'Q') {
          onStatement(WRITE.test(cstring(body, 0)[0]));
        } else if (type === 'P') {
          const [name, next] = cstring(body, 0);
          const writes = WRITE.test(cstring(body, next)[0]);
          prepared.set(name, writes);
          heldWrites ||= writes;
        } else if (type === 'B') {
          const [, next] = cstring(body, 0);
          heldWrites ||= prepared.get(cstring(body, next)[0]) ?? false;
        } else if (type === 'S') {
          onStatement(heldWrites);
        } else if (type !== 'D' && type !== 'E' && type !== 'H' && type !== 'C') {
          // Authentication (p), copy data, terminate: not statements, forwarded at once.
          const out = Buffer.concat(held);
          held = [];
          chain = chain.then(() => {
            if (!upstream.destroyed) upstream.write(out);
          });
        }
      }
    });

    // ---------------------------------------------------------------- server → client
    let outBuf: Buffer = Buffer.alloc(0);
    let answer: Buffer[] = [];
    let answerError = false;
    upstream.on('data', (chunk: Buffer) => {
      if (passthrough) {
        client.write(chunk);
        return;
      }
      outBuf = outBuf.length ? Buffer.concat([outBuf, chunk]) : chunk;
      if (awaitingOneByte && outBuf.length >= 1) {
        awaitingOneByte = false;
        const reply = String.fromCharCode(outBuf[0]!);
        client.write(outBuf.subarray(0, 1));
        outBuf = outBuf.subarray(1);
        if (reply === 'S' || reply === 'G') {
          // An encrypted session: nothing more can be parsed.
          passthrough = true;
          if (outBuf.length) client.write(outBuf);
          return;
        }
      }
      for (;;) {
        if (outBuf.length < 5) return;
        const len = outBuf.readInt32BE(1);
        if (outBuf.length < 1 + len) return;
        const type = String.fromCharCode(outBuf[0]!);
        const msg = Buffer.from(outBuf.subarray(0, 1 + len));
        outBuf = outBuf.subarray(1 + len);
        if (pending.length === 0) {
          // Startup and authentication answers, notices, notifications: not a statement's answer.
          client.write(msg);
          continue;
        }
        answer.push(msg);
        if (type === 'E') answerError = true;
        if (type === 'G' || type === 'H' || type === 'W') {
          // COPY: the client waits for this before it sends or reads data; pass what is held.
          client.write(Buffer.concat(answer));
          answer = [];
          continue;
        }
        if (type !== 'Z') continue;
        const status = String.fromCharCode(msg[5]!);
        const writes = pending.shift()!;
        const out = Buffer.concat(answer);
        const failed = answerError;
        answer = [];
        answerError = false;
        if (writes && status === 'I' && !failed && hit('replyLost')) {
          stats.repliesLost += 1;
          drop();
          return;
        }
        client.write(out);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const set = (kind: keyof DbFaults, rule: DbFaultRule | null | undefined) => {
    if (rule === undefined) return;
    (faults as Record<string, DbFaultRule | null>)[kind] = rule;
    if (rule === null) return;
    if (rule.id === undefined || rule.id !== budgets[kind].id) budgets[kind] = { id: rule.id, left: rule.count ?? Infinity };
  };

  return {
    port,
    urlFor(databaseUrl: string) {
      const u = new URL(databaseUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    setFaults(f: DbFaults) {
      set('latency', f.latency);
      set('connectionReset', f.connectionReset);
      set('replyLost', f.replyLost);
    },
    clearFaults() {
      faults.latency = faults.connectionReset = faults.replyLost = null;
    },
    stats,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The NUL-terminated string at `offset` of `buf`, and the offset after it. */
function cstring(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) return [buf.subarray(offset).toString('utf8'), buf.length];
  return [buf.subarray(offset, end).toString('utf8'), end + 1];
}
