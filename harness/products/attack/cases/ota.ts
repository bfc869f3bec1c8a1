import { defineCases } from '../types.ts';
import { mutate, otaReport, packV, REC } from './_util.ts';

const reportRejected = (code: string) => ({ status: 422, codes: [`ota-report-rejected/${code}`] });
const releaseInvalid = { status: 422, codes: ['release-signature-invalid'] };
const reports = (ctx: { http: any; world: any }, who: any, list: string[]) =>
  ctx.http.send('POST', '/v2/ota/reports', { headers: ctx.world.phone(who), json: { reports: list } });

/** OTA-1/2/5/7 — what a forged phone (or a careless operator) can do to an update. */
export const otaCases = defineCases([
  {
    id: 'ota-forged-confirmed',
    title: 'a forged "installed and confirmed" report for A1 (signed by the phone)',
    class: 'OTA-1',
    expected: reportRejected('signature-invalid'),
    run: (ctx) => {
      const w = ctx.world;
      const v = packV(w.release.version);
      return reports(ctx, w.A, [otaReport(w, w.A1, { seq: 1, state: 'confirmed', runningVersion: v, bootCount: 1 }, w.rogueKey)]);
    },
  },
  {
    id: 'ota-report-downgrade',
    title: 'a forged report that A1 rolled back to 0.9.0 (a downgrade below its counter)',
    class: 'OTA-2',
    expected: reportRejected('signature-invalid'),
    run: (ctx) => {
      const w = ctx.world;
      return reports(ctx, w.A, [otaReport(w, w.A1, { seq: 1, state: 'rolled-back', runningVersion: packV('0.9.0'), bootCount: 3, detail: 'boot-limit' }, w.rogueKey)]);
    },
  },
  {
    id: 'ota-report-tampered-state',
    title: "A1's genuine \"downloaded\" report with its state byte changed to confirmed",
    class: 'OTA-1',
    expected: reportRejected('signature-invalid'),
    run: (ctx) => {
      const w = ctx.world;
      return reports(ctx, w.A, [mutate(otaReport(w, w.A1, { seq: 1, state: 'downloaded' }), (b) => void (b[1] = 5))]);
    },
  },
  {
    id: 'ota-report-other-account',
    title: "A1's genuine confirmed report relayed by B's phone",
    class: 'API1:2023',
    expected: reportRejected('device-not-bonded'),
    run: (ctx) => {
      const w = ctx.world;
      return reports(ctx, w.B, [otaReport(w, w.A1, { seq: 1, state: 'confirmed', runningVersion: packV(w.release.version), bootCount: 1 })]);
    },
  },
  {
    id: 'ota-report-unknown-rollout',
    title: "B1's genuine report for a rollout B1 was never offered",
    class: 'OTA-5',
    expected: reportRejected('unknown-rollout'),
    run: (ctx) => {
      const w = ctx.world;
      return reports(ctx, w.B, [otaReport(w, w.B1, { seq: 1, state: 'confirmed', runningVersion: packV(w.release.version), bootCount: 1 })]);
    },
  },
  {
    id: 'ota-forged-heartbeats',
    title: 'forged session heartbeats for the updated cohort (A1, A2) to hide a bricked canary',
    class: 'OTA-7',
    expected: { status: 422, codes: [REC + 'signature-invalid'] },
    run: ({ world: w }) => {
      const now = w.t0 + 3600;
      return w.upload(w.A, [w.A1, w.A2, w.A1, w.A2].map((d) => w.sign(d, w.freshRecord(d, { startedAt: now, firmwareVersion: packV(w.release.version) }), w.rogueKey)));
    },
  },
  {
    id: 'ota-image-unsigned',
    title: 'register an image with no release signature (64 zero bytes), operator credential',
    class: 'OTA-1',
    expected: releaseInvalid,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/ota/releases', { headers: { 'x-factory-credential': w.factorySecret }, json: { ...w.releaseBody({ productLine: 'interdental', version: '9.0.1' }), signature: Buffer.alloc(64).toString('base64url') } }),
  },
  {
    id: 'ota-image-non-release-key',
    title: 'register an image signed by a key that is not a release key, operator credential',
    class: 'OTA-1',
    expected: releaseInvalid,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/ota/releases', { headers: { 'x-factory-credential': w.factorySecret }, json: w.releaseBody({ productLine: 'interdental', version: '9.0.2', key: w.rogueKey }) }),
  },
  {
    id: 'ota-image-device-key',
    title: 'register an image signed by a device key, operator credential',
    class: 'OTA-1',
    expected: releaseInvalid,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/ota/releases', { headers: { 'x-factory-credential': w.factorySecret }, json: w.releaseBody({ productLine: 'interdental', version: '9.0.3', key: w.A1.privateKey }) }),
  },
  {
    id: 'ota-image-other-line',
    title: "the adult-brush release's signed manifest relabelled for the kids' brush",
    class: 'OTA-1',
    expected: releaseInvalid,
    run: ({ http, world: w }) => http.send('POST', '/v2/ota/releases', { headers: { 'x-factory-credential': w.factorySecret }, json: { ...w.release.body, productLine: 'kids-brush' } }),
  },
  {
    id: 'ota-image-downgrade-counter',
    title: "the release's signed manifest with its anti-rollback counter lowered to 0 (a downgrade path)",
    class: 'OTA-2',
    expected: releaseInvalid,
    run: ({ http, world: w }) => http.send('POST', '/v2/ota/releases', { headers: { 'x-factory-credential': w.factorySecret }, json: { ...w.release.body, version: '0.0.1', antiRollbackCounter: 0 } }),
  },
  {
    id: 'ota-image-swapped-hash',
    title: "the release's signature over a different image hash",
    class: 'OTA-1',
    expected: releaseInvalid,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/ota/releases', { headers: { 'x-factory-credential': w.factorySecret }, json: { ...w.release.body, version: '9.0.4', sha256: Buffer.alloc(32, 0xee).toString('base64url') } }),
  },
]);
