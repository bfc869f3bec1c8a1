import { ChunkedScanner } from './chunked.ts';
import { contentLength, isChunked, keepsAlive, parseHead } from './http-head.ts';

/** What one piece of upstream bytes meant for the response in progress. */
export interface ResponsePiece {
  /** Bytes that belong to this response (forward them, or swallow them). */
  own: Buffer;
  /** The response ended inside the piece. */
  done: boolean;
  /** Bytes after the end of the response (a server that sent more than it was asked for). */
  rest: Buffer | null;
}

/**
 * Delimits one HTTP/1.x response as it streams in: 1xx interim heads, then the final
 * head, then a body by the rules of RFC 9112 §6.3 (none for HEAD, 204, 304; chunked;
 * Content-Length; else until the server closes). Throws on a head it cannot parse.
 */
export class ResponseReader {
  #pending: Buffer = Buffer.alloc(0);
  #state: 'head' | 'length' | 'chunked' | 'close' | 'done' = 'head';
  #remaining = 0;
  #scanner: ChunkedScanner | null = null;
  /** Status of the final response, once its head is in. */
  status = 0;
  /** The connection may carry another request afterwards. */
  keepAlive = true;
  /** The server switched protocols (101): the connection is raw from now on. */
  upgraded = false;

  constructor(readonly method: string) {}

  get done(): boolean {
    return this.#state === 'done';
  }

  feed(chunk: Buffer): ResponsePiece {
    const own: Buffer[] = [];
    let buf = chunk;
    while (buf.length > 0 && this.#state !== 'done') {
      if (this.#state === 'head') {
        const joined = this.#pending.length > 0 ? Buffer.concat([this.#pending, buf]) : buf;
        const head = parseHead(joined, 'response');
        if (head === null) {
          this.#pending = joined;
          own.push(buf);
          return { own: Buffer.concat(own), done: false, rest: null };
        }
        if (head === 'invalid') throw new Error('the upstream response head cannot be parsed');
        const fresh = head.length - this.#pending.length;
        own.push(buf.subarray(0, fresh));
        buf = buf.subarray(fresh);
        this.#pending = Buffer.alloc(0);
        const [version, statusText] = head.startLine;
        const status = Number(statusText);
        if (status === 101) {
          this.upgraded = true;
          this.status = status;
          this.#state = 'done';
          break;
        }
        if (status >= 100 && status < 200) continue;
        this.status = status;
        this.keepAlive = keepsAlive(head, version);
        const chunked = isChunked(head);
        const length = contentLength(head);
        if (this.method === 'HEAD' || status === 204 || status === 304) this.#state = 'done';
        else if (chunked) {
          this.#scanner = new ChunkedScanner();
          this.#state = 'chunked';
        } else if (chunked === undefined && length !== undefined && !Number.isNaN(length)) {
          this.#remaining = length;
          this.#state = length === 0 ? 'done' : 'length';
        } else {
          this.keepAlive = false;
          this.#state = 'close';
        }
      } else if (this.#state === 'length') {
        const n = Math.min(this.#remaining, buf.length);
        own.push(buf.subarray(0, n));
        buf = buf.subarray(n);
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = 'done';
      } else if (this.#state === 'chunked') {
        const at = this.#scanner!.scan(buf);
        if (at < 0) {
          own.push(buf);
          buf = buf.subarray(buf.length);
        } else {
          own.push(buf.subarray(0, at));
          buf = buf.subarray(at);
          this.#state = 'done';
        }
      } else {
        own.push(buf);
        buf = buf.subarray(buf.length);
      }
    }
    return { own: Buffer.concat(own), done: this.#state === 'done', rest: buf.length > 0 ? buf : null };
  }

  /** The server closed the connection: true if that completes the response (a close-delimited body). */
  endOfStream(): boolean {
    if (this.#state === 'close') {
      this.#state = 'done';
      return true;
    }
    return this.#state === 'done';
  }
}
