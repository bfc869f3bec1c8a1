import type pg from 'pg';
import { encodeFirmwareManifest, firmwareManifestSigningBytes } from '../../../contract/ota.ts';
import { packFirmwareVersion } from '../../../contract/firmware-version.ts';
import type { ProductLine } from '../../../contract/product-line.ts';
import { ApiError } from '../errors.ts';
import { inTransaction } from '../db/pool.ts';
import { importEd25519PublicKey, verifyEd25519, WeakPublicKeyError, type Ed25519PublicKey } from '../keys.ts';
import { rolloutEvent } from './rollouts.ts';

export interface ReleaseRequest {
  productLine: ProductLine;
  version: string;
  sizeBytes: number;
  sha256: string;
  antiRollbackCounter: number;
  signature: string;
}

export interface ReleaseRow {
  release_id: string;
  product_line: string;
  version: string;
  version_packed: number;
  size_bytes: number;
  sha256: Buffer;
  anti_rollback_counter: number;
  manifest: Buffer;
  signature: Buffer;
  signed_by: Buffer;
  created_at: Date;
}

/** The release public keys the platform trusts (config.releasePublicKeys), imported once. */
export class ReleaseKeys {
  readonly #keys: Array<{ raw: Buffer; key: Ed25519PublicKey }>;
  /**
   * Throws WeakPublicKeyError (at startup: the OTA routes build this once) for a key that is not a
   * canonical Ed25519 point of large order: a small-order release key would let anyone "sign" firmware.
   */
  constructor(base64urlKeys: readonly string[]) {
    this.#keys = base64urlKeys.map((k) => {
      const raw = Buffer.from(k, 'base64url');
      try {
        return { raw, key: importEd25519PublicKey(raw) };
      } catch (err) {
        if (err instanceof WeakPublicKeyError) err.message = `FLEETBED_RELEASE_PUBLIC_KEYS (releasePublicKeys) ${k}: ${err.message}`;
        throw err;
      }
    });
  }
  get size(): number {
    return this.#keys.length;
  }
  /** The raw key `signature` verifies `message` under, if any. */
  signer(message: Uint8Array, signature: Uint8Array): Buffer | undefined {
    return this.#keys.find((k) => verifyEd25519(k.key, message, signature))?.raw;
  }
}

export const toRelease = (r: ReleaseRow) => ({
  releaseId: r.release_id,
  productLine: r.product_line,
  version: r.version,
  sizeBytes: r.size_bytes,
  sha256: r.sha256.toString('base64url'),
  antiRollbackCounter: r.anti_rollback_counter,
  manifest: r.manifest.toString('base64url'),
  signature: r.signature.toString('base64url'),
  signedBy: r.signed_by.toString('base64url'),
  createdAt: r.created_at.toISOString(),
});

/**
 * Register a firmware release. The platform re-encodes the manifest from the
 * request's fields (contract/ota.ts) and accepts it only if the signature
 * verifies under one of its trusted RELEASE keys — so relabelling an image
 * for another product line, or changing its hash, size, version or counter,
 * breaks the signature. A device key or a phone cannot make one.
 */
export async function createRelease(db: pg.Pool, keys: ReleaseKeys, body: ReleaseRequest, nowMs: number): Promise<ReleaseRow> {
  let versionPacked: number;
  try {
    versionPacked = packFirmwareVersion(body.version);
  } catch (err) {
    throw new ApiError('validation-failed', (err as Error).message, { field: 'version' });
  }
  const manifest = Buffer.from(
    encodeFirmwareManifest({
      formatVersion: 1,
      productLine: body.productLine,
      firmwareVersion: versionPacked,
      sizeBytes: body.sizeBytes,
      antiRollbackCounter: body.antiRollbackCounter,
      sha256: Buffer.from(body.sha256, 'base64url'),
    }),
  );
  const signedBy = keys.signer(firmwareManifestSigningBytes(manifest), Buffer.from(body.signature, 'base64url'));
  if (!signedBy) {
    const detail =
      keys.size === 0
        ? 'The platform trusts no release key: set FLEETBED_RELEASE_PUBLIC_KEYS to the release public keys.'
        : `The signature does not verify under any of the ${keys.size} trusted release keys for this manifest (product line, version, size, SHA-256 and anti-rollback counter are all signed).`;
    throw new ApiError('release-signature-invalid', detail, { field: 'signature' });
  }
  return inTransaction(db, async (c) => {
    try {
      const { rows } = await c.query<ReleaseRow>(
        `INSERT INTO ota_releases (product_line, version, version_packed, size_bytes, sha256, anti_rollback_counter, manifest, signature, signed_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_timestamp($10::double precision / 1000)) RETURNING *`,
        [body.productLine, body.version, versionPacked, body.sizeBytes, Buffer.from(body.sha256, 'base64url'), body.antiRollbackCounter, manifest, Buffer.from(body.signature, 'base64url'), signedBy, nowMs],
      );
      const row = rows[0]!;
      await rolloutEvent(c, 'ota.release.created', nowMs, { releaseId: row.release_id, productLine: row.product_line, version: row.version, antiRollbackCounter: row.anti_rollback_counter });
      return row;
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ApiError('release-exists', `Product line ${body.productLine} already has a release ${body.version}; a version is released once.`, { field: 'version' });
      }
      throw err;
    }
  });
}

export async function loadRelease(db: pg.Pool, releaseId: string): Promise<ReleaseRow> {
  const { rows } = await db.query<ReleaseRow>('SELECT * FROM ota_releases WHERE release_id = $1', [releaseId]);
  if (!rows[0]) throw new ApiError('not-found', `No firmware release ${releaseId}.`, { field: 'releaseId' });
  return rows[0];
}
