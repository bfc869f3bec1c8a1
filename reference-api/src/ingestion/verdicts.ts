/** Per-record verdict codes of an upload. Stable: phones and checkers key on them. */
export const RECORD_REJECTIONS = Object.freeze({
  'signature-invalid': 'the signature does not verify under the registered key of the device the record names',
  'device-not-bonded': 'the record names a device that is not bonded to this account',
  'too-late': 'the record is older than the late-data window',
  'too-far-in-future': 'the record starts too far in the future of the platform clock',
  'seq-conflict': 'a different record with this device and sequence number is already stored',
} as const);
export type RecordRejection = keyof typeof RECORD_REJECTIONS;

export type RecordVerdict =
  | { deviceId: number; seq: number; verdict: 'stored' }
  | { deviceId: number; seq: number; verdict: 'duplicate' }
  | { deviceId: number; seq: number; verdict: 'rejected'; code: RecordRejection; detail: string };

export interface UploadResponse {
  results: RecordVerdict[];
  counts: { stored: number; duplicate: number; rejected: number };
}

export function rejected(deviceId: number, seq: number, code: RecordRejection, detail: string = RECORD_REJECTIONS[code]): RecordVerdict {
  return { deviceId, seq, verdict: 'rejected', code, detail };
}

export function summarize(results: RecordVerdict[]): UploadResponse {
  const counts = { stored: 0, duplicate: 0, rejected: 0 };
  for (const r of results) counts[r.verdict]++;
  return { results, counts };
}
