/** Longest request or response head the proxy parses (start line plus headers). */
export const MAX_HEAD_BYTES = 64 * 1024;

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** A parsed HTTP/1.x message head. Header names are lower case; repeated headers are joined with ", ". */
export interface MessageHead {
  /** Request: method, target, version. Response: version, status, reason. */
  startLine: [string, string, string];
  headers: Map<string, string>;
  /** Bytes of the head including the blank line. */
  length: number;
  /** A header appeared twice with different values where that is ambiguous (Content-Length). */
  conflicting: boolean;
}

/**
 * The head at the start of `buf`, `null` when it is not complete yet, or `'invalid'`
 * when it cannot be an HTTP/1.x head (or is longer than {@link MAX_HEAD_BYTES}).
 */
export function parseHead(buf: Buffer, kind: 'request' | 'response'): MessageHead | null | 'invalid' {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) return buf.length > MAX_HEAD_BYTES ? 'invalid' : null;
  if (end > MAX_HEAD_BYTES) return 'invalid';
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const start = lines[0]!;
  let parts: [string, string, string] | undefined;
  if (kind === 'request') {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/1\.[01])$/.exec(start);
    if (m) parts = [m[1]!, m[2]!, m[3]!];
  } else {
    const m = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(start);
    if (m) parts = [m[1]!, m[2]!, m[3] ?? ''];
  }
  if (!parts) return 'invalid';
  const headers = new Map<string, string>();
  let conflicting = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /\s/.test(line[colon - 1]!)) return 'invalid';
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers.get(name);
    if (prev !== undefined) {
      if (name === 'content-length' && prev !== value) conflicting = true;
      headers.set(name, `${prev}, ${value}`);
    } else headers.set(name, value);
  }
  return { startLine: parts, headers, length: end + 4, conflicting };
}

/** Whether the last transfer coding is chunked; `undefined` when there is no Transfer-Encoding. */
export function isChunked(head: MessageHead): boolean | undefined {
  const te = head.headers.get('transfer-encoding');
  if (te === undefined) return undefined;
  const codings = te.toLowerCase().split(',').map((s) => s.trim());
  return codings[codings.length - 1] === 'chunked';
}

/** The Content-Length value, `undefined` when absent, NaN when invalid. */
export function contentLength(head: MessageHead): number | undefined {
  const v = head.headers.get('content-length');
  if (v === undefined) return undefined;
  return /^\d{1,15}$/.test(v) ? Number(v) : Number.NaN;
}

/** Whether the connection stays open after this message (HTTP/1.1 unless `close`; HTTP/1.0 only with `keep-alive`). */
export function keepsAlive(head: MessageHead, version: string): boolean {
  const tokens = (head.headers.get('connection') ?? '').toLowerCase().split(',').map((s) => s.trim());
  if (tokens.includes('close')) return false;
  return version === 'HTTP/1.1' || tokens.includes('keep-alive');
}
