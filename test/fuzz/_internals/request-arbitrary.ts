import fc from 'fast-check';
import type { OperationObject, ParameterObject, PathItemObject } from '../../../contract/openapi.ts';
import { hostileString, RAW_JSON_TEXTS, RAW_NUMBER_TOKENS, repeated, wrongTyped } from './hostile.ts';
import { schemaArbitrary, validArbitrary, type JsonSchema, type SchemaContext } from './schema-arbitrary.ts';

/** One request as the fuzzer sends it. */
export interface FuzzRequest {
  method: string;
  /** Path and query, already encoded. */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The credentials a request may carry, by the security scheme of its operation. */
export interface AuthSource {
  /** Header sets for an operation with these security schemes (empty: public). */
  headers(schemes: readonly string[]): fc.Arbitrary<Record<string, string>>;
}

/** One documented operation with everything a request needs. */
export interface FuzzOperation {
  method: string;
  path: string;
  operationId: string;
  op: OperationObject;
  parameters: ParameterObject[];
}

/** Every operation of `doc`, with path-level parameters merged in. */
export function fuzzOperations(doc: { paths: Record<string, PathItemObject> }): FuzzOperation[] {
  const out: FuzzOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = item[method];
      if (!op) continue;
      out.push({ method: method.toUpperCase(), path, operationId: op.operationId, op, parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])] });
    }
  }
  return out;
}

/** Percent-encode a path segment byte by byte (lone surrogates become U+FFFD, as a client would send them). */
function encodeSegment(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** What an HTTP client can put in a header value: visible latin-1, no CR, LF or NUL. */
function headerSafe(s: string): string {
  return s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').trim();
}

/** Path segments sent as they are, not encoded: broken escapes, dot segments, encoded slashes and NULs. */
const RAW_SEGMENTS = ['%', '%ZZ', '%C0%80', '%FF', '%00', '..', '.', '%2F', '%2e%2e', '', '1%20', '1;x=1', '1?', '1#'];

function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : typeof v === 'number' && Object.is(v, -0) ? '-0' : JSON.stringify(v) ?? String(v);
}

function paramValue(p: ParameterObject, ctx: SchemaContext): fc.Arbitrary<string> {
  return fc.oneof({ weight: 6, arbitrary: schemaArbitrary(p.schema, ctx, p.name).map(scalarText) }, { weight: 1, arbitrary: hostileString });
}

function pathArbitrary(o: FuzzOperation, ctx: SchemaContext): fc.Arbitrary<string> {
  const names = [...o.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  if (!names.length) return fc.constant(o.path);
  const params = names.map((n) => o.parameters.find((p) => p.in === 'path' && p.name === n) ?? { name: n, in: 'path' as const, schema: { type: 'string' } });
  const segment = (p: ParameterObject) => fc.oneof({ weight: 12, arbitrary: paramValue(p, ctx).map(encodeSegment) }, { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) });
  return fc.tuple(...params.map(segment)).map((values) => {
    let i = 0;
    return o.path.replace(/\{[^}]+\}/g, () => values[i++]!);
  });
}

function queryArbitrary(o: FuzzOperation, ctx: SchemaContext): fc.Arbitrary<string> {
  const query = o.parameters.filter((p) => p.in === 'query');
  const pairs = query.map((p) =>
    fc.oneof(
      { weight: p.required ? 8 : 2, arbitrary: paramValue(p, ctx).map((v) => [[p.name, v]]) },
      { weight: p.required ? 1 : 2, arbitrary: fc.constant([] as string[][]) },
      { weight: 1, arbitrary: fc.tuple(paramValue(p, ctx), paramValue(p, ctx)).map(([a, b]) => [[p.name, a], [p.name, b]]) },
    ),
  );
  const extra = fc.oneof({ weight: 8, arbitrary: fc.constant([] as string[][]) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', '__proto__', 'limit[]', ''), hostileString).map(([k, v]) => [[k, v]]) });
  return fc.tuple(fc.tuple(...pairs), extra, fc.constantFrom('', '', '', '&', '&&', '#frag')).map(([ps, ex, tail]) => {
    const all = [...ps.flat(), ...ex];
    const qs = all.map(([k, v]) => `${encodeSegment(k!)}=${encodeSegment(v!)}`).join('&');
    return qs || tail ? `?${qs}${tail === '#frag' ? '' : tail}` : '';
  });
}

function headerParamsArbitrary(o: FuzzOperation, ctx: SchemaContext): fc.Arbitrary<Record<string, string>> {
  const hs = o.parameters.filter((p) => p.in === 'header');
  return fc.tuple(...hs.map((p) => fc.option(paramValue(p, ctx).map(headerSafe), { freq: p.required ? 8 : 2, nil: undefined }))).map((values) =>
    Object.fromEntries(hs.flatMap((p, i) => (values[i] === undefined ? [] : [[p.name.toLowerCase(), values[i]!]]))),
  );
}

/** Replace the first scalar JSON value of `text` with `token` (`{"a":-0}`): numbers JSON.stringify never writes. */
function withRawToken(text: string, token: string): string {
  return text.replace(/:("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)/, `:${token}`);
}

interface Body {
  contentType?: string;
  body: string;
}

function jsonBodyArbitrary(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<string> {
  const value = schemaArbitrary(schema, ctx);
  return fc.oneof(
    { weight: 12, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 2, arbitrary: fc.tuple(validArbitrary(schema, ctx), fc.constantFrom(...RAW_NUMBER_TOKENS)).map(([v, t]) => withRawToken(JSON.stringify(v) ?? 'null', t)) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_JSON_TEXTS) },
    { weight: 1, arbitrary: validArbitrary(schema, ctx).map((v) => `${JSON.stringify(v)}\u0000garbage`) },
  );
}

function formBodyArbitrary(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<string> {
  const value = schemaArbitrary(schema, ctx);
  return fc.oneof(
    {
      weight: 10,
      arbitrary: value.map((v) =>
        v !== null && typeof v === 'object' && !Array.isArray(v)
          ? Object.entries(v)
              .map(([k, x]) => `${encodeURIComponent(k)}=${encodeSegment(scalarText(x))}`)
              .join('&')
          : scalarText(v),
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom('=', '&&&', 'grant_type', 'grant_type=password&grant_type=refresh_token', 'a=%ZZ', 'a=%00', '%', `a=${repeated('b', 1_100_000)}`, 'grant_type[]=password', '__proto__=x') },
  );
}

function ndjsonBodyArbitrary(lineSchema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<string> {
  const line = fc.oneof(
    { weight: 10, arbitrary: schemaArbitrary(lineSchema, ctx).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '[]', '\r', repeated('x', 5000), `{"serial":"${repeated('A', 5000)}"}`, '\u0000') },
  );
  return fc.tuple(fc.array(line, { minLength: 0, maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\n\n'), fc.boolean()).map(([lines, sep, trailing]) => lines.join(sep) + (trailing ? sep : ''));
}

/** Media types a route may not list: each must be a 415 (or the OAuth routes' invalid_request). */
const OTHER_MEDIA_TYPES = ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'application/x-ndjson', 'application/json', 'application/*', '*/*', 'application/jsonx', 'application/json\t', 'x/y; a="b'];

function bodyArbitrary(o: FuzzOperation, ctx: SchemaContext): fc.Arbitrary<Body | undefined> {
  const content = o.op.requestBody?.content;
  if (!content) {
    // A bodiless route: usually no body, sometimes a Content-Type alone, sometimes a body it must refuse.
    return fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom(...OTHER_MEDIA_TYPES).map((contentType) => ({ contentType, body: '' })) },
      { weight: 1, arbitrary: fc.tuple(fc.option(fc.constantFrom(...OTHER_MEDIA_TYPES), { nil: undefined }), fc.constantFrom('{}', 'x', '{"a":1}')).map(([contentType, body]) => ({ contentType, body })) },
    );
  }
  const listed = Object.entries(content).map(([type, media]) => {
    const schema = media.schema as JsonSchema;
    const lineRef = media['x-fleetbed-line-schema'] as JsonSchema | undefined;
    const body = type === 'application/x-www-form-urlencoded' ? formBodyArbitrary(schema, ctx) : type === 'application/x-ndjson' && lineRef ? ndjsonBodyArbitrary(lineRef, ctx) : jsonBodyArbitrary(schema, ctx);
    const spelled = fc.constantFrom(type, type, type, type.toUpperCase(), `${type}; charset=utf-8`, `${type}; charset=latin1`, ` ${type} `);
    return fc.tuple(spelled, body).map(([contentType, b]) => ({ contentType, body: b }) as Body);
  });
  const anyBody = fc.oneof(...listed).map((b) => b.body);
  return fc.oneof(
    { weight: 16, arbitrary: fc.oneof(...listed) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...OTHER_MEDIA_TYPES), anyBody).map(([contentType, body]) => ({ contentType, body })) },
    { weight: 1, arbitrary: anyBody.map((body) => ({ body })) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** Headers nobody asked for: spoofed forwarding, odd lengths, a second credential. */
const STRAY_HEADERS = fc.oneof(
  { weight: 10, arbitrary: fc.constant({} as Record<string, string>) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x-forwarded-for', 'x-account-id', 'accept', 'accept-encoding', 'x-http-method-override', 'cookie'), hostileString).map(([k, v]) => ({ [k]: headerSafe(v) })) },
  { weight: 1, arbitrary: wrongTyped.map((v) => ({ 'idempotent-replayed': headerSafe(scalarText(v)) })) },
);

/** An arbitrary request to operation `o`: path, query, credentials, header parameters and a body in each listed media type (and others). */
export function requestArbitrary(o: FuzzOperation, ctx: SchemaContext, auth: AuthSource): fc.Arbitrary<FuzzRequest> {
  const schemes = o.op.security.flatMap((s) => Object.keys(s));
  return fc
    .record({ path: pathArbitrary(o, ctx), query: queryArbitrary(o, ctx), auth: auth.headers(schemes), params: headerParamsArbitrary(o, ctx), stray: STRAY_HEADERS, body: bodyArbitrary(o, ctx) })
    .map(({ path, query, auth: a, params, stray, body }) => {
      const headers: Record<string, string> = { ...stray, ...a, ...params };
      if (body?.contentType !== undefined) headers['content-type'] = headerSafe(body.contentType) || 'text/plain';
      return { method: o.method, url: path + query, headers, ...(body ? { body: body.body } : {}) };
    });
}
