/**
 * Errors on the wire are RFC 9457 problem details (`application/problem+json`).
 * Every problem has a stable `code` (also the last path segment of `type`), a
 * human `detail` sentence and, when one input was at fault, the `field` that was.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail: string;
  field?: string;
  instance?: string;
}

export const PROBLEM_TYPE_BASE = 'https://fleetbed.dev/problems/';

/** Every problem code the platform may answer with, its HTTP status and title. */
export const PROBLEMS = Object.freeze({
  'validation-failed': { status: 400, title: 'The request is not valid' },
  'malformed-json': { status: 400, title: 'The body is not valid JSON' },
  'malformed-ndjson': { status: 400, title: 'A line of the NDJSON body is not valid' },
  unauthenticated: { status: 401, title: 'A valid access token is required' },
  'factory-credential-required': { status: 401, title: 'A valid factory credential is required' },
  forbidden: { status: 403, title: 'This credential may not do that' },
  'not-found': { status: 404, title: 'No such resource' },
  'route-not-found': { status: 404, title: 'No such route' },
  'method-not-allowed': { status: 405, title: 'Method not allowed on this route' },
  'email-taken': { status: 409, title: 'An account with that email already exists' },
  'device-already-provisioned': { status: 409, title: 'A device with that id or serial already exists' },
  'device-key-invalid': { status: 422, title: 'The device public key is not a canonical Ed25519 point of large order' },
  'challenge-invalid': { status: 409, title: 'The bonding challenge is unknown, used, expired or for another device' },
  'press-counter-stale': { status: 409, title: 'The button-press counter did not increase' },
  'button-not-pressed': { status: 403, title: 'The device reports that its button was not pressed' },
  'bond-proof-invalid': { status: 403, title: 'The bonding proof does not verify under the device key' },
  'clock-backwards': { status: 409, title: 'The virtual clock cannot go backwards' },
  'idempotency-key-required': { status: 400, title: 'An Idempotency-Key header is required' },
  'idempotency-key-reused': { status: 409, title: 'The Idempotency-Key was used with a different body' },
  'consent-required': { status: 403, title: 'The patient has not granted this care provider consent' },
  'upload-rejected': { status: 422, title: 'No record of the upload was accepted' },
  'release-signature-invalid': { status: 422, title: 'The firmware release is not signed by a trusted release key' },
  'release-exists': { status: 409, title: 'A release of that version already exists for the product line' },
  'rollout-active': { status: 409, title: 'The product line already has an active or halted rollout' },
  'rollout-exists': { status: 409, title: 'A rollout with that id already exists' },
  'rollout-state-conflict': { status: 409, title: 'The rollout is not in a state that allows this action' },
  'ota-report-rejected': { status: 422, title: 'No OTA report of the request was accepted' },
  'legacy-unauthenticated': { status: 401, title: 'The legacy API needs the user id and secret the old system issued' },
  'legacy-retired': { status: 410, title: 'This legacy API is retired: the line is served by v2 only' },
  'cutover-gate-closed': { status: 409, title: 'The line has not had enough consecutive clean nights to cut reads over' },
  'migration-state-invalid': { status: 409, title: 'The line’s migration cannot do that from its current state' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported Content-Type' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>);

export type ProblemCode = keyof typeof PROBLEMS;

export const PROBLEM_CODES = Object.freeze(Object.keys(PROBLEMS) as ProblemCode[]);

export function problemType(code: ProblemCode): string {
  return PROBLEM_TYPE_BASE + code;
}

/** RFC 6749 §5.2 error codes, answered by the token and revocation endpoints. */
export const OAUTH_ERRORS = Object.freeze([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'unsupported_token_type',
] as const);
export type OAuthErrorCode = (typeof OAUTH_ERRORS)[number];

export interface OAuthError {
  error: OAuthErrorCode;
  error_description: string;
}
