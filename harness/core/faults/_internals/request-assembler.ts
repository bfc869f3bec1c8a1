import { createHash, type Hash } from 'node:crypto';
import { ChunkedScanner, FramingError } from './chunked.ts';
import { contentLength, isChunked, keepsAlive, MAX_HEAD_BYTES, parseHead, type MessageHead } from './http-head.ts';

/** Largest request body the proxy buffers to decide faults on; larger requests pass through untouched. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** One whole request, head and body, as the client sent it. */
export interface BufferedRequest {
  method: string;
  target: string;
  version: string;
  headers: Map<string, string>;
  /** The exact bytes to forward. */
  bytes: Buffer;
  /** SHA-256 (hex) of the body payload (de-chunked). */
  bodyDigest: string;
  /** The client asked to close the connection after this request. */
  close: boolean;
}

/** The rest of the connection cannot be framed (or should not be): forward it raw. */
export interface Passthrough {
  passthrough: string;
  /** Everything buffered so far, to forward first. */
  bytes: Buffer;
}

/**
 * Cuts a client's byte stream into whole HTTP/1.1 requests: head, then a body delimited by
 * Content-Length or chunked framing. What it cannot delimit safely (a malformed or huge
 * head, conflicting lengths, an unknown transfer coding, `Expect: 100-continue`, an
 * upgrade or CONNECT, a body over {@link MAX_BODY_BYTES}) ends framing for the connection.
 */
export class RequestAssembler {
  #chunks: Buffer[] = [];
  #total = 0;
  #head: MessageHead | null = null;
  #length = -1;
  #scanner: ChunkedScanner | null = null;
  #scanned = 0;
  #end = -1;
  #hash: Hash | null = null;

  /** Bytes received and not yet taken. */
  get buffered(): number {
    return this.#total;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#total += chunk.length;
  }

  /** The next whole request, `null` if more bytes are needed, or a {@link Passthrough}. */
  take(): BufferedRequest | Passthrough | null {
    if (this.#head === null) {
      this.#skipLeadingCrlf();
      if (this.#total === 0) return null;
      const head = parseHead(this.#peek(MAX_HEAD_BYTES + 4), 'request');
      if (head === null) return null;
      if (head === 'invalid') return this.#passthrough('not an HTTP/1.x request head the proxy can parse');
      const [method] = head.startLine;
      const chunked = isChunked(head);
      const length = contentLength(head);
      if (method === 'CONNECT' || head.headers.has('upgrade')) return this.#passthrough('CONNECT or Upgrade');
      if ((head.headers.get('expect') ?? '').toLowerCase() === '100-continue') return this.#passthrough('Expect: 100-continue');
      if (chunked === false) return this.#passthrough('a transfer coding other than chunked');
      if (chunked === undefined && (head.conflicting || Number.isNaN(length))) return this.#passthrough('an invalid or conflicting Content-Length');
      if (length !== undefined && length > MAX_BODY_BYTES) return this.#passthrough(`a body over ${MAX_BODY_BYTES} bytes`);
      this.#head = head;
      this.#hash = createHash('sha256');
      if (chunked) {
        this.#scanner = new ChunkedScanner();
        this.#scanned = head.length;
      } else {
        this.#length = length ?? 0;
      }
    }
    const head = this.#head;
    if (this.#scanner) {
      if (this.#end < 0) {
        try {
          this.#scan();
        } catch (err) {
          if (err instanceof FramingError) return this.#passthrough(`bad chunked framing (${err.message})`);
          throw err;
        }
      }
      if (this.#end < 0) return this.#scanned - head.length > MAX_BODY_BYTES ? this.#passthrough(`a body over ${MAX_BODY_BYTES} bytes`) : null;
      return this.#finish(this.#end, null);
    }
    const end = head.length + this.#length;
    if (this.#total < end) return null;
    return this.#finish(end, head.length);
  }

  #finish(end: number, bodyStart: number | null): BufferedRequest {
    const head = this.#head!;
    const bytes = this.#consume(end);
    if (bodyStart !== null) this.#hash!.update(bytes.subarray(bodyStart));
    const [method, target, version] = head.startLine;
    const request: BufferedRequest = { method, target, version, headers: head.headers, bytes, bodyDigest: this.#hash!.digest('hex'), close: !keepsAlive(head, version) };
    this.#head = null;
    this.#scanner = null;
    this.#hash = null;
    this.#length = -1;
    this.#end = -1;
    this.#scanned = 0;
    return request;
  }

  /** Feed the chunked scanner every byte after what it has seen. */
  #scan(): void {
    let base = 0;
    for (const chunk of this.#chunks) {
      const next = base + chunk.length;
      if (next > this.#scanned) {
        const from = this.#scanned - base;
        const at = this.#scanner!.scan(chunk, from, (slice) => this.#hash!.update(slice));
        if (at >= 0) {
          this.#end = base + at;
          this.#scanned = this.#end;
          return;
        }
        this.#scanned = next;
      }
      base = next;
    }
  }

  #passthrough(reason: string): Passthrough {
    const bytes = this.#consume(this.#total);
    this.#head = null;
    this.#scanner = null;
    return { passthrough: reason, bytes };
  }

  #skipLeadingCrlf(): void {
    while (this.#total > 0) {
      const first = this.#chunks[0]!;
      let i = 0;
      while (i < first.length && (first[i] === 0x0d || first[i] === 0x0a)) i++;
      if (i === 0) return;
      this.#consume(i);
    }
  }

  #peek(n: number): Buffer {
    if (this.#chunks.length === 1 || this.#chunks[0]!.length >= n) return this.#chunks[0]!.subarray(0, n);
    const flat = Buffer.concat(this.#chunks, Math.min(n, this.#total));
    return flat;
  }

  #consume(n: number): Buffer {
    const flat = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#total);
    const out = flat.subarray(0, n);
    const rest = flat.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#total = rest.length;
    return out;
  }
}
