import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ApiError } from '../errors.ts';
import { ed25519PublicKeyProblem } from '../ed25519-strict.ts';
import { PRODUCT_LINE_VALUES } from '../../../contract/schemas.ts';

export interface Registration {
  deviceId: number;
  serial: string;
  productLine: (typeof PRODUCT_LINE_VALUES)[number];
  publicKey: string;
  firmwareVersion: string;
}

export interface ParsedRegistration extends Omit<Registration, 'publicKey'> {
  publicKey: Buffer;
}

const SERIAL = /^[A-Z0-9-]{4,32}$/;
const VERSION = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,4})$/;
const B64URL = /^[A-Za-z0-9_-]{43}$/;
const LINES = new Set<string>(PRODUCT_LINE_VALUES);
const FIELDS = new Set(['deviceId', 'serial', 'productLine', 'publicKey', 'firmwareVersion']);
const PROBLEM_WORDS = {
  'wrong length': 'which is not 32 bytes',
  'non-canonical encoding': 'a non-canonical encoding (y ≥ p, or x = 0 with the sign bit set)',
  'not on the curve': 'which is not on the curve (no x for its y)',
  'small order': 'a point of small order ([8]A is the identity)',
} as const;

/**
 * Validate one registration; `where` prefixes the field name in errors ("line 12", "devices.3").
 * Throws validation-failed for a malformed field, device-key-invalid (422) for a public key that
 * is not a canonical Ed25519 point of large order (checked in full: about one verify's CPU per device).
 */
export function parseRegistration(raw: unknown, where: string): ParsedRegistration {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new ApiError('validation-failed', `${where}: ${field} must be ${expected}, got ${JSON.stringify(got)?.slice(0, 80)}.`, {
      field: `${where}.${field}`,
    });
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('the line', 'a JSON object', raw);
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!FIELDS.has(k)) bad(k, 'absent (not a DeviceRegistration field)', r[k]);
  const { deviceId, serial, productLine, publicKey, firmwareVersion } = r;
  if (typeof deviceId !== 'number' || !Number.isSafeInteger(deviceId) || deviceId < 1) bad('deviceId', 'an integer in [1, 2^53)', deviceId);
  if (typeof serial !== 'string' || !SERIAL.test(serial)) bad('serial', '4–32 characters of A-Z, 0-9 and -', serial);
  if (typeof productLine !== 'string' || !LINES.has(productLine)) bad('productLine', `one of ${PRODUCT_LINE_VALUES.join(', ')}`, productLine);
  if (typeof publicKey !== 'string' || !B64URL.test(publicKey)) bad('publicKey', 'a raw 32-byte Ed25519 public key in base64url (43 characters)', publicKey);
  if (typeof firmwareVersion !== 'string' || !VERSION.test(firmwareVersion)) bad('firmwareVersion', 'major.minor.patch', firmwareVersion);
  const key = Buffer.from(publicKey as string, 'base64url');
  if (key.length !== 32) bad('publicKey', 'exactly 32 bytes', publicKey);
  // A key that is not a point of large order lets a phone forge this device's signatures (small-order
  // R, S = 0): refused here, where keys enter; OpenSSL's verify would accept it (issue #18).
  const problem = ed25519PublicKeyProblem(key);
  if (problem !== null) {
    throw new ApiError(
      'device-key-invalid',
      `${where}: the publicKey of device ${deviceId as number} must be the canonical encoding of an Ed25519 point of large order; received ${publicKey as string}, ${PROBLEM_WORDS[problem]}. Nothing was written.`,
      { field: `${where}.publicKey` },
    );
  }
  return { deviceId: deviceId as number, serial: serial as string, productLine: productLine as ParsedRegistration['productLine'], publicKey: key, firmwareVersion: firmwareVersion as string };
}

const MAX_LINE_BYTES = 4096;

/**
 * Stream an NDJSON body of DeviceRegistrations into the temp table
 * `staging_devices` with COPY. Validation failures abort the COPY and throw a
 * problem naming the line; the caller's transaction then rolls back, so a bad
 * line anywhere means nothing is written. Returns the number of rows staged.
 */
export async function copyDevicesFromNdjson(c: pg.ClientBase, body: NodeJS.ReadableStream, now: number): Promise<number> {
  const copy = c.query(
    copyFrom('COPY staging_devices (device_id, serial, product_line, public_key, factory_firmware, firmware_version, provisioned_at) FROM STDIN'),
  );
  const copyDone = new Promise<void>((resolve, reject) => {
    copy.on('finish', resolve);
    copy.on('error', reject);
  });
  copyDone.catch(() => {}); // observed below; avoid an unhandled rejection while we are still parsing
  const stamp = new Date(now).toISOString();
  let lineNo = 0;
  let rows = 0;
  let rest = '';
  let out: string[] = [];
  let outBytes = 0;

  const flush = async () => {
    if (out.length === 0) return;
    const chunk = out.join('');
    out = [];
    outBytes = 0;
    if (!copy.write(chunk)) await Promise.race([once(copy, 'drain'), copyDone]);
  };
  const handleLine = (line: string) => {
    lineNo++;
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      throw new ApiError('malformed-ndjson', `line ${lineNo} is not valid JSON: ${(err as Error).message}. Send one JSON object per line.`, { field: `line ${lineNo}` });
    }
    const d = parseRegistration(parsed, `line ${lineNo}`);
    out.push(`${d.deviceId}\t${d.serial}\t${d.productLine}\t\\\\x${d.publicKey.toString('hex')}\t${d.firmwareVersion}\t${d.firmwareVersion}\t${stamp}\n`);
    outBytes += 120;
    rows++;
  };

  try {
    body.setEncoding?.('utf8');
    for await (const chunk of body as AsyncIterable<string>) {
      const text = rest + chunk;
      let start = 0;
      let nl: number;
      while ((nl = text.indexOf('\n', start)) !== -1) {
        handleLine(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
      if (rest.length > MAX_LINE_BYTES) {
        throw new ApiError('malformed-ndjson', `line ${lineNo + 1} is longer than ${MAX_LINE_BYTES} bytes; one DeviceRegistration per line.`, { field: `line ${lineNo + 1}` });
      }
      if (outBytes >= 256 * 1024) await flush();
    }
    if (rest.length > 0) handleLine(rest);
    await flush();
    copy.end();
    await copyDone;
    return rows;
  } catch (err) {
    copy.destroy(err as Error);
    await copyDone.catch(() => {});
    throw err;
  }
}
