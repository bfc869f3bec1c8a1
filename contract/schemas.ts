/**
 * JSON Schemas (OpenAPI 3.1 = JSON Schema 2020-12 subset) of every v2 body and
 * response. The OpenAPI document (openapi.ts) is assembled from these, and the
 * reference API validates requests and serializes responses with the same
 * objects, so the document cannot drift from what is served.
 */
import { PROBLEM_CODES, OAUTH_ERRORS } from './problem.ts';

const deviceIdParam = { type: 'string', pattern: '^[1-9][0-9]{0,15}$', description: 'Factory device id (decimal, < 2^53)' } as const;
const deviceId = { type: 'integer', minimum: 1, maximum: 9007199254740991, description: 'Factory device id' } as const;
const uuid = { type: 'string', format: 'uuid' } as const;
const base64url = (bytes?: number) =>
  ({
    type: 'string',
    pattern: '^[A-Za-z0-9_-]*$',
    ...(bytes ? { minLength: Math.ceil((bytes * 4) / 3), maxLength: Math.ceil((bytes * 4) / 3) } : {}),
    description: bytes ? `${bytes} bytes, base64url without padding` : 'base64url without padding',
  }) as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const firmwareVersion = { type: 'string', pattern: '^(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,4})$', description: 'major.minor.patch' } as const;
export const PRODUCT_LINE_VALUES = ['adult-brush', 'kids-brush', 'interdental'] as const;
const productLine = { type: 'string', enum: PRODUCT_LINE_VALUES } as const;

export const schemas = {
  Problem: {
    type: 'object',
    required: ['type', 'title', 'status', 'code', 'detail'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string', enum: PROBLEM_CODES },
      detail: { type: 'string' },
      field: { type: 'string' },
      instance: { type: 'string' },
    },
  },
  OAuthError: {
    type: 'object',
    required: ['error', 'error_description'],
    properties: { error: { type: 'string', enum: OAUTH_ERRORS }, error_description: { type: 'string' } },
  },
  Health: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok', 'unavailable'] } } },
  SignUpRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password', 'displayName'],
    properties: {
      email: { type: 'string', format: 'email', maxLength: 254 },
      password: { type: 'string', minLength: 10, maxLength: 200 },
      displayName: { type: 'string', minLength: 1, maxLength: 100 },
    },
  },
  Account: {
    type: 'object',
    required: ['accountId', 'createdAt'],
    properties: { accountId: uuid, createdAt: dateTime },
  },
  TokenRequest: {
    type: 'object',
    required: ['grant_type'],
    properties: {
      grant_type: { type: 'string' },
      client_id: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      refresh_token: { type: 'string' },
      scope: { type: 'string' },
    },
  },
  TokenResponse: {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in', 'refresh_token'],
    properties: {
      access_token: { type: 'string' },
      token_type: { type: 'string', enum: ['Bearer'] },
      expires_in: { type: 'integer' },
      refresh_token: { type: 'string' },
    },
  },
  RevokeRequest: {
    type: 'object',
    required: ['token'],
    properties: { token: { type: 'string' }, token_type_hint: { type: 'string' }, client_id: { type: 'string' } },
  },
  DeviceRegistration: {
    type: 'object',
    additionalProperties: false,
    required: ['deviceId', 'serial', 'productLine', 'publicKey', 'firmwareVersion'],
    properties: {
      deviceId,
      serial: { type: 'string', pattern: '^[A-Z0-9-]{4,32}$' },
      productLine,
      publicKey: base64url(32),
      firmwareVersion,
    },
  },
  ProvisionRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['devices'],
    properties: { devices: { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: '#/components/schemas/DeviceRegistration' } } },
  },
  ProvisionResult: {
    type: 'object',
    required: ['provisioned'],
    properties: { provisioned: { type: 'integer' } },
  },
  Device: {
    type: 'object',
    required: ['deviceId', 'serial', 'productLine', 'firmwareVersion', 'bondedAt'],
    properties: {
      deviceId,
      serial: { type: 'string' },
      productLine,
      firmwareVersion,
      bondedAt: { type: ['string', 'null'], format: 'date-time' },
    },
  },
  DeviceList: {
    type: 'object',
    required: ['devices'],
    properties: { devices: { type: 'array', items: { $ref: '#/components/schemas/Device' } } },
  },
  BondChallenge: {
    type: 'object',
    required: ['deviceId', 'challenge', 'expiresAt'],
    properties: { deviceId, challenge: base64url(32), expiresAt: dateTime },
  },
  BondRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['challenge', 'pressCounter', 'buttonPressed', 'signature'],
    properties: {
      challenge: base64url(32),
      pressCounter: { type: 'integer', minimum: 1, maximum: 9007199254740991 },
      buttonPressed: { type: 'boolean' },
      signature: base64url(64),
    },
  },
  Bond: {
    type: 'object',
    required: ['deviceId', 'accountId', 'bondedAt'],
    properties: { deviceId, accountId: uuid, bondedAt: dateTime },
  },
  UploadRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['records'],
    properties: {
      records: {
        type: 'array',
        minItems: 1,
        maxItems: 10000,
        description: 'Signed session records: each the 34-byte record followed by its 64-byte Ed25519 signature, base64url without padding (131 characters). The server limit (default 256 per upload) is a 413 when exceeded.',
        items: { type: 'string', maxLength: 1024 },
      },
    },
  },
  RecordVerdict: {
    type: 'object',
    required: ['deviceId', 'seq', 'verdict'],
    properties: {
      deviceId,
      seq: { type: 'integer' },
      verdict: { type: 'string', enum: ['stored', 'duplicate', 'rejected'] },
      code: { type: 'string', enum: ['signature-invalid', 'device-not-bonded', 'too-late', 'too-far-in-future', 'seq-conflict'] },
      detail: { type: 'string' },
    },
  },
  UploadResponse: {
    type: 'object',
    required: ['results', 'counts'],
    properties: {
      results: { type: 'array', items: { $ref: '#/components/schemas/RecordVerdict' } },
      counts: {
        type: 'object',
        required: ['stored', 'duplicate', 'rejected'],
        properties: { stored: { type: 'integer' }, duplicate: { type: 'integer' }, rejected: { type: 'integer' } },
      },
    },
  },
  UploadRejectedProblem: {
    allOf: [{ $ref: '#/components/schemas/Problem' }, { $ref: '#/components/schemas/UploadResponse' }],
  },
  Session: {
    type: 'object',
    required: ['deviceId', 'seq', 'startedAt', 'durationS', 'zones', 'pressureAlerts', 'headId', 'headType', 'firmwareVersion', 'batteryPct', 'clockReset', 'receivedAt'],
    properties: {
      deviceId,
      seq: { type: 'integer' },
      startedAt: { ...dateTime, description: 'device clock' },
      durationS: { type: 'integer' },
      zones: { type: 'integer', description: 'bitmask of the 8 mouth zones covered' },
      pressureAlerts: { type: 'integer' },
      headId: { type: 'integer' },
      headType: { type: ['string', 'null'], description: 'inferred from the head-id side table; null when unresolved' },
      firmwareVersion,
      batteryPct: { type: 'integer' },
      clockReset: { type: 'boolean' },
      receivedAt: { ...dateTime, description: 'platform clock' },
    },
  },
  SessionPage: {
    type: 'object',
    required: ['sessions', 'nextCursor'],
    properties: {
      sessions: { type: 'array', items: { $ref: '#/components/schemas/Session' } },
      nextCursor: { type: ['string', 'null'] },
    },
  },
  CareProviderRegistration: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password', 'displayName'],
    properties: {
      email: { type: 'string', format: 'email', maxLength: 254 },
      password: { type: 'string', minLength: 10, maxLength: 200 },
      displayName: { type: 'string', minLength: 1, maxLength: 100 },
    },
  },
  Consent: {
    type: 'object',
    required: ['patientAccountId', 'providerAccountId', 'grantedAt'],
    properties: { patientAccountId: uuid, providerAccountId: uuid, grantedAt: dateTime },
  },
  CarePatientSessions: {
    type: 'object',
    required: ['patient', 'from', 'to', 'sessions'],
    properties: {
      patient: { type: 'object', required: ['accountId', 'displayName'], properties: { accountId: uuid, displayName: { type: 'string' } } },
      from: dateTime,
      to: dateTime,
      sessions: { type: 'array', items: { $ref: '#/components/schemas/Session' } },
    },
  },
  Clock: {
    type: 'object',
    required: ['epochMs', 'iso'],
    properties: { epochMs: { type: 'integer' }, iso: dateTime },
  },
  SetClockRequest: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    properties: {
      epochMs: { type: 'integer', minimum: 0, maximum: 8640000000000000 },
      advanceMs: { type: 'integer', minimum: 0, maximum: 8640000000000000 },
    },
  },
  StateDigest: {
    type: 'object',
    required: ['digest', 'tables'],
    properties: {
      digest: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      tables: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          required: ['rows', 'digest'],
          properties: { rows: { type: 'integer' }, digest: { type: 'string' } },
        },
      },
    },
  },
} as const;

export type SchemaName = keyof typeof schemas;
export const params = { deviceId: deviceIdParam } as const;
