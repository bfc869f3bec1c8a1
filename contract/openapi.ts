/**
 * The OpenAPI 3.1 document of every route the reference API serves, built from
 * the same JSON Schemas the API validates with (schemas.ts), so the two cannot
 * drift. `npm run openapi:emit` writes it to contract/openapi.json; a test fails
 * when the committed file differs, and test/contract/conformance.test.ts checks
 * the running API against it (no undocumented route, every answer documented).
 *
 * Adding a route is one entry in `paths` below, for example:
 *
 *   '/v2/ota/rollouts/{rolloutId}': {
 *     parameters: [rolloutIdParam],
 *     get: {
 *       operationId: 'getRollout',
 *       tags: ['ota'],                       // and add { name: 'ota', ... } to TAGS
 *       summary: 'One staged rollout',
 *       security: FACTORY,
 *       responses: respond(
 *         { 200: json('Rollout', 'The rollout and its stages.') },   // 'Rollout' added to schemas.ts
 *         problems(INVALID, FACTORY_REFUSALS, { 404: ['not-found'] }),
 *       ),
 *     },
 *   },
 *
 * Rules the tests hold every entry to: a unique operationId; every response
 * body is a `$ref` into components.schemas (add new shapes to schemas.ts);
 * every error the route can answer is listed, each problem code under the HTTP
 * status contract/problem.ts gives it (the compiler checks this); every
 * `{param}` in the path is declared. Test-mode-only routes go through
 * `testbed({...})`. A new tag goes into TAGS.
 */
import { schemas, params, type SchemaName } from './schemas.ts';
import { PROBLEMS, type OAuthErrorCode, type ProblemCode } from './problem.ts';
import { LEGACY_MEDIA_TYPE, type Dialect } from './legacy/dialect.ts';
import { DIALECTS } from './legacy/dialects.ts';

// ---------------------------------------------------------------- document types

export const HTTP_METHODS = Object.freeze(['get', 'put', 'post', 'delete', 'patch'] as const);
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A reference to a named schema of schemas.ts. */
export type SchemaRef = `#/components/schemas/${SchemaName}`;
type JsonSchema = { readonly [keyword: string]: unknown };
/** Response bodies always name their schema; they may narrow it with sibling keywords. */
type RefSchema = { readonly $ref: SchemaRef; readonly [keyword: string]: unknown };

export interface MediaTypeObject<S extends JsonSchema = JsonSchema> {
  schema: S;
  [extension: `x-${string}`]: unknown;
}

export interface HeaderObject {
  description: string;
  /** True when every response of this status carries the header. */
  required?: boolean;
  schema: JsonSchema;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, MediaTypeObject<RefSchema>>;
}

/** Keys are HTTP status codes. */
export type Responses = Record<number, ResponseObject>;

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface RequestBodyObject {
  required: boolean;
  description?: string;
  content: Record<string, MediaTypeObject>;
}

export interface OperationObject {
  operationId: string;
  tags: readonly [Tag, ...Tag[]];
  summary: string;
  description?: string;
  /** Empty for public routes; otherwise the schemes of securitySchemes, any one of which suffices. */
  security: ReadonlyArray<Partial<Record<SecuritySchemeName, readonly string[]>>>;
  /** Still served, to be retired (the legacy lines marked deprecated): answers carry Deprecation and Sunset. */
  deprecated?: true;
  parameters?: readonly ParameterObject[];
  requestBody?: RequestBodyObject;
  responses: Responses;
  /** Served only when the platform runs in test mode; 404 otherwise. */
  'x-fleetbed-test-mode-only'?: true;
}

export type PathItemObject = { parameters?: readonly ParameterObject[] } & { [M in HttpMethod]?: OperationObject };

// ---------------------------------------------------------------- building blocks

const TAGS = [
  { name: 'health', description: 'Liveness and readiness probes.' },
  { name: 'accounts', description: 'Consumer accounts (humans, who own devices).' },
  { name: 'oauth', description: 'OAuth 2.0 (RFC 6749) token endpoint and RFC 7009 revocation, for phones. Errors are RFC 6749 §5.2 JSON, not problems.' },
  { name: 'factory', description: 'Factory provisioning of devices and their Ed25519 public keys. Factory credential only.' },
  { name: 'devices', description: "The owner's view of their devices. A device of another account is a 404, like one that does not exist." },
  { name: 'bonding', description: 'Pairing a device to an account with a device-signed button-press proof (contract/bond-proof.ts), and unpairing.' },
  { name: 'uploads', description: 'Phones relay device-signed session records (contract/record.ts); the platform verifies every signature and answers a verdict per record.' },
  { name: 'sessions', description: "The owner's view of a device's brushing sessions." },
  { name: 'care', description: 'The care-provider tier: patients grant consent; a provider reads a consenting patient’s sessions, and every such identity-telemetry join is audited.' },
  {
    name: 'ota',
    description:
      'Over-the-air updates: firmware releases signed by a trusted release key (contract/ota.ts), staged rollouts with stable cohorts and health and failure gates ' +
      '(contract/ota-rollout.ts), offers to phones, and device-signed OTA reports (contract/ota-report.ts). Releases and rollouts are operator routes.',
  },
  {
    name: 'legacy',
    description:
      'The legacy v1 device APIs of the eight product lines (contract/legacy/dialects.ts), generated from their dialects: each line\'s own body encoding, ' +
      'authentication and User-Agent. Records are not device-signed; a record for a device that signs v2 records is refused. ' +
      'In dual-write each accepted record is written to the line\'s legacy store and to v2; a retired line answers 410.',
  },
  {
    name: 'legacy-migration',
    description:
      'The strangler-fig migration of the legacy lines (operator): migration state legacy-only → dual-write → reads-cut-over → v2-only, ' +
      'the cutover gate (N consecutive clean nights), the v1→v2 mapping, and the nightly reconciliation reports.',
  },
  { name: 'testbed', description: 'Testbed hooks: exist only when the platform runs in test mode, and answer 404 otherwise.' },
] as const;
type Tag = (typeof TAGS)[number]['name'];

const securitySchemes = {
  phoneBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'opaque (at_…)',
    description: 'An OAuth 2.0 access token from POST /v2/oauth/token (client_id fleetbed-phone), of a consumer or care-provider account. Refresh tokens are refused here.',
  },
  factoryCredential: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Factory-Credential',
    description: 'The factory secret. Factory routes refuse OAuth tokens (403 forbidden).',
  },
  ...legacySecuritySchemes(),
} as const;
type SecuritySchemeName = keyof typeof securitySchemes;

/** Public route: no credential. */
const PUBLIC = [] as const;
/** A phone's OAuth access token. */
const PHONE = [{ phoneBearer: [] }] as const;
/** The factory credential header. */
const FACTORY = [{ factoryCredential: [] }] as const;

const PROBLEM_JSON = 'application/problem+json';
const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';
const NDJSON_TYPE = 'application/x-ndjson';

const schemaRef = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` as const });

/** A required JSON request body of schema `name`. */
function jsonBody(name: SchemaName, description?: string): RequestBodyObject {
  return { required: true, ...(description ? { description } : {}), content: { [JSON_TYPE]: { schema: schemaRef(name) } } };
}

/** A JSON response of schema `name`. */
function json(name: SchemaName, description: string, headers?: Record<string, HeaderObject>): ResponseObject {
  return { description, ...(headers ? { headers } : {}), content: { [JSON_TYPE]: { schema: schemaRef(name) } } };
}

/** A response without a body. */
const empty = (description: string, headers?: Record<string, HeaderObject>): ResponseObject => ({ description, ...(headers ? { headers } : {}) });

type ProblemStatus = (typeof PROBLEMS)[ProblemCode]['status'];
type CodesWithStatus<S extends number> = { [C in ProblemCode]: (typeof PROBLEMS)[C]['status'] extends S ? C : never }[ProblemCode];
/** HTTP status → the problem codes a route answers with it (the compiler checks that each code has that status). */
type ProblemMap = { [S in ProblemStatus]?: ReadonlyArray<CodesWithStatus<S>> };

/**
 * RFC 9457 problem responses, one per status, narrowing Problem to the codes
 * listed. Several maps merge (codes of the same status are concatenated).
 */
function problems(...maps: ProblemMap[]): Responses {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const map of maps) {
    for (const [status, codes] of Object.entries(map) as Array<[string, readonly ProblemCode[]]>) {
      const list = byStatus.get(Number(status)) ?? [];
      for (const c of codes) if (!list.includes(c)) list.push(c);
      byStatus.set(Number(status), list);
    }
  }
  const out: Responses = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[status] = {
      description: `Problem: ${codes.map((c) => `${c} (${PROBLEMS[c].title})`).join('; ')}.`,
      content: {
        [PROBLEM_JSON]: {
          schema: { ...schemaRef('Problem'), properties: { status: { const: status }, code: { enum: codes } } },
        },
      },
    };
  }
  return out;
}

/** Problem responses whose body is schema `name` (an extension of Problem) rather than Problem itself. */
function problemsOf(name: SchemaName, ...maps: ProblemMap[]): Responses {
  const out = problems(...maps);
  for (const r of Object.values(out)) {
    const media = r.content![PROBLEM_JSON]!;
    media.schema = { ...media.schema, $ref: schemaRef(name).$ref };
  }
  return out;
}

/** RFC 6749 §5.2 errors (`application/json`, OAuthError) of the token and revocation endpoints. */
function oauthErrors(map: { 400?: readonly Exclude<OAuthErrorCode, 'invalid_client'>[]; 401?: readonly 'invalid_client'[] }): Responses {
  const out: Responses = {};
  for (const [status, errors] of Object.entries(map) as Array<[string, readonly OAuthErrorCode[]]>) {
    out[Number(status)] = {
      description: `OAuth error (RFC 6749 §5.2): ${errors.join(', ')}.`,
      headers: { 'Cache-Control': NO_STORE },
      content: { [JSON_TYPE]: { schema: { ...schemaRef('OAuthError'), properties: { error: { enum: errors } } } } },
    };
  }
  return out;
}

/** Merge response maps; one status may answer several media types (token: OAuthError or Problem). */
function respond(...parts: Responses[]): Responses {
  const out: Responses = {};
  for (const part of parts) {
    for (const [key, r] of Object.entries(part)) {
      const status = Number(key);
      const prev = out[status];
      if (!prev) {
        out[status] = r;
        continue;
      }
      const headers = prev.headers || r.headers ? { ...prev.headers, ...r.headers } : undefined;
      // A header set on only one of the media types is not promised for the status.
      const common = headers && prev.headers && r.headers ? Object.fromEntries(Object.entries(headers).filter(([h]) => h in prev.headers! && h in r.headers!)) : undefined;
      out[status] = {
        description: `${prev.description} Or ${r.description.charAt(0).toLowerCase()}${r.description.slice(1)}`,
        ...(common && Object.keys(common).length ? { headers: common } : {}),
        content: { ...prev.content, ...r.content },
      };
    }
  }
  return out;
}

const NO_STORE: HeaderObject = { description: 'Token responses are never cached.', required: true, schema: { type: 'string', const: 'no-store' } };

/** Any body the server cannot read: not JSON, too large, or of a media type the operation's requestBody does not list. */
const UNREADABLE_BODY = {
  400: ['malformed-json'],
  413: ['payload-too-large'],
  415: ['unsupported-media-type'],
} as const satisfies ProblemMap;
/**
 * An operation without a request body accepts none: a request that carries one (any type) is a 415 and
 * changes nothing. A Content-Type header on a request without a body is ignored.
 */
const NO_BODY = { 415: ['unsupported-media-type'] } as const satisfies ProblemMap;
/** Request body or path parameters that do not match their schema. */
const INVALID = { 400: ['validation-failed'] } as const satisfies ProblemMap;
const UNAUTHENTICATED = { 401: ['unauthenticated'] } as const satisfies ProblemMap;
const FACTORY_REFUSALS = { 401: ['factory-credential-required'], 403: ['forbidden'] } as const satisfies ProblemMap;

const TEST_MODE_NOTE = 'Testbed hook: exists only when the platform runs in test mode (404 route-not-found otherwise).';
/** A test-mode-only operation: tagged `testbed`, marked with `x-fleetbed-test-mode-only`. */
function testbed(op: Omit<OperationObject, 'tags' | 'x-fleetbed-test-mode-only' | 'security'>): OperationObject {
  return {
    ...op,
    tags: ['testbed'],
    description: op.description ? `${TEST_MODE_NOTE} ${op.description}` : TEST_MODE_NOTE,
    security: PUBLIC,
    'x-fleetbed-test-mode-only': true,
  };
}

const deviceIdParam: ParameterObject = { name: 'deviceId', in: 'path', required: true, description: params.deviceId.description, schema: params.deviceId };
const releaseIdParam: ParameterObject = { name: 'releaseId', in: 'path', required: true, description: params.releaseId.description, schema: params.releaseId };
const rolloutIdParam: ParameterObject = { name: 'rolloutId', in: 'path', required: true, description: params.rolloutId.description, schema: params.rolloutId };
const jobNameParam: ParameterObject = { name: 'name', in: 'path', required: true, description: params.jobName.description, schema: params.jobName };
const UUID_PARAM = { type: 'string', format: 'uuid', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' } as const;
const accountIdParam = (name: string, description: string): ParameterObject => ({ name, in: 'path', required: true, description, schema: UUID_PARAM });

// ---------------------------------------------------------------- legacy v1 lines (contract/legacy)

function pascal(line: string): string {
  return line.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}
type LegacySchemeName = `legacy${string}`;
/** The security scheme of a legacy line's v1 routes. */
export function legacySchemeName(line: string): LegacySchemeName {
  return `legacy${pascal(line)}`;
}

/** What a deprecated line's answers carry (RFC 9745 Deprecation, RFC 8594 Sunset). */
export const LEGACY_DEPRECATION = '@1735689600';
export const LEGACY_SUNSET = 'Fri, 01 Jan 2027 00:00:00 GMT';

function legacySecurityScheme(d: Dialect) {
  const who = `the user id (${d.userIdScheme})`;
  switch (d.auth.kind) {
    case 'basic':
      return { type: 'http', scheme: 'basic', description: `${d.title}: HTTP Basic, ${who} and the secret the old system issued.` } as const;
    case 'api-key':
      return { type: 'apiKey', in: 'header', name: d.auth.header, description: `${d.title}: the secret the old system issued in header ${d.auth.header}; ${who} in query parameter ${d.auth.userParam}.` } as const;
    case 'query-token':
      return { type: 'apiKey', in: 'query', name: d.auth.tokenParam, description: `${d.title}: the secret the old system issued in query parameter ${d.auth.tokenParam}; ${who} in query parameter ${d.auth.userParam}.` } as const;
  }
}

function legacySecuritySchemes(): Record<LegacySchemeName, ReturnType<typeof legacySecurityScheme>> {
  return Object.fromEntries(DIALECTS.map((d) => [legacySchemeName(d.line), legacySecurityScheme(d)]));
}

/** The request body of a line's upload, in its own encoding. */
function legacyBodySchema(d: Dialect): Record<string, unknown> {
  switch (d.encoding) {
    case 'json':
      return {
        type: 'object',
        required: [d.batchKey],
        description: `{ "${d.batchKey}": [records] }: at most 1000 records, raw fields of the line's dialect.`,
        properties: { [d.batchKey]: { type: 'array', maxItems: 1000, items: schemaRef('LegacyRawRecord') } },
      };
    case 'form':
      return {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'Form fields <name>[<i>]=<value>: record i\'s raw field, records numbered from 0 without gaps, at most 1000.',
      };
    case 'lines':
      return { type: 'string', description: 'One record a line, at most 1000: name=value pairs separated by ";", names and values percent-encoded.' };
  }
}

const DEPRECATION_HEADERS: Record<string, HeaderObject> = {
  Deprecation: { description: 'The line is deprecated (RFC 9745), still served and counted.', required: true, schema: { type: 'string', const: LEGACY_DEPRECATION } },
  Sunset: { description: 'When the line\'s v1 API is to be retired (RFC 8594).', required: true, schema: { type: 'string', const: LEGACY_SUNSET } },
};

/** Add `headers` to every response of `responses` (or those of `statuses`). */
function withHeaders(responses: Responses, headers: Record<string, HeaderObject>, statuses?: number[]): Responses {
  const out: Responses = {};
  for (const [status, r] of Object.entries(responses)) {
    out[Number(status)] = !statuses || statuses.includes(Number(status)) ? { ...r, headers: { ...r.headers, ...headers } } : r;
  }
  return out;
}

/** The two v1 routes of every line, generated from its dialect. */
function legacyV1Paths(): Record<`/v1/${string}`, PathItemObject> {
  const out: Record<`/v1/${string}`, PathItemObject> = {};
  for (const d of DIALECTS) {
    const security = [{ [legacySchemeName(d.line)]: [] }] as const;
    const userParams: ParameterObject[] =
      d.auth.kind === 'basic' ? [] : [{ name: d.auth.userParam, in: 'query', required: true, description: `The user id (${d.userIdScheme}) on ${d.line}.`, schema: { type: 'string', minLength: 1, maxLength: 254 } }];
    const refused = withHeaders(
      problems({ 401: ['legacy-unauthenticated'], 410: ['legacy-retired'] }),
      d.auth.kind === 'basic' ? { 'WWW-Authenticate': { description: 'The Basic challenge of the line.', required: true, schema: { type: 'string', const: `Basic realm="${d.line}"` } } } : {},
      [401],
    );
    const answers = (responses: Responses) => (d.deprecated ? withHeaders(responses, DEPRECATION_HEADERS) : responses);
    const note = `${d.title}. Users are ${d.userIdScheme === 'email' ? 'e-mail addresses (one person on every e-mail line)' : `${d.userIdScheme} ids of this line`}. ` + (d.deprecated ? 'Deprecated but live: every answer carries Deprecation and Sunset, and counts in the line\'s deprecated traffic. ' : '') + 'A retired line (v2-only) answers 410 legacy-retired.';
    out[`${d.basePath}/sessions`] = {
      post: {
        operationId: `upload${pascal(d.line)}V1`,
        tags: ['legacy'],
        summary: `Upload a batch of ${d.line} records (v1, ${d.encoding})`,
        description:
          `${note} Every record is read under the dialect revision deployed for the request's build (User-Agent ${d.appName}/<build>) and gets a verdict: ` +
          'stored; duplicate (the same record again); refused with device-signs-v2 (the device signs v2 records: no unsigned record for it is written), ' +
          'device-not-yours (the serial belongs to another user of the line, or to another person on another line), record-conflict (the record id exists with other content; the first copy stays) ' +
          'or invalid-record (no record id or device serial, or a value out of range). In dual-write the stored records go to v2 too; `v2: pending` says a v2 write ' +
          'is owed (the outbox holds it; the repair job writes it). A body that cannot be read as records, or more than 1000 records, is a 400.',
        security,
        ...(d.deprecated ? { deprecated: true as const } : {}),
        parameters: [
          { name: 'User-Agent', in: 'header', required: true, description: `${d.appName}/<build>: the old app's build picks the dialect revision its records are read under.`, schema: { type: 'string', pattern: `^${d.appName}/[0-9]{1,9}` } },
          ...userParams,
        ],
        requestBody: { required: true, content: { [LEGACY_MEDIA_TYPE[d.encoding]]: { schema: legacyBodySchema(d) } } },
        responses: answers(
          respond(
            { 200: json('LegacyUploadResult', 'A verdict per record.') },
            problems(INVALID, d.encoding === 'json' ? { 400: ['malformed-json'] } : {}, { 413: ['payload-too-large'], 415: ['unsupported-media-type'] }),
            refused,
          ),
        ),
      },
      get: {
        operationId: `read${pascal(d.line)}V1`,
        tags: ['legacy'],
        summary: `The caller's ${d.line} sessions (v1)`,
        description: `${note} Served from the legacy store until the line's reads cut over, from v2 after (source says which). At most 1000 sessions, oldest first; ask again with since = the last startedAt for more.`,
        security,
        ...(d.deprecated ? { deprecated: true as const } : {}),
        parameters: [
          { name: 'since', in: 'query', description: 'Only sessions that started at or after this instant (epoch seconds, decimal).', schema: { type: 'integer', minimum: 0, maximum: 9007199254740991 } },
          ...userParams,
        ],
        responses: answers(respond({ 200: json('LegacyReadResult', 'The sessions, and which store served them.') }, problems(NO_BODY, INVALID), refused)),
      },
    };
  }
  return out;
}

const lineParam: ParameterObject = { name: 'line', in: 'path', required: true, description: params.legacyLine.description, schema: params.legacyLine };
const nightParam: ParameterObject = { name: 'night', in: 'path', required: true, description: params.night.description, schema: params.night };

// ---------------------------------------------------------------- paths

/** Every route the reference API serves, one entry per path. */
const paths = {
  '/healthz': {
    get: {
      operationId: 'getHealth',
      tags: ['health'],
      summary: 'Liveness: the process answers',
      security: PUBLIC,
      responses: respond({ 200: json('Health', 'The process is up.') }, problems(NO_BODY)),
    },
  },
  '/readyz': {
    get: {
      operationId: 'getReadiness',
      tags: ['health'],
      summary: 'Readiness: the database answers',
      security: PUBLIC,
      responses: respond(
        {
          200: json('Health', 'Ready to serve.'),
          503: json('Health', 'The database does not answer; status is "unavailable".'),
        },
        problems(NO_BODY),
      ),
    },
  },

  '/v2/accounts': {
    post: {
      operationId: 'signUp',
      tags: ['accounts'],
      summary: 'Create a consumer account',
      security: PUBLIC,
      requestBody: jsonBody('SignUpRequest'),
      responses: respond(
        { 201: json('Account', 'The account was created; sign in at /v2/oauth/token.') },
        problems(UNREADABLE_BODY, INVALID, { 409: ['email-taken'] }),
      ),
    },
  },

  '/v2/oauth/token': {
    post: {
      operationId: 'issueToken',
      tags: ['oauth'],
      summary: 'Issue tokens (grant_type password or refresh_token)',
      description:
        'RFC 6749 token endpoint. The password grant signs a human in; the refresh_token grant rotates the refresh token. ' +
        'Reusing a rotated refresh token revokes every token of that sign-in (OAuth 2.0 Security BCP). ' +
        'A body that cannot be read at all (malformed JSON, too large, unknown Content-Type) is also an RFC 6749 invalid_request.',
      security: PUBLIC,
      requestBody: {
        required: true,
        content: { [FORM_TYPE]: { schema: schemaRef('TokenRequest') }, [JSON_TYPE]: { schema: schemaRef('TokenRequest') } },
      },
      responses: respond(
        { 200: json('TokenResponse', 'A new access and refresh token.', { 'Cache-Control': NO_STORE }) },
        oauthErrors({ 400: ['invalid_request', 'invalid_grant', 'unsupported_grant_type'], 401: ['invalid_client'] }),
      ),
    },
  },
  '/v2/oauth/revoke': {
    post: {
      operationId: 'revokeToken',
      tags: ['oauth'],
      summary: 'Revoke a token (RFC 7009)',
      description:
        'Revoking a refresh token revokes its whole sign-in (every access and refresh token of the family); ' +
        'revoking an access token revokes that token. An unknown token is also a 200, as RFC 7009 requires.',
      security: PUBLIC,
      requestBody: {
        required: true,
        content: { [FORM_TYPE]: { schema: schemaRef('RevokeRequest') }, [JSON_TYPE]: { schema: schemaRef('RevokeRequest') } },
      },
      responses: respond(
        { 200: empty('Revoked, or the token was unknown. No body.', { 'Cache-Control': NO_STORE }) },
        oauthErrors({ 400: ['invalid_request'] }),
      ),
    },
  },

  '/v2/factory/devices': {
    post: {
      operationId: 'provisionDevices',
      tags: ['factory'],
      summary: 'Provision up to 1000 devices (atomic)',
      description:
        'Either every device of the request is registered, or none is and the problem names the offending one. ' +
        'A publicKey must be the canonical encoding of an Ed25519 point on the curve and not of small order (order ≤ 8): ' +
        'anything else is a 422 device-key-invalid that says which (non-canonical encoding, not on the curve, small order).',
      security: FACTORY,
      requestBody: jsonBody('ProvisionRequest'),
      responses: respond(
        { 201: json('ProvisionResult', 'Every device was provisioned.') },
        problems(FACTORY_REFUSALS, UNREADABLE_BODY, INVALID, { 409: ['device-already-provisioned'], 422: ['device-key-invalid'] }),
      ),
    },
  },
  '/v2/factory/devices/bulk': {
    post: {
      operationId: 'provisionDevicesBulk',
      tags: ['factory'],
      summary: 'Provision any number of devices from an NDJSON stream (atomic)',
      description:
        'One DeviceRegistration JSON object per line (lines of at most 4096 bytes; blank lines are ignored), streamed into the database. ' +
        'A bad or duplicate line anywhere, or a weak publicKey (422 device-key-invalid, as on POST /v2/factory/devices), means nothing is written; the problem names the line.',
      security: FACTORY,
      requestBody: {
        required: true,
        content: {
          [NDJSON_TYPE]: {
            schema: { type: 'string', description: 'Newline-delimited JSON; each line is a DeviceRegistration.' },
            'x-fleetbed-line-schema': schemaRef('DeviceRegistration'),
          },
        },
      },
      responses: respond(
        { 201: json('ProvisionResult', 'Every device of the stream was provisioned.') },
        problems(FACTORY_REFUSALS, { 400: ['malformed-ndjson', 'validation-failed'], 409: ['device-already-provisioned'], 415: ['unsupported-media-type'], 422: ['device-key-invalid'] }),
      ),
    },
  },

  '/v2/devices': {
    get: {
      operationId: 'listDevices',
      tags: ['devices'],
      summary: "The caller's devices (at most 1000, by device id)",
      security: PHONE,
      responses: respond({ 200: json('DeviceList', "The devices bonded to the caller's account.") }, problems(NO_BODY, UNAUTHENTICATED)),
    },
  },
  '/v2/devices/{deviceId}': {
    parameters: [deviceIdParam],
    get: {
      operationId: 'getDevice',
      tags: ['devices'],
      summary: 'One of the caller’s devices',
      security: PHONE,
      responses: respond({ 200: json('Device', 'The device.') }, problems(NO_BODY, INVALID, UNAUTHENTICATED, { 404: ['not-found'] })),
    },
  },
  '/v2/devices/{deviceId}/bond-challenge': {
    parameters: [deviceIdParam],
    post: {
      operationId: 'createBondChallenge',
      tags: ['bonding'],
      summary: 'A single-use, expiring challenge for the device to sign',
      description: 'Takes no body. Any provisioned device may be challenged; only a valid device-signed proof bonds it.',
      security: PHONE,
      responses: respond(
        { 201: json('BondChallenge', 'The challenge, for this device and the caller’s account only.') },
        problems(NO_BODY, INVALID, UNAUTHENTICATED, { 404: ['not-found'] }),
      ),
    },
  },
  '/v2/devices/{deviceId}/bond': {
    parameters: [deviceIdParam],
    post: {
      operationId: 'bondDevice',
      tags: ['bonding'],
      summary: 'Bond the device to the caller’s account with a button-press proof',
      description:
        'The device signs bondProofSigningBytes(deviceId, accountId, challenge, pressCounter, buttonPressed) (contract/bond-proof.ts). ' +
        'A device bonded to another account moves to the caller’s atomically.',
      security: PHONE,
      requestBody: jsonBody('BondRequest'),
      responses: respond(
        { 200: json('Bond', 'The device is bonded to the caller’s account.') },
        problems(UNREADABLE_BODY, INVALID, UNAUTHENTICATED, {
          403: ['bond-proof-invalid', 'button-not-pressed'],
          404: ['not-found'],
          409: ['challenge-invalid', 'press-counter-stale'],
        }),
      ),
    },
    delete: {
      operationId: 'unbondDevice',
      tags: ['bonding'],
      summary: 'Unbond one of the caller’s devices',
      security: PHONE,
      responses: respond({ 204: empty('Unbonded.') }, problems(NO_BODY, INVALID, UNAUTHENTICATED, { 404: ['not-found'] })),
    },
  },

  '/v2/uploads': {
    post: {
      operationId: 'uploadRecords',
      tags: ['uploads'],
      summary: 'Relay a batch of device-signed session records',
      description:
        'Every record gets a verdict (stored, duplicate, or rejected with a code); one bad record never loses the good ones. ' +
        'A record is (deviceId, seq): stored exactly once, whoever relays it and however often. When no record is stored or duplicate, ' +
        'the answer is 422 upload-rejected carrying the same per-record results. A record that cannot be decoded at all makes the whole request a 400. ' +
        'Both session record formats decode (contract/record.ts: format 1, and format 2 with brushMode in byte 33); any other formatVersion, a format-1 record ' +
        'whose byte 33 is not 0, or a format-2 brushMode out of range cannot be decoded. Each stored session keeps and serves the format it was written in. ' +
        'More records than the server limit (default 256) is a 413. Same Idempotency-Key and body: the original answer again, with ' +
        'Idempotent-Replayed: true, nothing written; same key and a different body: 409, nothing written. A request that arrives while ' +
        'another with the same key is running waits for it, then gets its answer (or the 409).',
      security: PHONE,
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: true,
          description: 'Chosen by the phone per batch, the same on every retry of it; scoped to the account and kept for the idempotency window of platform time.',
          schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' },
        },
      ],
      requestBody: jsonBody('UploadRequest'),
      responses: respond(
        {
          200: json('UploadResponse', 'Per-record verdicts; at least one record is stored or duplicate.', {
            'Idempotent-Replayed': { description: 'Present on a replayed answer.', schema: { type: 'string', const: 'true' } },
          }),
        },
        problems(UNREADABLE_BODY, INVALID, UNAUTHENTICATED, {
          400: ['idempotency-key-required'],
          409: ['idempotency-key-reused'],
        }),
        problemsOf('UploadRejectedProblem', { 422: ['upload-rejected'] }),
      ),
    },
  },

  '/v2/devices/{deviceId}/sessions': {
    parameters: [deviceIdParam],
    get: {
      operationId: 'listDeviceSessions',
      tags: ['sessions'],
      summary: 'A device’s sessions in device-time order, a page at a time',
      description: 'Only sessions recorded while the device was bonded to the caller’s account: a new owner does not see the previous owner’s brushing.',
      security: PHONE,
      parameters: [
        { name: 'limit', in: 'query', description: 'Page size, 1–1000 (default 100), decimal without leading zeros.', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        { name: 'cursor', in: 'query', description: 'nextCursor of the previous page, unchanged.', schema: { type: 'string', maxLength: 64 } },
      ],
      responses: respond({ 200: json('SessionPage', 'One page; nextCursor is null on the last.') }, problems(NO_BODY, INVALID, UNAUTHENTICATED, { 404: ['not-found'] })),
    },
  },

  '/v2/care-providers': {
    post: {
      operationId: 'registerCareProvider',
      tags: ['care'],
      summary: 'Register a care-provider account (platform operator)',
      description: 'The platform operator registers care providers; in the reference API that is the factory credential.',
      security: FACTORY,
      requestBody: jsonBody('CareProviderRegistration'),
      responses: respond(
        { 201: json('Account', 'The care-provider account; it signs in at /v2/oauth/token like any account.') },
        problems(FACTORY_REFUSALS, UNREADABLE_BODY, INVALID, { 409: ['email-taken'] }),
      ),
    },
  },
  '/v2/care/consents/{providerAccountId}': {
    parameters: [accountIdParam('providerAccountId', 'The care provider’s account id.')],
    put: {
      operationId: 'grantCareConsent',
      tags: ['care'],
      summary: 'Grant (or renew) a care provider consent to read the caller’s sessions',
      description: 'Takes no body.',
      security: PHONE,
      responses: respond(
        { 200: json('Consent', 'The standing consent.') },
        problems(NO_BODY, INVALID, UNAUTHENTICATED, { 404: ['not-found'] }),
      ),
    },
    delete: {
      operationId: 'revokeCareConsent',
      tags: ['care'],
      summary: 'Revoke a care provider’s consent',
      security: PHONE,
      responses: respond({ 204: empty('Revoked.') }, problems(NO_BODY, INVALID, UNAUTHENTICATED, { 404: ['not-found'] })),
    },
  },
  '/v2/care/patients/{patientAccountId}/sessions': {
    parameters: [accountIdParam('patientAccountId', 'The patient’s (consumer) account id.')],
    get: {
      operationId: 'getPatientSessions',
      tags: ['care'],
      summary: 'A consenting patient’s sessions in a period, with their identity (audited)',
      description:
        'Care-provider accounts only. Needs the patient’s standing consent; every answer writes an audit row ' +
        '(provider, patient, period, rows returned). At most 10000 sessions.',
      security: PHONE,
      parameters: [
        { name: 'from', in: 'query', required: true, description: 'Start of the period (device time).', schema: { type: 'string', format: 'date-time' } },
        { name: 'to', in: 'query', required: true, description: 'End of the period, after from and at most 366 days later.', schema: { type: 'string', format: 'date-time' } },
      ],
      responses: respond(
        { 200: json('CarePatientSessions', 'The patient, the period and their sessions.') },
        problems(NO_BODY, INVALID, UNAUTHENTICATED, { 403: ['forbidden', 'consent-required'] }),
      ),
    },
  },

  '/v2/ota/releases': {
    post: {
      operationId: 'createFirmwareRelease',
      tags: ['ota'],
      summary: 'Register a firmware release signed by a trusted release key (operator)',
      description:
        'The platform encodes the manifest from the fields (contract/ota.ts) and verifies the Ed25519 signature over firmwareManifestSigningBytes(manifest) ' +
        'under its trusted release keys (FLEETBED_RELEASE_PUBLIC_KEYS; in test mode by default the well-known TEST key of contract/ota.ts). ' +
        'Every field is signed: relabelling the product line or changing the hash, size, version or counter is a 422. A version is released once per product line.',
      security: FACTORY,
      requestBody: jsonBody('FirmwareReleaseRequest'),
      responses: respond(
        { 201: json('FirmwareRelease', 'The release, with its canonical manifest and the key it verified under.') },
        problems(FACTORY_REFUSALS, UNREADABLE_BODY, INVALID, { 409: ['release-exists'], 422: ['release-signature-invalid'] }),
      ),
    },
  },
  '/v2/ota/releases/{releaseId}': {
    parameters: [releaseIdParam],
    get: {
      operationId: 'getFirmwareRelease',
      tags: ['ota'],
      summary: 'One firmware release (operator)',
      security: FACTORY,
      responses: respond({ 200: json('FirmwareRelease', 'The release.') }, problems(NO_BODY, INVALID, FACTORY_REFUSALS, { 404: ['not-found'] })),
    },
  },
  '/v2/ota/rollouts': {
    post: {
      operationId: 'createRollout',
      tags: ['ota'],
      summary: 'Start a staged rollout of a release to its product line (operator)',
      description:
        'Active in its first stage at once. A stage admits the devices whose cohort bucket (contract/ota-rollout.ts cohortBucket) is below its percent, ' +
        'up to its device cap; it advances when it has soaked and its policy’s gate passes (health-gate: updated devices keep reporting sessions ' +
        'like the not-yet-updated ones; transfer-success: transfers succeeded). Either policy halts on the failure gate; health-gate also on the health gate. ' +
        'One active or halted rollout per product line.',
      security: FACTORY,
      requestBody: jsonBody('RolloutRequest'),
      responses: respond(
        { 201: json('Rollout', 'The rollout, in its first stage.') },
        problems(FACTORY_REFUSALS, UNREADABLE_BODY, INVALID, { 404: ['not-found'], 409: ['rollout-active', 'rollout-exists'] }),
      ),
    },
  },
  '/v2/ota/rollouts/{rolloutId}': {
    parameters: [rolloutIdParam],
    get: {
      operationId: 'getRollout',
      tags: ['ota'],
      summary: 'A rollout’s status: stages, counts by device state, why it halted (operator)',
      security: FACTORY,
      responses: respond({ 200: json('Rollout', 'The rollout.') }, problems(NO_BODY, INVALID, FACTORY_REFUSALS, { 404: ['not-found'] })),
    },
  },
  '/v2/ota/rollouts/{rolloutId}/actions': {
    parameters: [rolloutIdParam],
    post: {
      operationId: 'actOnRollout',
      tags: ['ota'],
      summary: 'Advance, halt, resume or cancel a rollout (operator)',
      description:
        'advance: an active rollout moves to its next stage now (or completes after the last), whatever its gate says. ' +
        'halt: active → halted (reason manual); a halted rollout makes no offers. resume: halted → active, the current stage’s soak starts again. ' +
        'cancel: active or halted → cancelled, for good. Any other transition is a 409.',
      security: FACTORY,
      requestBody: jsonBody('RolloutActionRequest'),
      responses: respond(
        { 200: json('Rollout', 'The rollout after the action.') },
        problems(FACTORY_REFUSALS, UNREADABLE_BODY, INVALID, { 404: ['not-found'], 409: ['rollout-state-conflict'] }),
      ),
    },
  },
  '/v2/devices/{deviceId}/ota/check': {
    parameters: [deviceIdParam],
    post: {
      operationId: 'checkOtaOffer',
      tags: ['ota'],
      summary: 'Does an update apply to this device? An offer, or none with the reason',
      description:
        'Takes no body. The product line’s most recent rollout offers its release when it is active or completed, the device runs an older version, ' +
        'the release’s anti-rollback counter is not below the device’s (as its signed reports left it), and the device is in the current stage’s cohort. ' +
        'The first offer makes the device a member of the rollout; asking again returns the same offer. A halted or cancelled rollout offers nothing.',
      security: PHONE,
      responses: respond(
        { 200: json('OtaOffer', 'The offer (manifest and release signature, for the device to verify), or null and why not.') },
        problems(NO_BODY, INVALID, UNAUTHENTICATED, { 404: ['not-found'] }),
      ),
    },
  },
  '/v2/ota/reports': {
    post: {
      operationId: 'relayOtaReports',
      tags: ['ota'],
      summary: 'Relay a batch of device-signed OTA reports',
      description:
        'Every report gets a verdict: stored, duplicate, or rejected (signature-invalid, device-not-bonded, unknown-rollout, seq-conflict). ' +
        'A (device, seq) is stored once. Only a device’s highest-seq report moves its OTA state and firmware version; a phone cannot forge one. ' +
        'When every report is rejected the answer is 422 ota-report-rejected with the same results. A report that cannot be decoded makes the request a 400.',
      security: PHONE,
      requestBody: jsonBody('OtaReportRequest'),
      responses: respond(
        { 200: json('OtaReportResponse', 'Per-report verdicts; at least one report is stored or duplicate.') },
        problems(UNREADABLE_BODY, INVALID, UNAUTHENTICATED),
        problemsOf('OtaReportRejectedProblem', { 422: ['ota-report-rejected'] }),
      ),
    },
  },

  ...legacyV1Paths(),
  '/v2/legacy/lines': {
    get: {
      operationId: 'listLegacyLines',
      tags: ['legacy-migration'],
      summary: 'Every legacy line: migration state, gate, mapping, rows in each store, traffic (operator)',
      security: FACTORY,
      responses: respond({ 200: json('LegacyLineList', 'The lines, in the catalogue\'s order.') }, problems(NO_BODY, FACTORY_REFUSALS)),
    },
  },
  '/v2/legacy/lines/{line}': {
    parameters: [lineParam],
    get: {
      operationId: 'getLegacyLine',
      tags: ['legacy-migration'],
      summary: 'One legacy line\'s migration status (operator)',
      security: FACTORY,
      responses: respond({ 200: json('LegacyLineStatus', 'The line.') }, problems(NO_BODY, INVALID, FACTORY_REFUSALS, { 404: ['not-found'] })),
    },
  },
  '/v2/legacy/lines/{line}/state': {
    parameters: [lineParam],
    put: {
      operationId: 'setLegacyLineState',
      tags: ['legacy-migration'],
      summary: 'Move a line one step forward in its migration (operator)',
      description:
        'legacy-only → dual-write: the mapping becomes the dialect revisions deployed now (unless one was PUT before) and every legacy row is written to v2. ' +
        'dual-write → reads-cut-over: only through the gate, when the line has had at least requiredCleanNights consecutive clean nights and the last ' +
        'reconciliation is of the current or the previous night (409 cutover-gate-closed says how many of how many, and when it last ran). ' +
        'reads-cut-over → v2-only: the v1 routes answer 410 from then on. Anything else is 409 migration-state-invalid.',
      security: FACTORY,
      requestBody: jsonBody('LegacyStateRequest'),
      responses: respond(
        { 200: json('LegacyLineStatus', 'The line in its new state.') },
        problems(FACTORY_REFUSALS, UNREADABLE_BODY, INVALID, { 404: ['not-found'], 409: ['cutover-gate-closed', 'migration-state-invalid'] }),
      ),
    },
  },
  '/v2/legacy/lines/{line}/gate': {
    parameters: [lineParam],
    put: {
      operationId: 'setLegacyLineGate',
      tags: ['legacy-migration'],
      summary: 'Set the consecutive clean nights a line needs before its reads cut over (operator; default 30)',
      security: FACTORY,
      requestBody: jsonBody('LegacyGateRequest'),
      responses: respond({ 200: json('LegacyLineStatus', 'The line with its gate.') }, problems(FACTORY_REFUSALS, UNREADABLE_BODY, INVALID, { 404: ['not-found'] })),
    },
  },
  '/v2/legacy/lines/{line}/mapping': {
    parameters: [lineParam],
    put: {
      operationId: 'setLegacyLineMapping',
      tags: ['legacy-migration'],
      summary: 'Replace the v1→v2 mapping of a line and re-derive its v2 rows (operator)',
      description:
        'The mapping is the dialect\'s revisions 0…k as the migration team knows them: numbered from 0 without gaps, builds increasing, the row\'s ' +
        'record id and device serial fields those of the line (a 400 names every problem). Every v2 row of the line is re-derived from the legacy ' +
        'store\'s raw record under the new mapping; a change after dual-write began counts in mappingChanges. A retired line (v2-only) is a 409.',
      security: FACTORY,
      requestBody: jsonBody('LegacyMappingRequest'),
      responses: respond(
        { 200: json('LegacyMappingResult', 'The mapping in effect and how many v2 rows were re-derived.') },
        problems(FACTORY_REFUSALS, UNREADABLE_BODY, INVALID, { 404: ['not-found'], 409: ['migration-state-invalid'] }),
      ),
    },
  },
  '/v2/legacy/lines/{line}/reconciliations': {
    parameters: [lineParam],
    get: {
      operationId: 'listLegacyReconciliations',
      tags: ['legacy-migration'],
      summary: 'A line\'s nightly reconciliation reports, newest first, without their rows (operator)',
      security: FACTORY,
      responses: respond({ 200: json('LegacyReconciliationList', 'The reports.') }, problems(NO_BODY, INVALID, FACTORY_REFUSALS, { 404: ['not-found'] })),
    },
  },
  '/v2/legacy/lines/{line}/reconciliations/{night}': {
    parameters: [lineParam, nightParam],
    get: {
      operationId: 'getLegacyReconciliation',
      tags: ['legacy-migration'],
      summary: 'One night\'s reconciliation report with every divergent row (operator)',
      security: FACTORY,
      responses: respond({ 200: json('LegacyReconciliation', 'The report and its rows.') }, problems(NO_BODY, INVALID, FACTORY_REFUSALS, { 404: ['not-found'] })),
    },
  },

  '/testbed/clock': {
    get: testbed({
      operationId: 'getTestbedClock',
      summary: 'Read the virtual clock',
      responses: respond({ 200: json('Clock', 'The virtual time every time rule of the platform reads, and the upload time rules (late window, future skew) as configured.') }, problems(NO_BODY)),
    }),
    put: testbed({
      operationId: 'setTestbedClock',
      summary: 'Set or advance the virtual clock (never backwards)',
      description: 'Send exactly one of epochMs (absolute) or advanceMs (relative).',
      requestBody: jsonBody('SetClockRequest'),
      responses: respond({ 200: json('Clock', 'The new virtual time.') }, problems(UNREADABLE_BODY, INVALID, { 409: ['clock-backwards'] })),
    }),
  },
  '/testbed/digest': {
    get: testbed({
      operationId: 'getTestbedDigest',
      summary: 'A digest of the domain state',
      description: 'Equal digests before and after a refused request prove it changed nothing.',
      responses: respond({ 200: json('StateDigest', 'Per-table row counts and digests, and one overall digest.') }, problems(NO_BODY)),
    }),
  },
  '/testbed/jobs/{name}': {
    parameters: [jobNameParam],
    post: testbed({
      operationId: 'runTestbedJob',
      summary: 'Run a scheduled job now, on the virtual clock',
      description:
        'Takes no body. Jobs: ota-health-monitor (evaluates every active rollout’s gates and halts, advances or completes it); ' +
        'legacy-repair (writes every legacy row whose v2 write is pending); legacy-reconcile (the nightly reconciliation of every line in dual-write or ' +
        'reads-cut-over, for the night of the virtual clock). An unknown job is a 404 not-found.',
      responses: respond(
        { 200: json('TestbedJobRun', 'What the job did.') },
        problems(NO_BODY, INVALID, { 404: ['not-found'] }),
      ),
    }),
  },
  '/testbed/legacy/lines/{line}/revisions': {
    parameters: [lineParam],
    put: testbed({
      operationId: 'deployLegacyRevision',
      summary: 'Deploy a customization to a line\'s old API: its next dialect revision',
      description: 'The revision must be the current one + 1, with an app build above the previous revision\'s; records of that build and newer are read under it from now on.',
      requestBody: jsonBody('DialectRevision'),
      responses: respond({ 200: json('LegacyLineStatus', 'The line, with its new dialect revision.') }, problems(UNREADABLE_BODY, INVALID, { 404: ['not-found'] })),
    }),
  },
  '/testbed/legacy/users': {
    post: testbed({
      operationId: 'addLegacyUsers',
      summary: 'Create the old system\'s existing users (at most 10000 a request)',
      description: 'A user id a line already has gets the new secret.',
      requestBody: jsonBody('LegacyUsersRequest'),
      responses: respond({ 204: empty('Stored.') }, problems(UNREADABLE_BODY, INVALID)),
    }),
  },
  '/testbed/legacy/faults': {
    put: testbed({
      operationId: 'setLegacyFaults',
      summary: 'Set the legacy faults: the share of rows whose first v2 write fails after the legacy commit',
      requestBody: jsonBody('LegacyFaultsRequest'),
      responses: respond({ 200: json('LegacyFaultsRequest', 'The faults now in effect.') }, problems(UNREADABLE_BODY, INVALID)),
    }),
  },
} satisfies Record<`/${string}`, PathItemObject>;

// ---------------------------------------------------------------- the document

export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'fleetbed platform API',
    version: '2.0.0',
    description:
      'The wire contract a platform under test speaks (the reference API in this repo implements it). ' +
      'Errors are RFC 9457 problems (application/problem+json, schema Problem) with a stable `code`, except on the OAuth endpoints, ' +
      'which answer RFC 6749 errors. Any other path answers 404 route-not-found. ' +
      'Operations marked x-fleetbed-test-mode-only (tag testbed) exist only in test mode.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  servers: [{ url: 'http://127.0.0.1:8080', description: 'The reference API with its defaults (npm run api).' }],
  tags: TAGS,
  paths,
  components: { schemas, securitySchemes },
} as const;

export type OpenApiDocument = typeof openapi;

// ---------------------------------------------------------------- helpers for tests and tools

/** One documented operation, flattened. */
export interface DocumentedOperation {
  /** Upper case, as Fastify and HTTP spell it. */
  method: Uppercase<HttpMethod>;
  /** The OpenAPI path template, e.g. `/v2/devices/{deviceId}`. */
  path: string;
  operationId: string;
  testModeOnly: boolean;
  /** Names of the security schemes any one of which the operation accepts; empty for public routes. */
  security: SecuritySchemeName[];
  /** Status → the `$ref` of the body schema (of the first media type), or null when the response has no body. */
  responses: Record<string, SchemaRef | null>;
  /** Status → the media types the response may have (empty when it has no body). */
  mediaTypes: Record<string, string[]>;
}

/** Every operation of `doc`, in document order. */
export function operations(doc: { paths: Record<string, PathItemObject> } = openapi): DocumentedOperation[] {
  const out: DocumentedOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      const responses: Record<string, SchemaRef | null> = {};
      const mediaTypes: Record<string, string[]> = {};
      for (const [status, r] of Object.entries(op.responses as Responses)) {
        const types = Object.keys(r.content ?? {});
        mediaTypes[status] = types;
        responses[status] = types.length ? r.content![types[0]!]!.schema.$ref : null;
      }
      out.push({
        method: method.toUpperCase() as Uppercase<HttpMethod>,
        path,
        operationId: op.operationId,
        testModeOnly: op['x-fleetbed-test-mode-only'] === true,
        security: op.security.flatMap((s) => Object.keys(s) as SecuritySchemeName[]),
        responses,
        mediaTypes,
      });
    }
  }
  return out;
}

/**
 * The document as the committed contract/openapi.json: two-space indent,
 * object keys sorted (the top level in OpenAPI's usual order) so that
 * reordering the source never churns the file, and a final newline.
 */
export function openapiJson(doc: object = openapi): string {
  const TOP = ['openapi', 'info', 'jsonSchemaDialect', 'servers', 'tags', 'paths', 'components'];
  const rank = (k: string) => (TOP.includes(k) ? TOP.indexOf(k) : TOP.length);
  const sortKeys = (v: unknown, top: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => sortKeys(x, false));
    if (v === null || typeof v !== 'object') return v;
    const keys = Object.keys(v).sort((a, b) => (top ? rank(a) - rank(b) : 0) || (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(keys.map((k) => [k, sortKeys((v as Record<string, unknown>)[k], false)]));
  };
  return `${JSON.stringify(sortKeys(doc, true), null, 2)}\n`;
}
