import { createHash } from 'node:crypto';
import { ContractDecodeError } from '../../../contract/errors.ts';
import { decodeSessionRecord, SESSION_RECORD_BYTES, SIGNED_RECORD_BYTES, sessionRecordSigningBytes, type SessionRecord } from '../../../contract/record.ts';
import { ApiError } from '../errors.ts';

/** base64url (no padding) of SIGNED_RECORD_BYTES bytes. */
const SIGNED_RECORD_B64_LENGTH = Math.ceil((SIGNED_RECORD_BYTES * 4) / 3);
const B64URL = /^[A-Za-z0-9_-]+$/;

export interface PreparedRecord {
  index: number;
  record: SessionRecord;
  recordBytes: Buffer;
  signature: Buffer;
}

/**
 * Decode every record of an upload. Envelope errors — not base64url, wrong
 * length, a record that is not a valid session record of format 1 or 2 (any
 * other version byte, a format-1 record whose byte 33 is not 0, a format-2
 * brushMode out of range: contract/record.ts) — make the whole
 * request a 400 naming `records[i]`: a phone that cannot encode is broken, and
 * nothing of its request is written.
 */
export function prepareRecords(records: readonly string[]): PreparedRecord[] {
  return records.map((text, index) => {
    const field = `records[${index}]`;
    if (text.length !== SIGNED_RECORD_B64_LENGTH || !B64URL.test(text)) {
      throw new ApiError(
        'validation-failed',
        `${field} must be ${SIGNED_RECORD_BYTES} bytes (record ${SESSION_RECORD_BYTES} + signature 64) in base64url without padding, ` +
          `i.e. ${SIGNED_RECORD_B64_LENGTH} characters of A-Z a-z 0-9 - _; got ${text.length} characters${B64URL.test(text) ? '' : ' with characters outside base64url'}.`,
        { field },
      );
    }
    const bytes = Buffer.from(text, 'base64url');
    const recordBytes = bytes.subarray(0, SESSION_RECORD_BYTES);
    try {
      return { index, record: decodeSessionRecord(recordBytes), recordBytes, signature: bytes.subarray(SESSION_RECORD_BYTES) };
    } catch (err) {
      if (err instanceof ContractDecodeError) throw new ApiError('validation-failed', `${field}: ${err.message}`, { field });
      throw err;
    }
  });
}

/** A stable hash of the upload's content, to tell a replay from a different body under one Idempotency-Key. */
export function uploadHash(records: readonly string[]): Buffer {
  const h = createHash('sha256');
  for (const r of records) h.update(r).update('\n');
  return h.digest();
}

export { sessionRecordSigningBytes };
