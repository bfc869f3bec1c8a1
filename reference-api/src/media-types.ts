import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { openapi, type PathItemObject } from '../../contract/openapi.ts';
import { ApiError } from './errors.ts';

/**
 * Request media types, from the contract: every route accepts exactly the
 * types its OpenAPI operation lists under `requestBody.content`
 * (contract/openapi.ts), and answers anything else 415 unsupported-media-type
 * before its body is read, so nothing is written. A route that documents no
 * request body accepts none: a request to it that carries a body is a 415,
 * while a Content-Type header on a request without a body (GET, DELETE, the
 * bodiless POSTs) is ignored. The OAuth routes turn the 415 into their RFC
 * 6749 invalid_request, as for any unreadable body (see app.ts).
 *
 * Found by issue #18: a global form parser (meant for the OAuth routes) let
 * POST /v2/accounts create an account from an HTML form post.
 */

/** Method and Fastify path (`/v2/devices/:deviceId`) → the accepted media types (lower case), or null when the route takes no body. */
export function documentedMediaTypes(doc: { paths: Record<string, PathItemObject> } = openapi as unknown as { paths: Record<string, PathItemObject> }): Map<string, ReadonlySet<string> | null> {
  const out = new Map<string, ReadonlySet<string> | null>();
  for (const [path, item] of Object.entries(doc.paths)) {
    const url = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters' || op === undefined || typeof op !== 'object' || !('responses' in op)) continue;
      const content = op.requestBody?.content;
      out.set(`${method.toUpperCase()} ${url}`, content ? new Set(Object.keys(content).map((t) => t.toLowerCase())) : null);
    }
  }
  return out;
}

/** Whether the request carries a body (RFC 9112 §6.3: a Transfer-Encoding, or a non-zero Content-Length). */
function hasBody(headers: FastifyRequest['headers']): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The media type of a Content-Type value: type/subtype, lower case, parameters dropped. */
function mediaTypeOf(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * The preParsing hook of one route (after its onRequest hooks, so a caller
 * who is not authenticated gets the 401 first).
 */
function mediaTypeGate(route: string, accepted: ReadonlySet<string> | null) {
  const list = accepted ? [...accepted].join(' or ') : '';
  return (request: FastifyRequest, _reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void): void => {
    const headers = request.headers;
    const contentType = headers['content-type'];
    if (accepted === null) {
      if (hasBody(headers)) {
        done(new ApiError('unsupported-media-type', `${route} takes no request body; received one${contentType === undefined ? '' : ` of type ${JSON.stringify(contentType)}`}. Send the request without a body. Nothing was written.`, { field: 'Content-Type' }));
        return;
      }
      // No body to parse, whatever the header says (an empty application/json body would otherwise be a 400).
      if (contentType !== undefined) delete headers['content-type'];
      done(null, payload);
      return;
    }
    if (contentType === undefined) {
      if (hasBody(headers)) {
        done(new ApiError('unsupported-media-type', `${route} takes a body of type ${list}; received a body with no Content-Type. Nothing was written.`, { field: 'Content-Type' }));
        return;
      }
      done(null, payload); // no body: the schema says what is missing
      return;
    }
    if (!accepted.has(mediaTypeOf(contentType))) {
      done(new ApiError('unsupported-media-type', `${route} takes a body of type ${list}; received Content-Type ${JSON.stringify(contentType.slice(0, 100))}. Nothing was written.`, { field: 'Content-Type' }));
      return;
    }
    done(null, payload);
  };
}

/**
 * Gate every route registered after this call by the media types the
 * contract documents for it (one place, keyed by method and path). A route
 * the contract does not document is a startup error: the contract is the
 * list of routes (test/contract/conformance.test.ts checks the converse).
 */
export function enforceDocumentedMediaTypes(app: FastifyInstance, documented = documentedMediaTypes()): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const gates = new Map<string, ReturnType<typeof mediaTypeGate>>();
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue; // Fastify's automatic HEAD of a GET route
      const key = `${method} ${route.url}`;
      if (!documented.has(key)) throw new Error(`route ${key} is not documented in contract/openapi.ts; add it there (its requestBody decides the media types it accepts)`);
      gates.set(method, mediaTypeGate(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`, documented.get(key)!));
    }
    if (gates.size === 0) return;
    const only = gates.size === 1 ? [...gates.values()][0]! : undefined;
    const gate: ReturnType<typeof mediaTypeGate> = only ?? ((request, reply, payload, done) => gates.get(request.method)!(request, reply, payload, done));
    const existing = route.preParsing;
    route.preParsing = [...(existing === undefined ? [] : [existing].flat()), gate as never];
  });
}
