import type { Fleet } from '../../../simulators/fleet.ts';
import { FixtureError } from '../fixtures/errors.ts';
import { FleetRunError } from './errors.ts';

const TOKEN_BYTES = 32;
const TOKEN_TEXT = /^(at|rt)_([A-Za-z0-9_-]{43})$/;

/** A token endpoint answer (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
}

/**
 * What the phone apps and household accounts hold, as columns: each
 * household's account id (16 bytes), each phone's current access and refresh
 * token (32 raw bytes each; the text form is `at_`/`rt_` + base64url) and when
 * its access token expires on the platform's clock. A million-device fleet has
 * about 650k phones: ~45 MB here, instead of several hundred MB of strings.
 * Tokens of another shape (a platform that issues JWTs) are kept as text.
 */
export class AppState {
  readonly accountIds: Uint8Array;
  readonly hasAccount: Uint8Array;
  readonly access: Uint8Array;
  readonly refresh: Uint8Array;
  /** Platform time (ms) at which the phone's access token expires; 0 = the phone is signed out. */
  readonly accessExpiresMs: Float64Array;
  readonly #textTokens = new Map<number, { access: string; refresh: string }>();

  constructor(fleet: Fleet) {
    this.accountIds = new Uint8Array(fleet.householdCount * 16);
    this.hasAccount = new Uint8Array(fleet.householdCount);
    this.access = new Uint8Array(fleet.phoneCount * TOKEN_BYTES);
    this.refresh = new Uint8Array(fleet.phoneCount * TOKEN_BYTES);
    this.accessExpiresMs = new Float64Array(fleet.phoneCount);
  }

  setAccount(h: number, accountId: string): void {
    const hex = accountId.replace(/-/g, '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) throw new FleetRunError('FLEETBED_FLEET_HTTP_FAILED', `sign-up returned an accountId that is not a UUID: ${JSON.stringify(accountId)}`);
    this.accountIds.set(Buffer.from(hex, 'hex'), h * 16);
    this.hasAccount[h] = 1;
  }

  accountId(h: number): string {
    const hex = Buffer.from(this.accountIds.subarray(h * 16, h * 16 + 16)).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** Store a phone's fresh tokens, issued at platform time `nowMs`. */
  setTokens(p: number, t: TokenResponse, nowMs: number): void {
    const access = tokenBytes(t.access_token, 'at');
    const refresh = tokenBytes(t.refresh_token, 'rt');
    if (access && refresh) {
      this.access.set(access, p * TOKEN_BYTES);
      this.refresh.set(refresh, p * TOKEN_BYTES);
      this.#textTokens.delete(p);
    } else {
      this.#textTokens.set(p, { access: t.access_token, refresh: t.refresh_token });
    }
    this.accessExpiresMs[p] = nowMs + t.expires_in * 1000;
  }

  /** The phone forgets its tokens (app reinstalled, or the token family was revoked). */
  signOut(p: number): void {
    this.accessExpiresMs[p] = 0;
  }

  signedIn(p: number): boolean {
    return this.accessExpiresMs[p]! > 0;
  }

  accessToken(p: number): string {
    const text = this.#textTokens.get(p);
    if (text) return text.access;
    return `at_${Buffer.from(this.access.subarray(p * TOKEN_BYTES, (p + 1) * TOKEN_BYTES)).toString('base64url')}`;
  }

  refreshToken(p: number): string {
    const text = this.#textTokens.get(p);
    if (text) return text.refresh;
    return `rt_${Buffer.from(this.refresh.subarray(p * TOKEN_BYTES, (p + 1) * TOKEN_BYTES)).toString('base64url')}`;
  }

  /**
   * Everything this holds, as one buffer (a fleet fixture keeps it beside the platform's
   * database): a small JSON header (column sizes, tokens of another shape), then the columns.
   */
  toBuffer(): Buffer {
    const header = Buffer.from(JSON.stringify({ version: 1, households: this.hasAccount.length, phones: this.accessExpiresMs.length, textTokens: [...this.#textTokens] }));
    const size = Buffer.alloc(4);
    size.writeUInt32LE(header.length);
    const columns = [this.accountIds, this.hasAccount, this.access, this.refresh, new Uint8Array(this.accessExpiresMs.buffer, this.accessExpiresMs.byteOffset, this.accessExpiresMs.byteLength)];
    return Buffer.concat([size, header, ...columns]);
  }

  /**
   * Load what {@link AppState.toBuffer} wrote for the same fleet. Throws
   * `FLEETBED_FIXTURE_INVALID` when the buffer is not for a fleet of this shape.
   */
  static fromBuffer(fleet: Fleet, bytes: Uint8Array): AppState {
    const app = new AppState(fleet);
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bad = (why: string) => new FixtureError('FLEETBED_FIXTURE_INVALID', `the fixture's app state does not fit a fleet of ${fleet.householdCount} households and ${fleet.phoneCount} phones: ${why}.`);
    if (buf.length < 4) throw bad('it is empty');
    const headerLength = buf.readUInt32LE(0);
    let header: { version: number; households: number; phones: number; textTokens: Array<[number, { access: string; refresh: string }]> };
    try {
      header = JSON.parse(buf.subarray(4, 4 + headerLength).toString('utf8')) as typeof header;
    } catch {
      throw bad('its header is not JSON');
    }
    if (header.version !== 1 || header.households !== fleet.householdCount || header.phones !== fleet.phoneCount) throw bad(`its header says ${header.households} households and ${header.phones} phones (version ${header.version})`);
    let at = 4 + headerLength;
    const expected = at + app.stateBytes();
    if (buf.length !== expected) throw bad(`${buf.length} bytes, expected ${expected}`);
    for (const column of [app.accountIds, app.hasAccount, app.access, app.refresh, new Uint8Array(app.accessExpiresMs.buffer)]) {
      column.set(buf.subarray(at, at + column.byteLength));
      at += column.byteLength;
    }
    for (const [p, t] of header.textTokens) app.#textTokens.set(p, t);
    return app;
  }

  stateBytes(): number {
    return this.accountIds.byteLength + this.hasAccount.byteLength + this.access.byteLength + this.refresh.byteLength + this.accessExpiresMs.byteLength;
  }
}

/** The 32 raw bytes of a reference-API token (`at_`/`rt_` + 43 base64url characters), or undefined for any other shape. */
function tokenBytes(token: string, kind: 'at' | 'rt'): Buffer | undefined {
  const m = TOKEN_TEXT.exec(token);
  if (!m || m[1] !== kind) return undefined;
  const bytes = Buffer.from(m[2]!, 'base64url');
  return bytes.length === TOKEN_BYTES && bytes.toString('base64url') === m[2] ? bytes : undefined;
}
