import { createHash, sign, type KeyObject } from 'node:crypto';
import { bondProofSigningBytes } from '../../../contract/bond-proof.ts';
import { FleetbedError } from '../../../contract/fleetbed-error.ts';
import { packFirmwareVersion } from '../../../contract/firmware-version.ts';
import { encodeFirmwareManifest, firmwareManifestSigningBytes, testReleaseSeed } from '../../../contract/ota.ts';
import { encodeSessionRecord, packSignedRecord, sessionRecordSigningBytes, type SessionRecord } from '../../../contract/record.ts';
import { deriveDeviceKey, privateKeyFromSeed, publicKeyOf } from '../../../simulators/device-keys.ts';
import type { AttackHttp, Exchange } from './http.ts';

/**
 * The small world every attack runs against, built through the platform's real
 * flows (sign-up, password grant, factory provisioning, button-press bonding,
 * signed uploads, consent, a signed release and a rollout). The harness plays
 * the honest devices: it holds their keys (derived from the seed) so that it
 * can produce genuine signatures to replay and tamper with — a forged phone
 * never holds them.
 */
export interface WorldAccount {
  label: string;
  accountId: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
}

export interface WorldDevice {
  label: string;
  deviceId: number;
  productLine: 'adult-brush' | 'kids-brush' | 'interdental';
  privateKey: KeyObject;
  publicKey: Buffer;
  /** Last press counter the platform accepted. */
  pressCounter: number;
  /** Next seq a fresh record of this device would use. */
  nextSeq: number;
  /** Signed records (base64url) the platform stored in setup. */
  stored: string[];
}

export interface AttackWorld {
  seed: number;
  /** Unique per run: every id the world makes carries it (device ids are 8_000_000_000 + nonce × 100 + i). */
  nonce: number;
  factorySecret: string;
  /** Platform (virtual) clock at setup, seconds. */
  t0: number;
  A: WorldAccount;
  B: WorldAccount;
  /** A care provider with A's consent. */
  P: WorldAccount;
  /** A's devices (adult-brush, bonded), B's device (bonded), an unbonded provisioned device, A's kids-brush. */
  A1: WorldDevice;
  A2: WorldDevice;
  B1: WorldDevice;
  U1: WorldDevice;
  AK: WorldDevice;
  /** The bond request A's phone sent to bond A2 (already used), with its challenge. */
  usedBondProof: { deviceId: number; body: { challenge: string; pressCounter: number; buttonPressed: boolean; signature: string } };
  /** The body of the first upload of the setup, and its key (A's phone). */
  firstUpload: { key: string; body: { records: string[] } };
  release: { releaseId: string; version: string; body: Record<string, unknown> };
  rolloutId: string;
  /** Re-mint every account's tokens (after the virtual clock moved). */
  refreshTokens(): Promise<void>;
  /** A brand-new token pair for an account (its own family). */
  signIn(a: WorldAccount): Promise<{ token: string; refreshToken: string }>;
  /** A fresh Idempotency-Key. */
  newKey(label?: string): string;
  /** A fresh record of a device (not stored), with overrides. */
  freshRecord(d: WorldDevice, over?: Partial<SessionRecord>): SessionRecord;
  /** base64url(record || signature): signed by the device's key unless `key` is given. */
  sign(d: WorldDevice, r: SessionRecord, key?: KeyObject): string;
  /** An Ed25519 key the platform never registered. */
  rogueKey: KeyObject;
  roguePublicKey: Buffer;
  phone(a: WorldAccount): Record<string, string>;
  upload(a: WorldAccount, records: string[], key?: string): Promise<Exchange>;
  /** A fresh bond challenge for a device (A's phone unless `a`). */
  challenge(a: WorldAccount, deviceId: number): Promise<string>;
  bondBody(d: WorldDevice, accountId: string, challenge: string, o?: { pressCounter?: number; buttonPressed?: boolean; key?: KeyObject }): { challenge: string; pressCounter: number; buttonPressed: boolean; signature: string };
  /** The TEST release key (trusted by a reference API in test mode). */
  releaseKey: KeyObject;
  releaseBody(o: { productLine: string; version: string; antiRollbackCounter?: number; key?: KeyObject; sizeBytes?: number; sha?: Buffer }): Record<string, unknown>;
  setClockAdvance(ms: number): Promise<void>;
}

/** The platform refused a legitimate request while the attack world was built. Code `FLEETBED_ATTACK_SETUP_FAILED`. */
export class WorldSetupError extends FleetbedError {
  override readonly name: string = 'WorldSetupError';
  declare readonly code: 'FLEETBED_ATTACK_SETUP_FAILED';

  constructor(message: string, options?: ErrorOptions) {
    super('FLEETBED_ATTACK_SETUP_FAILED', message, options);
  }
}

function must(ex: Exchange, what: string, ...ok: number[]): any {
  if (!ok.includes(ex.status)) throw new WorldSetupError(`attack world setup: ${what} answered ${ex.status}: ${ex.text.slice(0, 300)}`);
  return ex.json;
}

export async function buildWorld(http: AttackHttp, opts: { factorySecret: string; seed?: number }): Promise<AttackWorld> {
  const seed = opts.seed ?? 7;
  // Unique per run, so the world can be built again on a long-lived --target-url platform.
  const nonce = createHash('sha256').update(`${seed}/${process.pid}/${Date.now()}`).digest().readUInt32BE(0) % 1_000_000;
  const idBase = 8_000_000_000 + nonce * 100;
  let keyCounter = 0;
  const newKey = (label = 'atk') => `${label}-${nonce}-${++keyCounter}`.padEnd(8, '0').slice(0, 64);
  const factory = { 'x-factory-credential': opts.factorySecret };

  const clock = must(await http.send('GET', '/testbed/clock'), 'GET /testbed/clock', 200) as { epochMs: number };
  const t0 = Math.floor(clock.epochMs / 1000);

  const password = 'correct horse battery staple';
  const token = async (email: string) =>
    must(await http.send('POST', '/v2/oauth/token', { json: { grant_type: 'password', client_id: 'fleetbed-phone', username: email, password } }), `password grant for ${email}`, 200) as { access_token: string; refresh_token: string };
  const account = async (label: string, provider = false): Promise<WorldAccount> => {
    const email = `attack-${label.toLowerCase()}-${nonce}@example.test`;
    const created = provider
      ? must(await http.send('POST', '/v2/care-providers', { headers: factory, json: { email, password, displayName: `Dr ${label}` } }), 'care-provider registration', 201)
      : must(await http.send('POST', '/v2/accounts', { json: { email, password, displayName: `Attack ${label}` } }), `sign-up of ${label}`, 201);
    const t = await token(email);
    return { label, accountId: created.accountId, email, password, token: t.access_token, refreshToken: t.refresh_token };
  };
  const [A, B, P] = [await account('A'), await account('B'), await account('P', true)];

  const device = (label: string, i: number, productLine: WorldDevice['productLine'] = 'adult-brush'): WorldDevice => {
    const k = deriveDeviceKey(seed, idBase + i);
    return { label, deviceId: idBase + i, productLine, privateKey: k.privateKey, publicKey: k.publicKey, pressCounter: 0, nextSeq: 1, stored: [] };
  };
  const A1 = device('A1', 1), A2 = device('A2', 2), B1 = device('B1', 3), U1 = device('U1', 4), AK = device('AK', 5, 'kids-brush');
  must(
    await http.send('POST', '/v2/factory/devices', {
      headers: factory,
      json: { devices: [A1, A2, B1, U1, AK].map((d) => ({ deviceId: d.deviceId, serial: `ATK-${d.deviceId}`, productLine: d.productLine, publicKey: d.publicKey.toString('base64url'), firmwareVersion: '1.0.0' })) },
    }),
    'factory provisioning',
    201,
  );

  const phone = (a: WorldAccount) => ({ authorization: `Bearer ${a.token}` });
  const challenge = async (a: WorldAccount, deviceId: number) =>
    (must(await http.send('POST', `/v2/devices/${deviceId}/bond-challenge`, { headers: phone(a) }), `bond challenge for ${deviceId}`, 201) as { challenge: string }).challenge;
  const bondBody: AttackWorld['bondBody'] = (d, accountId, ch, o = {}) => {
    const pressCounter = o.pressCounter ?? d.pressCounter + 1;
    const buttonPressed = o.buttonPressed ?? true;
    const bytes = bondProofSigningBytes({ deviceId: d.deviceId, accountId, challenge: Buffer.from(ch, 'base64url'), pressCounter, buttonPressed });
    return { challenge: ch, pressCounter, buttonPressed, signature: sign(null, bytes, o.key ?? d.privateKey).toString('base64url') };
  };
  let usedBondProof: AttackWorld['usedBondProof'] | undefined;
  for (const [a, d] of [[A, A1], [A, A2], [B, B1], [A, AK]] as const) {
    const body = bondBody(d, a.accountId, await challenge(a, d.deviceId));
    must(await http.send('POST', `/v2/devices/${d.deviceId}/bond`, { headers: phone(a), json: body }), `bonding ${d.label}`, 200);
    d.pressCounter = body.pressCounter;
    if (d === A2) usedBondProof = { deviceId: d.deviceId, body };
  }

  const freshRecord: AttackWorld['freshRecord'] = (d, over = {}) => {
    const seq = d.nextSeq++;
    return {
      formatVersion: 1, clockReset: false, headChanged: false, deviceId: d.deviceId, seq,
      startedAt: t0 - 7200 + seq * 20, durationS: 120, zones: 0xff, pressureAlerts: 0,
      headId: 0x1000_0000_0001, firmwareVersion: packFirmwareVersion('1.0.0'), batteryPct: 80, ...over,
    };
  };
  const signRec: AttackWorld['sign'] = (d, r, key) => {
    const bytes = encodeSessionRecord(r);
    return Buffer.from(packSignedRecord(bytes, sign(null, sessionRecordSigningBytes(bytes), key ?? d.privateKey))).toString('base64url');
  };
  const upload = (a: WorldAccount, records: string[], key = newKey()) =>
    http.send('POST', '/v2/uploads', { headers: { ...phone(a), 'idempotency-key': key }, json: { records } });

  // Stored sessions: A1 ×3, A2 ×1 (A's phone), B1 ×2 (B's phone).
  const firstKey = newKey('setup');
  const firstRecords = [A1, A1, A1, A2].map((d) => signRec(d, freshRecord(d)));
  must(await upload(A, firstRecords, firstKey), 'setup upload (A)', 200);
  A1.stored.push(...firstRecords.slice(0, 3));
  A2.stored.push(firstRecords[3]!);
  const bRecords = [B1, B1].map((d) => signRec(d, freshRecord(d)));
  must(await upload(B, bRecords), 'setup upload (B)', 200);
  B1.stored.push(...bRecords);

  must(await http.send('PUT', `/v2/care/consents/${P.accountId}`, { headers: phone(A) }), 'consent A → P', 200);

  const releaseKey = privateKeyFromSeed(testReleaseSeed());
  const releaseBody: AttackWorld['releaseBody'] = (o) => {
    const sha = o.sha ?? createHash('sha256').update(`fleetbed-attack-image/${o.productLine}/${o.version}`).digest();
    const fields = { productLine: o.productLine, version: o.version, sizeBytes: o.sizeBytes ?? 65_536, sha256: sha.toString('base64url'), antiRollbackCounter: o.antiRollbackCounter ?? 1 };
    const manifest = encodeFirmwareManifest({ formatVersion: 1, productLine: o.productLine as 'adult-brush', firmwareVersion: packFirmwareVersion(o.version), sizeBytes: fields.sizeBytes, antiRollbackCounter: fields.antiRollbackCounter, sha256: sha });
    return { ...fields, signature: sign(null, firmwareManifestSigningBytes(manifest), o.key ?? releaseKey).toString('base64url') };
  };
  const relVersion = `1.${(nonce % 200) + 1}.0`;
  const relBody = releaseBody({ productLine: 'adult-brush', version: relVersion, antiRollbackCounter: 1 });
  const rel = must(await http.send('POST', '/v2/ota/releases', { headers: factory, json: relBody }), 'release creation (TEST release key)', 201) as { releaseId: string };
  const rolloutId = createHash('sha256').update(`rollout/${nonce}`).digest('hex').replace(/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*$/, '$1-$2-4$3-8$4-$5');
  // A product line may hold one active rollout: on a reused platform, cancel nothing — report clearly instead.
  must(
    await http.send('POST', '/v2/ota/rollouts', { headers: factory, json: { releaseId: rel.releaseId, rolloutId, policy: 'health-gate', stages: [{ percent: 100, soakSeconds: 86_400 }] } }),
    'rollout creation (adult-brush must have no active rollout on this platform)',
    201,
  );
  const offer = must(await http.send('POST', `/v2/devices/${A1.deviceId}/ota/check`, { headers: phone(A) }), 'OTA check for A1', 200) as { offer: unknown; reason: string | null };
  if (!offer.offer) throw new WorldSetupError(`attack world setup: A1 got no OTA offer (${offer.reason})`);

  const rogueSeed = createHash('sha256').update(`fleetbed-attack/rogue/${seed}`).digest();
  const rogueKey = privateKeyFromSeed(rogueSeed);

  const world: AttackWorld = {
    seed, nonce, factorySecret: opts.factorySecret, t0, A, B, P, A1, A2, B1, U1, AK,
    usedBondProof: usedBondProof!,
    firstUpload: { key: firstKey, body: { records: firstRecords } },
    release: { releaseId: rel.releaseId, version: relVersion, body: relBody },
    rolloutId,
    async refreshTokens() {
      for (const a of [A, B, P]) {
        const t = await token(a.email);
        a.token = t.access_token;
        a.refreshToken = t.refresh_token;
      }
    },
    async signIn(a) {
      const t = await token(a.email);
      return { token: t.access_token, refreshToken: t.refresh_token };
    },
    newKey, freshRecord, sign: signRec, rogueKey, roguePublicKey: publicKeyOf(rogueKey), phone, upload, challenge, bondBody, releaseKey, releaseBody,
    async setClockAdvance(ms) {
      must(await http.send('PUT', '/testbed/clock', { json: { advanceMs: ms } }), 'advancing the virtual clock', 200);
    },
  };
  return world;
}
