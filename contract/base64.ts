import { ContractDecodeError } from './errors.ts';

/**
 * Base64 (RFC 4648) without platform helpers, so it runs in browsers and k6 as
 * well as Node. Two forms: standard (`+/`, padded with `=`), and base64url
 * (`-_`, unpadded), which the API uses for keys and signatures in JSON.
 *
 * Decoding is strict: a text decodes only if encoding the result gives the
 * same text back (no whitespace, no missing or extra padding, no stray bits).
 */
const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const STANDARD_LOOKUP = lookup(STANDARD);
const URL_LOOKUP = lookup(URL_SAFE);

/** Standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, STANDARD, true);
}

/** Decodes standard padded base64. Throws ContractDecodeError `BASE64_INVALID`. */
export function decodeBase64(text: string): Uint8Array {
  return decode(text, STANDARD_LOOKUP, true);
}

/** base64url without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URL_SAFE, false);
}

/** Decodes unpadded base64url. Throws ContractDecodeError `BASE64_INVALID`. */
export function decodeBase64Url(text: string): Uint8Array {
  return decode(text, URL_LOOKUP, false);
}

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[v >>> 18]! + alphabet[(v >>> 12) & 63]! + alphabet[(v >>> 6) & 63]! + alphabet[v & 63]!;
  }
  const rest = n - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    out += alphabet[v >>> 18]! + alphabet[(v >>> 12) & 63]! + (pad ? '==' : '');
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[v >>> 18]! + alphabet[(v >>> 12) & 63]! + alphabet[(v >>> 6) & 63]! + (pad ? '=' : '');
  }
  return out;
}

function decode(text: string, table: Int8Array, padded: boolean): Uint8Array {
  const form = padded ? 'padded base64' : 'unpadded base64url';
  if (typeof text !== 'string') invalid(form, `a ${typeof text}`);
  let len = text.length;
  if (padded) {
    if (len % 4 !== 0) invalid(form, `${len} characters (not a multiple of 4)`);
    if (text.endsWith('==')) len -= 2;
    else if (text.endsWith('=')) len -= 1;
  } else if (len % 4 === 1) {
    invalid(form, `${len} characters (a length of 4k+1 is impossible)`);
  }
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? table[c]! : -1;
    if (v < 0) invalid(form, `${JSON.stringify(text[i])} at position ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) invalid(form, 'non-zero bits after the last byte');
  return out;
}

function invalid(form: string, received: string): never {
  throw new ContractDecodeError('BASE64_INVALID', 'base64 text', form, received);
}

function lookup(alphabet: string): Int8Array {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
}
