/**
 * Canonical signing bytes. Every signature a device makes covers
 * `DOMAIN_TAG || payload`, where the domain tag names what is being signed and
 * its version. A signature made for one purpose (a session record) can never be
 * replayed as another (a bonding proof), because the tags differ.
 *
 * Tags are ASCII, NUL-terminated, and frozen: changing one is a breaking change
 * of the wire contract.
 */
export const SIGNING_DOMAINS = Object.freeze({
  sessionRecord: 'fleetbed/session-record/v1',
  bondProof: 'fleetbed/bond-proof/v1',
  otaReport: 'fleetbed/ota-report/v1',
  firmwareImage: 'fleetbed/firmware-image/v1',
} as const);

export type SigningDomain = keyof typeof SIGNING_DOMAINS;

const encoder = new TextEncoder();
const TAG_BYTES: Readonly<Record<SigningDomain, Uint8Array>> = Object.freeze(
  Object.fromEntries(
    Object.entries(SIGNING_DOMAINS).map(([k, tag]) => [k, encoder.encode(tag + '\0')]),
  ) as Record<SigningDomain, Uint8Array>,
);

/** The exact bytes a signer signs for `payload` in `domain`. */
export function signingBytes(domain: SigningDomain, payload: Uint8Array): Uint8Array {
  const tag = TAG_BYTES[domain];
  const out = new Uint8Array(tag.length + payload.length);
  out.set(tag, 0);
  out.set(payload, tag.length);
  return out;
}

/** Length in bytes of an Ed25519 public key and signature. */
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
