import { redactHeaders } from './http.ts';

/** One captured phone request: what `fleetbed run --capture` writes, one JSON object per line. */
export interface CapturedRequest {
  method: string;
  path: string;
  /** Authorization and X-Factory-Credential redacted. */
  headers: Record<string, string>;
  body?: string;
}

/** The NDJSON line for a request (secrets redacted: credential headers, and passwords and tokens in any body). */
export function captureLine(r: { method: string; path: string; headers: Record<string, string>; body?: string }): string {
  let body = r.body;
  if (body !== undefined) body = body.replace(/("(?:password|refresh_token|token)"\s*:\s*)"[^"]*"/g, '$1"[REDACTED]"').replace(/((?:password|refresh_token|token)=)[^&]*/g, '$1[REDACTED]');
  const line: CapturedRequest = { method: r.method, path: r.path, headers: redactHeaders(r.headers), ...(body !== undefined ? { body } : {}) };
  return JSON.stringify(line) + '\n';
}
