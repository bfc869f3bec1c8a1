import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { openapi, openapiJson, operations, legacySchemeName, HTTP_METHODS, type PathItemObject, type OperationObject } from './openapi.ts';
import { LEGACY_MEDIA_TYPE } from './legacy/dialect.ts';
import { DIALECTS } from './legacy/dialects.ts';
import { schemas } from './schemas.ts';
import { PROBLEMS, type ProblemCode } from './problem.ts';

const JSON_PATH = fileURLToPath(new URL('./openapi.json', import.meta.url));
const doc = JSON.parse(openapiJson()) as Record<string, unknown> & { paths: Record<string, PathItemObject> };

/** Every [path, method, operation] of the document. */
const ops: Array<[string, string, OperationObject]> = Object.entries(doc.paths).flatMap(([path, item]) =>
  HTTP_METHODS.flatMap((m) => (item[m] ? [[path, m, item[m]] as [string, string, OperationObject]] : [])),
);

/** Every `$ref` in `node`, with the JSON pointer where it sits. */
function refs(node: unknown, at = ''): Array<{ at: string; ref: string }> {
  if (Array.isArray(node)) return node.flatMap((v, i) => refs(v, `${at}/${i}`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [{ at, ref: v }] : refs(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`)));
}

function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** An Ajv (JSON Schema 2020-12, strict) that knows the components, so 'openapi#/components/schemas/X' resolves. */
function ajvOverDocument() {
  const ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true });
  formats.default(ajv);
  ajv.addKeyword({ keyword: 'components' });
  ajv.addSchema({ $id: 'openapi', components: doc.components });
  return ajv;
}
/** `schema` taken out of the document, its local refs pointed back into it. */
const rebased = (schema: unknown): object => JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"openapi#/'));

describe('contract/openapi.json', () => {
  it('is exactly what contract/openapi.ts generates (run `npm run openapi:emit` after changing the document)', () => {
    expect(readFileSync(JSON_PATH, 'utf8')).toBe(openapiJson());
  });

  it('is deterministic and key-sorted, so source reordering never churns it', () => {
    expect(openapiJson()).toBe(openapiJson(JSON.parse(openapiJson())));
    expect(Object.keys(doc).slice(0, 2)).toEqual(['openapi', 'info']);
  });
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and takes its schemas from schemas.ts, not a copy', () => {
    expect(openapi.openapi).toBe('3.1.0');
    expect(openapi.components.schemas).toBe(schemas);
  });

  it('has no dangling $ref', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(20);
    const dangling = all.filter(({ ref }) => resolvePointer(doc, ref) === undefined);
    expect(dangling).toEqual([]);
  });

  it('gives every operation a unique operationId', () => {
    const ids = ops.map(([, , op]) => op.operationId);
    expect(ids.every((id) => /^[a-z][A-Za-z0-9]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares every path parameter, required, and no parameter the path lacks', () => {
    for (const [path, method, op] of ops) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = [...(doc.paths[path]!.parameters ?? []), ...(op.parameters ?? [])].filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), `${method} ${path}`).toEqual(inPath);
      expect(declared.every((p) => p.required === true), `${method} ${path}`).toBe(true);
    }
  });

  it('has schemas that compile as strict JSON Schema 2020-12, every media type included', () => {
    const ajv = ajvOverDocument();
    for (const name of Object.keys(schemas)) expect(ajv.getSchema(`openapi#/components/schemas/${name}`), name).toBeTypeOf('function');
    let compiled = 0;
    for (const { at } of refs(doc).filter(({ at }) => at.includes('/content/'))) {
      const mediaSchema = resolvePointer(doc, `#${at}`);
      expect(() => ajv.compile(rebased(mediaSchema)), at).not.toThrow();
      compiled++;
    }
    expect(compiled).toBeGreaterThan(40);
  });

  it('answers every response with a described body schema named in components.schemas', () => {
    for (const [path, method, op] of ops) {
      for (const [status, r] of Object.entries(op.responses)) {
        expect(r.description, `${method} ${path} ${status}`).toBeTruthy();
        for (const [type, media] of Object.entries(r.content ?? {})) {
          expect(media.schema.$ref, `${method} ${path} ${status} ${type}`).toMatch(/^#\/components\/schemas\/\w+$/);
        }
      }
    }
  });

  it('documents errors as problems whose codes carry the HTTP status problem.ts gives them', () => {
    for (const [path, method, op] of ops) {
      for (const [status, r] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const types = Object.keys(r.content ?? {});
        const oauth = op.tags.includes('oauth') && types.includes('application/json');
        const health = op.operationId === 'getReadiness';
        expect(types.includes('application/problem+json') || oauth || health, `${method} ${path} ${status}`).toBe(true);
        const problem = r.content?.['application/problem+json']?.schema as { properties: { status: { const: number }; code: { enum: ProblemCode[] } } } | undefined;
        if (!problem) continue;
        expect(problem.properties.status.const).toBe(Number(status));
        for (const code of problem.properties.code.enum) expect(PROBLEMS[code].status, `${method} ${path} ${code}`).toBe(Number(status));
      }
    }
  });

  it('states how each route authenticates, and documents the refusals that go with it', () => {
    const schemes = Object.keys(openapi.components.securitySchemes);
    const codes = (op: OperationObject, status: number) =>
      (op.responses[status]?.content?.['application/problem+json']?.schema as { properties?: { code?: { enum?: string[] } } } | undefined)?.properties?.code?.enum ?? [];
    for (const [path, method, op] of ops) {
      const used = op.security.flatMap((s) => Object.keys(s));
      expect(used.every((s) => schemes.includes(s)), `${method} ${path}`).toBe(true);
      if (used.includes('phoneBearer')) expect(codes(op, 401), `${method} ${path}`).toContain('unauthenticated');
      if (used.some((u) => u.startsWith('legacy'))) {
        expect(codes(op, 401), `${method} ${path}`).toContain('legacy-unauthenticated');
        expect(codes(op, 410), `${method} ${path}`).toContain('legacy-retired');
      }
      if (used.includes('factoryCredential')) {
        expect(codes(op, 401), `${method} ${path}`).toContain('factory-credential-required');
        expect(codes(op, 403), `${method} ${path}`).toContain('forbidden');
      }
    }
  });

  it('tags every operation with a declared tag, and marks exactly the testbed hooks as test-mode only', () => {
    const declared = (doc.tags as Array<{ name: string }>).map((t) => t.name);
    for (const [path, method, op] of ops) {
      expect(op.tags.every((t) => declared.includes(t)), `${method} ${path}`).toBe(true);
      const testbed = path.startsWith('/testbed/');
      expect(op.tags.includes('testbed'), `${method} ${path}`).toBe(testbed);
      expect(op['x-fleetbed-test-mode-only'] === true, `${method} ${path}`).toBe(testbed);
      if (testbed) expect(op.description).toMatch(/only when the platform runs in test mode/);
    }
  });
});

describe('the legacy v1 operations', () => {
  it('are generated from the dialects: two a line, each with its own security scheme, media type and, when deprecated, Deprecation and Sunset on every answer', () => {
    for (const d of DIALECTS) {
      const item = doc.paths[`${d.basePath}/sessions`]!;
      const scheme = (openapi.components.securitySchemes as Record<string, { type: string; in?: string; name?: string }>)[legacySchemeName(d.line)];
      expect(scheme, d.line).toMatchObject(d.auth.kind === 'basic' ? { type: 'http' } : { type: 'apiKey', in: d.auth.kind === 'api-key' ? 'header' : 'query', name: d.auth.kind === 'api-key' ? d.auth.header : d.auth.tokenParam });
      for (const op of [item.post!, item.get!]) {
        expect(op.security, d.line).toEqual([{ [legacySchemeName(d.line)]: [] }]);
        expect(op.tags).toEqual(['legacy']);
        expect(op.deprecated === true, d.line).toBe(d.deprecated);
        for (const [status, r] of Object.entries(op.responses)) {
          expect(Boolean(r.headers?.Deprecation && r.headers?.Sunset), `${d.line} ${status}`).toBe(d.deprecated);
        }
        expect(Boolean(op.responses[401]!.headers?.['WWW-Authenticate']), d.line).toBe(d.auth.kind === 'basic');
      }
      expect(Object.keys(item.post!.requestBody!.content)).toEqual([LEGACY_MEDIA_TYPE[d.encoding]]);
    }
  });
});

describe('operations()', () => {
  it('flattens every operation with its statuses and body schemas', () => {
    const list = operations();
    expect(list).toHaveLength(ops.length);
    expect(list.find((o) => o.operationId === 'getDevice')).toEqual({
      method: 'GET',
      path: '/v2/devices/{deviceId}',
      operationId: 'getDevice',
      testModeOnly: false,
      security: ['phoneBearer'],
      responses: { 200: '#/components/schemas/Device', 400: '#/components/schemas/Problem', 401: '#/components/schemas/Problem', 404: '#/components/schemas/Problem', 415: '#/components/schemas/Problem' },
      mediaTypes: { 200: ['application/json'], 400: ['application/problem+json'], 401: ['application/problem+json'], 404: ['application/problem+json'], 415: ['application/problem+json'] },
    });
    expect(list.find((o) => o.operationId === 'unbondDevice')?.responses[204]).toBeNull();
    expect(list.find((o) => o.operationId === 'issueToken')?.mediaTypes[400]).toEqual(['application/json']);
    expect(list.filter((o) => o.testModeOnly).map((o) => `${o.method} ${o.path}`)).toEqual([
      'GET /testbed/clock',
      'PUT /testbed/clock',
      'GET /testbed/digest',
      'POST /testbed/jobs/{name}',
      'PUT /testbed/legacy/lines/{line}/revisions',
      'POST /testbed/legacy/users',
      'PUT /testbed/legacy/faults',
    ]);
  });
});
