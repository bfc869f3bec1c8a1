/**
 * Firmware versions as the device stores them: a u32 packed as
 * major (8 bits) . minor (8 bits) . patch (16 bits), big-endian order of
 * significance, so comparing packed numbers compares versions.
 *
 * The text form is `major.minor.patch` in decimal without leading zeros, so
 * `unpackFirmwareVersion(packFirmwareVersion(s)) === s` for every valid `s`.
 */
export const FIRMWARE_VERSION_LIMITS = Object.freeze({ major: 255, minor: 255, patch: 65_535 });

const TEXT = /^(0|[1-9]\d{0,4})\.(0|[1-9]\d{0,4})\.(0|[1-9]\d{0,4})$/;
const PACKED_MAX = 0xffff_ffff;

/** Packs `'1.4.2'` into a u32. Throws a RangeError naming the input when it is not a valid version. */
export function packFirmwareVersion(version: string): number {
  const m = typeof version === 'string' ? TEXT.exec(version) : null;
  if (!m) {
    throw new RangeError(
      `firmware version must be "major.minor.patch" in decimal without leading zeros, got ${JSON.stringify(version)}`,
    );
  }
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const patch = Number(m[3]);
  const limits = FIRMWARE_VERSION_LIMITS;
  if (major > limits.major || minor > limits.minor || patch > limits.patch) {
    throw new RangeError(
      `firmware version ${JSON.stringify(version)} is out of range: major and minor must be 0..255, patch 0..65535`,
    );
  }
  return major * 0x100_0000 + minor * 0x1_0000 + patch;
}

/** Unpacks a u32 into `'major.minor.patch'`. Throws a RangeError naming the input when it is not a u32. */
export function unpackFirmwareVersion(packed: number): string {
  if (!Number.isInteger(packed) || packed < 0 || packed > PACKED_MAX) {
    throw new RangeError(`packed firmware version must be an integer in 0..${PACKED_MAX}, got ${String(packed)}`);
  }
  return `${Math.floor(packed / 0x100_0000)}.${Math.floor(packed / 0x1_0000) & 0xff}.${packed & 0xffff}`;
}

/**
 * Orders two versions, each given as text or packed: negative when `a` is older,
 * 0 when equal, positive when `a` is newer. Usable directly as a sort comparator.
 */
export function compareFirmwareVersion(a: string | number, b: string | number): number {
  return Math.sign(toPacked(a) - toPacked(b));
}

function toPacked(v: string | number): number {
  if (typeof v === 'number') {
    unpackFirmwareVersion(v); // validates
    return v;
  }
  return packFirmwareVersion(v);
}
