/**
 * JSON Schemas (OpenAPI 3.1 = JSON Schema 2020-12 subset) of every v2 body and
 * response. The OpenAPI document (openapi.ts) is assembled from these, and the
 * reference API validates requests and serializes responses with the same
 * objects, so the document cannot drift from what is served.
 */
import { PROBLEM_CODES, OAUTH_ERRORS } from './problem.ts';
import { DIVERGENCE_KINDS, MIGRATION_STATES, type LegacyMode } from './legacy/dialect.ts';

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
/** The canonical brushing modes of v2 that a legacy raw value maps onto. */
export const LEGACY_MODE_VALUES = ['daily', 'sensitive', 'whiten', 'gum', 'gentle', 'night', 'polish', 'tongue'] as const satisfies readonly LegacyMode[];
/** Compiles only while LEGACY_MODE_VALUES lists every LegacyMode. */
const _everyLegacyMode: Exclude<LegacyMode, (typeof LEGACY_MODE_VALUES)[number]> extends never ? true : never = true;
void _everyLegacyMode;


/** A new account's identity and password: a consumer's sign-up and an operator's care-provider registration alike. */
const signUpBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password', 'displayName'],
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    password: { type: 'string', minLength: 10, maxLength: 200 },
    displayName: { type: 'string', minLength: 1, maxLength: 100 },
  },
} as const;

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
  SignUpRequest: signUpBody,
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
    required: ['deviceId', 'seq', 'startedAt', 'durationS', 'zones', 'pressureAlerts', 'headId', 'headType', 'firmwareVersion', 'batteryPct', 'clockReset', 'receivedAt', 'formatVersion', 'brushMode'],
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
      formatVersion: { type: 'integer', enum: [1, 2], description: 'the session record format the device wrote (contract/record.ts): 1 for firmware older than its line’s RECORD_FORMAT_2_SINCE, 2 from it on' },
      brushMode: {
        type: ['integer', 'null'],
        minimum: 0,
        maximum: 3,
        description: 'format 2 only: 0 daily, 1 sensitive, 2 whitening, 3 gum care; null for a format-1 record',
      },
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
  CareProviderRegistration: signUpBody,
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
    required: ['epochMs', 'iso', 'timeRules'],
    properties: {
      epochMs: { type: 'integer' },
      iso: dateTime,
      timeRules: {
        type: 'object',
        description: 'The time rules of POST /v2/uploads, as the platform is configured (test mode declares them, so the harness judges each verdict by the platform\'s own values). A record is too-late when (platform clock − startedAt) > lateWindowSeconds, too-far-in-future when (startedAt − platform clock) > futureSkewSeconds: exactly at either limit it is accepted.',
        required: ['lateWindowSeconds', 'futureSkewSeconds'],
        properties: { lateWindowSeconds: { type: 'integer', minimum: 0 }, futureSkewSeconds: { type: 'integer', minimum: 0 } },
      },
    },
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
  ...otaSchemas(),
  ...legacySchemas(),
} as const;

export type SchemaName = keyof typeof schemas;
export const params = {
  deviceId: deviceIdParam,
  releaseId: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'Firmware release id (UUID)' },
  rolloutId: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'Rollout id (UUID)' },
  jobName: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,63}$', description: 'Name of a scheduled job, e.g. ota-health-monitor' },
  legacyLine: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,39}$', description: 'A legacy line (contract/legacy/dialects.ts), e.g. sonic-classic' },
  night: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'A night of reconciliation: the UTC date of the platform clock when it ran (YYYY-MM-DD)' },
} as const;

// ---------------------------------------------------------------- OTA (contract/ota.ts, ota-report.ts, ota-rollout.ts)

/** OTA bodies and responses: firmware releases, staged rollouts, offers, device-signed reports, testbed jobs. */
function otaSchemas() {
  const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
  const share = { type: ['number', 'null'], minimum: 0, description: 'null when the group is empty' } as const;
  const count = { type: 'integer', minimum: 0 } as const;
  const u32 = { type: 'integer', minimum: 0, maximum: 4294967295 } as const;
  const rolloutState = { type: 'string', enum: ['active', 'halted', 'completed', 'cancelled'] } as const;
  const policy = { type: 'string', enum: ['health-gate', 'transfer-success'], description: 'health-gate: advance only while updated devices keep reporting; transfer-success: advance when transfers succeed (the counterfactual)' } as const;
  const gateFields = {
    windowSeconds: { type: 'integer', minimum: 60, maximum: 31536000, description: 'W: updated devices must have been confirmed at least W ago; reporting means a session in the last W' },
    minSample: { type: 'integer', minimum: 1, maximum: 1000000000, description: 'Updated (and baseline) devices needed before the health gate decides' },
    minHealthRatio: { type: 'number', minimum: 0, maximum: 1, description: 'Halt when share(updated reporting) / share(baseline reporting) falls below this' },
    maxFailureRate: { type: 'number', minimum: 0, maximum: 1, description: 'Halt when (failed + rolled-back) / reported exceeds this' },
    failureMinSample: { type: 'integer', minimum: 1, maximum: 1000000000, description: 'Reporting devices needed before the failure gate decides' },
  } as const;
  const stateCounts = {
    type: 'object',
    required: ['offered', 'downloaded', 'verified', 'installed', 'booted', 'confirmed', 'rolled-back', 'failed'],
    description: 'Devices by their latest signed report in this rollout; offered = offered, nothing reported yet',
    properties: {
      offered: count,
      downloaded: count,
      verified: count,
      installed: count,
      booted: count,
      confirmed: count,
      'rolled-back': count,
      failed: count,
    },
  } as const;
  const release = {
    releaseId: uuid,
    productLine,
    version: firmwareVersion,
    sizeBytes: { ...u32, minimum: 1 },
    sha256: base64url(32),
    antiRollbackCounter: u32,
  } as const;
  return {
    FirmwareReleaseRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['productLine', 'version', 'sizeBytes', 'sha256', 'antiRollbackCounter', 'signature'],
      description: 'The manifest fields (contract/ota.ts) and the Ed25519 signature of a trusted release key over firmwareManifestSigningBytes(encodeFirmwareManifest(fields)).',
      properties: {
        productLine,
        version: firmwareVersion,
        sizeBytes: { ...u32, minimum: 1 },
        sha256: base64url(32),
        antiRollbackCounter: u32,
        signature: base64url(64),
      },
    },
    FirmwareRelease: {
      type: 'object',
      required: ['releaseId', 'productLine', 'version', 'sizeBytes', 'sha256', 'antiRollbackCounter', 'manifest', 'signature', 'signedBy', 'createdAt'],
      properties: {
        ...release,
        manifest: { ...base64url(48), description: 'The canonical 48-byte manifest, base64url: what the signature covers (after the domain tag)' },
        signature: base64url(64),
        signedBy: { ...base64url(32), description: 'The trusted release public key the signature verified under' },
        createdAt: dateTime,
      },
    },
    RolloutRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['releaseId', 'policy', 'stages'],
      properties: {
        releaseId: uuid,
        rolloutId: { ...uuid, description: 'Optional: the id to give the rollout. Cohorts hash (rolloutId, deviceId), so a harness that derives it from its seed gets the same cohorts every run. Default: a random UUID.' },
        policy,
        stages: {
          type: 'array',
          minItems: 1,
          maxItems: 20,
          description: 'In order. Percents and device caps may not decrease from one stage to the next.',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['soakSeconds'],
            description: 'At least one of percent and maxDevices.',
            properties: {
              percent: { type: 'number', exclusiveMinimum: 0, maximum: 100, description: 'Share of the eligible fleet (0.01 % resolution); default 100 when maxDevices is given' },
              maxDevices: { type: 'integer', minimum: 1, maximum: 1000000000, description: 'At most this many devices in the rollout by the end of this stage' },
              soakSeconds: { type: 'integer', minimum: 0, maximum: 31536000, description: 'Platform time the stage runs before it may advance' },
            },
          },
        },
        gate: {
          type: 'object',
          additionalProperties: false,
          description: 'Thresholds; every field left out takes its default (contract/ota-rollout.ts ROLLOUT_GATE_DEFAULTS)',
          properties: gateFields,
        },
      },
    },
    RolloutActionRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['action'],
      properties: {
        action: { type: 'string', enum: ['advance', 'halt', 'resume', 'cancel'] },
        reason: { type: 'string', minLength: 1, maxLength: 500, description: 'Why (kept with a halt, and in the rollout’s events)' },
      },
    },
    HealthEvaluation: {
      type: 'object',
      required: ['at', 'stageIndex', 'windowSeconds', 'updated', 'baseline', 'healthRatio', 'reported', 'failures', 'failureRate', 'transferred', 'decision', 'reason'],
      properties: {
        at: dateTime,
        stageIndex: count,
        windowSeconds: count,
        updated: {
          type: 'object',
          required: ['devices', 'reporting', 'share'],
          properties: { devices: count, reporting: count, share },
        },
        baseline: {
          type: 'object',
          required: ['devices', 'reporting', 'share', 'source'],
          properties: {
            devices: count,
            reporting: count,
            share,
            source: { type: 'string', enum: ['not-yet-updated', 'last-full-sample', 'none'], description: 'Where the share compared against came from' },
          },
        },
        healthRatio: share,
        reported: { ...count, description: 'Devices of the rollout with at least one signed report' },
        failures: { ...count, description: 'Of those, latest report failed or rolled-back' },
        failureRate: share,
        transferred: { ...count, description: 'Latest report installed, booted or confirmed' },
        decision: { type: 'string', enum: ['advance', 'complete', 'hold', 'halt'] },
        reason: { type: 'string' },
        evaluationMs: { type: 'number', minimum: 0, description: 'Wall time of the one set-based health query; only in the monitor job’s answer (the stored evaluation stays deterministic)' },
      },
    },
    Rollout: {
      type: 'object',
      required: ['rolloutId', 'releaseId', 'productLine', 'version', 'policy', 'state', 'stageIndex', 'createdAt', 'gate', 'stages', 'devices', 'counts', 'halt', 'lastEvaluation'],
      properties: {
        rolloutId: uuid,
        releaseId: uuid,
        productLine,
        version: firmwareVersion,
        policy,
        state: rolloutState,
        stageIndex: { ...count, description: 'The current stage (the last one once completed)' },
        createdAt: dateTime,
        gate: { type: 'object', required: Object.keys(gateFields), properties: gateFields },
        stages: {
          type: 'array',
          items: {
            type: 'object',
            required: ['index', 'percent', 'maxDevices', 'soakSeconds', 'status', 'startedAt', 'passedAt', 'devices', 'counts'],
            properties: {
              index: count,
              percent: { type: 'number' },
              maxDevices: { type: ['integer', 'null'] },
              soakSeconds: count,
              status: { type: 'string', enum: ['pending', 'current', 'passed'] },
              startedAt: nullableDateTime,
              passedAt: nullableDateTime,
              devices: { ...count, description: 'Devices that joined the rollout during this stage' },
              counts: stateCounts,
            },
          },
        },
        devices: { ...count, description: 'Devices offered this rollout so far' },
        counts: stateCounts,
        halt: {
          oneOf: [
            { type: 'null' },
            {
              type: 'object',
              required: ['reason', 'by', 'at', 'detail', 'evaluation'],
              properties: {
                reason: { type: 'string', enum: ['health-gate', 'failure-threshold', 'manual'] },
                by: { type: 'string', enum: ['monitor', 'operator'] },
                at: dateTime,
                detail: { type: 'string' },
                evaluation: { oneOf: [{ type: 'null' }, { $ref: '#/components/schemas/HealthEvaluation' }] },
              },
            },
          ],
          description: 'Why the rollout is halted; null unless it is',
        },
        lastEvaluation: { oneOf: [{ type: 'null' }, { $ref: '#/components/schemas/HealthEvaluation' }] },
      },
    },
    OtaOffer: {
      type: 'object',
      required: ['deviceId', 'offer', 'reason'],
      properties: {
        deviceId,
        offer: {
          oneOf: [
            { type: 'null' },
            {
              type: 'object',
              required: ['rolloutId', 'releaseId', 'productLine', 'version', 'sizeBytes', 'sha256', 'antiRollbackCounter', 'manifest', 'signature', 'stageIndex'],
              properties: {
                rolloutId: uuid,
                ...release,
                manifest: base64url(48),
                signature: { ...base64url(64), description: 'The release signature: the device verifies it, and the image hash, before it switches banks' },
                stageIndex: count,
              },
            },
          ],
        },
        reason: {
          type: ['string', 'null'],
          enum: ['no-rollout', 'rollout-halted', 'rollout-cancelled', 'up-to-date', 'anti-rollback', 'not-in-cohort', 'stage-full', 'previously-failed', null],
          description: 'Why there is no offer; null when there is one',
        },
      },
    },
    OtaReportRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['reports'],
      properties: {
        reports: {
          type: 'array',
          minItems: 1,
          maxItems: 1000,
          description: 'Device-signed OTA reports: each the 46-byte report (contract/ota-report.ts) followed by its 64-byte Ed25519 signature, base64url without padding (147 characters).',
          items: { type: 'string', maxLength: 1024 },
        },
      },
    },
    OtaReportResponse: {
      type: 'object',
      required: ['results', 'counts'],
      properties: {
        results: {
          type: 'array',
          items: {
            type: 'object',
            required: ['deviceId', 'seq', 'verdict'],
            properties: {
              deviceId,
              seq: { type: 'integer' },
              verdict: { type: 'string', enum: ['stored', 'duplicate', 'rejected'] },
              code: { type: 'string', enum: ['signature-invalid', 'device-not-bonded', 'unknown-rollout', 'seq-conflict'] },
              detail: { type: 'string' },
            },
          },
        },
        counts: {
          type: 'object',
          required: ['stored', 'duplicate', 'rejected'],
          properties: { stored: count, duplicate: count, rejected: count },
        },
      },
    },
    OtaReportRejectedProblem: {
      allOf: [{ $ref: '#/components/schemas/Problem' }, { $ref: '#/components/schemas/OtaReportResponse' }],
    },
    TestbedJobRun: {
      type: 'object',
      required: ['job', 'ranAt', 'result'],
      properties: {
        job: { type: 'string' },
        ranAt: { ...dateTime, description: 'Virtual time the job ran at' },
        result: {
          type: 'object',
          additionalProperties: true,
          description:
            'What the job did; ota-health-monitor: { rollouts: [{ rolloutId, before, after, stageIndex, evaluation }] }; ' +
            'legacy-reconcile: { lines: [LegacyReconciliationSummary] }; legacy-repair: { repaired, pending }',
        },
      },
    },
  } as const;
}

// ---------------------------------------------------------------- legacy v1 lines (contract/legacy)

/** The migration's bodies and responses, matching contract/legacy/wire.ts and dialect.ts. */
function legacySchemas() {
  const count = { type: 'integer', minimum: 0 } as const;
  const rowKey = { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'The row\'s opaque key (contract/legacy/wire.ts legacyRowKey): no legacy identifier shows through it' } as const;
  const fieldName = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,39}$', description: 'A raw field name of the dialect' } as const;
  const named = (extra: Record<string, unknown> = {}, required: string[] = []) =>
    ({ type: 'object', additionalProperties: false, required: ['name', ...required], properties: { name: fieldName, ...extra } }) as const;
  const rawValue = { type: ['string', 'number', 'boolean', 'null'] } as const;
  const nullableInt = { type: ['integer', 'null'] } as const;
  const night = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'UTC date (YYYY-MM-DD)' } as const;
  const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
  const summary = {
    line: { type: 'string' },
    night,
    ranAt: dateTime,
    rowsCompared: { ...count, description: 'Rows of the line in either store' },
    buckets: { ...count, description: 'Row-key ranges whose checksums were compared (both stores, in SQL)' },
    bucketsDiffering: { ...count, description: 'Ranges whose checksums differed: only their rows were read and diffed' },
    divergences: {
      type: 'object',
      required: [...DIVERGENCE_KINDS],
      properties: Object.fromEntries(DIVERGENCE_KINDS.map((k) => [k, count])) as Record<(typeof DIVERGENCE_KINDS)[number], typeof count>,
    },
    clean: { type: 'boolean', description: 'No divergence at all' },
    cleanNights: { ...count, description: 'Consecutive clean nights up to and including this one' },
  } as const;
  const summaryRequired = Object.keys(summary);
  return {
    DialectRevision: {
      type: 'object',
      additionalProperties: false,
      required: ['revision', 'appBuild', 'fields', 'extras'],
      description: 'One revision of a legacy dialect (contract/legacy/dialect.ts DialectRevision): which raw field carries what, in which unit, from which app build on.',
      properties: {
        revision: { type: 'integer', minimum: 0, maximum: 100000 },
        appBuild: { type: 'integer', minimum: 0, maximum: 999999999 },
        fields: {
          type: 'object',
          additionalProperties: false,
          required: ['recordId', 'deviceSerial', 'startedAt', 'durationS', 'coverage', 'mode'],
          properties: {
            recordId: named(),
            deviceSerial: named(),
            startedAt: named({ unit: { type: 'string', enum: ['epoch-s', 'epoch-ms', 'iso', 'local'] } }, ['unit']),
            durationS: named({ unit: { type: 'string', enum: ['s', 'ms'] } }, ['unit']),
            coverage: named({ unit: { type: 'string', enum: ['percent', 'fraction'] }, sentinel: { type: 'number', description: 'A raw value given a second meaning: not measured' } }, ['unit']),
            mode: named(
              {
                values: {
                  type: 'object',
                  minProperties: 1,
                  maxProperties: 100,
                  propertyNames: { maxLength: 40 },
                  additionalProperties: { type: 'string', enum: LEGACY_MODE_VALUES },
                  description: 'Raw value → canonical mode',
                },
              },
              ['values'],
            ),
          },
        },
        extras: {
          type: 'array',
          maxItems: 50,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['key', 'name', 'type'],
            properties: { key: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,39}$' }, name: fieldName, type: { type: 'string', enum: ['int', 'string', 'boolean'] } },
          },
        },
      },
    },
    LegacyRawRecord: {
      type: 'object',
      maxProperties: 100,
      additionalProperties: rawValue,
      description: 'One record as the old app sends it: raw field names of the line\'s dialect, scalar values',
    },
    LegacyUploadResult: {
      type: 'object',
      required: ['results', 'v2'],
      properties: {
        results: {
          type: 'array',
          description: 'One verdict per record, in the order sent',
          items: {
            type: 'object',
            required: ['recordId', 'rowKey', 'status'],
            properties: {
              recordId: { type: ['string', 'null'] },
              rowKey: { ...rowKey, type: ['string', 'null'] },
              status: { type: 'string', enum: ['stored', 'duplicate', 'refused'] },
              code: { type: 'string', enum: ['device-signs-v2', 'device-not-yours', 'record-conflict', 'invalid-record'] },
            },
          },
        },
        v2: {
          type: 'string',
          enum: ['written', 'pending', 'not-applicable'],
          description: 'written: every stored record is in v2 too; pending: the legacy store committed and a v2 write failed — the outbox holds it and legacy-repair writes it; not-applicable: legacy-only, or nothing stored',
        },
      },
    },
    LegacySessionView: {
      type: 'object',
      required: ['recordId', 'deviceSerial', 'startedAt', 'durationS', 'coverage', 'mode', 'extras'],
      properties: {
        recordId: { type: 'string' },
        deviceSerial: { type: 'string' },
        startedAt: { ...nullableInt, description: 'epoch seconds' },
        durationS: nullableInt,
        coverage: { ...nullableInt, description: 'percent; null: not measured' },
        mode: { type: ['string', 'null'], enum: [...LEGACY_MODE_VALUES, null] },
        extras: { type: 'object', additionalProperties: rawValue },
      },
    },
    LegacyReadResult: {
      type: 'object',
      required: ['source', 'sessions'],
      properties: {
        source: { type: 'string', enum: ['legacy', 'v2'], description: 'legacy until the line\'s reads cut over, v2 after' },
        sessions: { type: 'array', items: { $ref: '#/components/schemas/LegacySessionView' } },
      },
    },
    LegacyLineStatus: {
      type: 'object',
      required: ['line', 'title', 'deprecated', 'state', 'requiredCleanNights', 'cleanNights', 'lastReconciledNight', 'dualWriteAt', 'cutOverAt', 'retiredAt', 'mappingRevision', 'mappingChanges', 'dialectRevision', 'rows', 'traffic'],
      properties: {
        line: { type: 'string' },
        title: { type: 'string' },
        deprecated: { type: 'boolean' },
        state: { type: 'string', enum: MIGRATION_STATES },
        requiredCleanNights: { type: 'integer', minimum: 1, maximum: 365 },
        cleanNights: { ...count, description: 'Consecutive clean nights up to and including the last reconciliation; any divergence resets it to 0' },
        lastReconciledNight: { ...night, type: ['string', 'null'] },
        dualWriteAt: nullableDateTime,
        cutOverAt: nullableDateTime,
        retiredAt: nullableDateTime,
        mappingRevision: { ...nullableInt, description: 'The newest dialect revision the v2 mapping knows (null while legacy-only and none was set)' },
        mappingChanges: { ...count, description: 'Times the mapping was replaced after dual-write began' },
        dialectRevision: { ...count, description: 'The newest revision deployed to the old API' },
        rows: { type: 'object', required: ['legacy', 'v2', 'pendingV2'], properties: { legacy: count, v2: count, pendingV2: { ...count, description: 'Legacy rows whose v2 write is pending (outbox)' } } },
        traffic: {
          type: 'object',
          required: ['requests', 'refused', 'deprecatedRequests'],
          properties: {
            requests: { ...count, description: 'Requests to the line\'s v1 routes' },
            refused: { ...count, description: 'Of those, answered with an error status' },
            deprecatedRequests: { ...count, description: 'Of those, served while the line is deprecated' },
          },
        },
      },
    },
    LegacyLineList: {
      type: 'object',
      required: ['lines'],
      properties: { lines: { type: 'array', items: { $ref: '#/components/schemas/LegacyLineStatus' } } },
    },
    LegacyStateRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['state'],
      properties: { state: { type: 'string', enum: MIGRATION_STATES, description: 'The next state: legacy-only → dual-write → reads-cut-over → v2-only, one step at a time' } },
    },
    LegacyGateRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['requiredCleanNights'],
      properties: { requiredCleanNights: { type: 'integer', minimum: 1, maximum: 365 } },
    },
    LegacyMappingRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['revisions'],
      properties: { revisions: { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: '#/components/schemas/DialectRevision' }, description: 'Revisions 0…k, in order' } },
    },
    LegacyMappingResult: {
      type: 'object',
      required: ['line', 'mappingRevision', 'mappingChanges', 'remapped'],
      properties: {
        line: { type: 'string' },
        mappingRevision: count,
        mappingChanges: count,
        remapped: { ...count, description: 'v2 rows re-derived from the legacy store\'s raw records under the new mapping' },
      },
    },
    Divergence: {
      type: 'object',
      required: ['rowKey', 'kind', 'field'],
      properties: {
        rowKey,
        kind: { type: 'string', enum: DIVERGENCE_KINDS },
        field: { type: ['string', 'null'], description: 'The canonical field (durationS, extras.<key>) or the raw unmapped field; null when the row is missing on one side' },
      },
    },
    LegacyReconciliationSummary: { type: 'object', required: summaryRequired, properties: summary },
    LegacyReconciliation: {
      type: 'object',
      required: [...summaryRequired, 'rows'],
      properties: { ...summary, rows: { type: 'array', items: { $ref: '#/components/schemas/Divergence' }, description: 'Every divergence, by row key, in diffRow order' } },
    },
    LegacyReconciliationList: {
      type: 'object',
      required: ['reports'],
      properties: { reports: { type: 'array', items: { $ref: '#/components/schemas/LegacyReconciliationSummary' }, description: 'Newest night first' } },
    },
    LegacyUsersRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['users'],
      properties: {
        users: {
          type: 'array',
          minItems: 1,
          maxItems: 10000,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['line', 'userId', 'secret'],
            properties: {
              line: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,39}$' },
              userId: { type: 'string', minLength: 1, maxLength: 254 },
              secret: { type: 'string', minLength: 1, maxLength: 200 },
            },
          },
        },
      },
    },
    LegacyFaultsRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['v2WriteFailurePerMille'],
      properties: { v2WriteFailurePerMille: { type: 'integer', minimum: 0, maximum: 1000, description: 'Rows per thousand whose first v2 write fails after the legacy commit (contract/legacy/wire.ts v2WriteFails)' } },
    },
  } as const;
}
