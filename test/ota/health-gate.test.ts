import { expect, it } from 'vitest';
import { quietAfterSeconds } from '../../contract/ota-rollout.ts';
import { startTestApi } from '../support/api.ts';
import { advanceClock, bond, clockSeconds, describeEachTarget, newIdempotencyKey, sessionRecord, signIn, signedRecord, signUp, upload } from '../support/world.ts';
import { checkOffer, createRelease, createRollout, getRollout, provisionLine, relayReports, runMonitor, updateReports, type OtaDevice } from './support.ts';

const HOUR = 3600;
const TICK = 2 * HOUR;
const WINDOW = 12 * HOUR;

interface Outcome {
  state: string;
  stageIndex: number;
  haltReason: string | null;
  /** Virtual seconds from the first updated device going quiet to the halt (null: never halted). */
  haltAfterOnsetS: number | null;
  /** Devices that installed the image. */
  updated: number;
  /** Of those, devices that went quiet. */
  bricked: number;
}

/**
 * A small fleet on the reference API, driven tick by tick on the virtual
 * clock: every tick each device that is alive records a session, phones relay
 * them, devices not yet updated ask for an offer and, when offered, update
 * (device-signed reports up to confirmed), and the health monitor runs. With
 * `quietAfterS`, the image is a quiet brick: it boots and confirms, then the
 * device stops recording sessions that long after updating.
 */
async function runFleet(serverUrl: string, policy: 'health-gate' | 'transfer-success', quietAfterS: number | null): Promise<Outcome> {
  await using api = await startTestApi(serverUrl);
  const app = api.app;
  let owner = await signUp(app, `ota-fleet-${policy}`);
  const devices = await provisionLine(app, Array.from({ length: 40 }, (_, i) => 96_001 + i), 'adult-brush');
  for (const d of devices) await bond(app, owner, d);
  const t0 = await clockSeconds(app);
  const sessionsOf = (ds: OtaDevice[], at: number) => ds.map((d) => signedRecord(d, sessionRecord(d.deviceId, d.sessionSeq++, { startedAt: at - 60 })));
  const relay = async (records: string[]) => {
    for (let i = 0; i < records.length; i += 200) {
      const res = await upload(app, owner, records.slice(i, i + 200), newIdempotencyKey('ota-fleet'));
      if (res.statusCode !== 200) throw new Error(`upload answered ${res.statusCode}: ${res.body}`);
    }
  };
  // Two days of history, every 12 hours.
  for (let back = 48 * HOUR; back > 0; back -= 12 * HOUR) await relay(sessionsOf(devices, t0 - back));

  const rel = await createRelease(app, { productLine: 'adult-brush', version: '2.0.0' });
  const rollout = await createRollout(app, rel.releaseId, {
    policy,
    stages: [{ maxDevices: 10, soakSeconds: 36 * HOUR }, { percent: 100, soakSeconds: 24 * HOUR }],
    gate: { windowSeconds: WINDOW, minSample: 8, minHealthRatio: 0.8, maxFailureRate: 0.2, failureMinSample: 5 },
  });
  const updatedAt = new Map<number, number>();
  let haltedAt: number | null = null;
  for (let now = t0; now < t0 + 4 * 24 * HOUR; now += TICK) {
    owner = await signIn(app, owner); // access tokens last 15 minutes of virtual time
    for (const d of devices.filter((x) => !updatedAt.has(x.deviceId))) {
      const answer = (await checkOffer(app, owner.token, d.deviceId)).json();
      if (!answer.offer) continue;
      const res = await relayReports(app, owner.token, updateReports(d, answer.offer.rolloutId, '1.0.0', '2.0.0', now));
      expect(res.json().counts.rejected).toBe(0);
      updatedAt.set(d.deviceId, now);
    }
    const alive = devices.filter((d) => quietAfterS === null || !updatedAt.has(d.deviceId) || now < updatedAt.get(d.deviceId)! + quietAfterS);
    await relay(sessionsOf(alive, now));
    await advanceClock(app, TICK * 1000);
    const run = (await runMonitor(app)).result.rollouts.find((r) => r.rolloutId === rollout.rolloutId);
    if (haltedAt === null && run?.after.state === 'halted') haltedAt = now + TICK;
  }
  const status = await getRollout(app, rollout.rolloutId);
  const firstUpdate = Math.min(...updatedAt.values());
  const onset = quietAfterS === null ? null : firstUpdate + quietAfterS;
  return {
    state: status.state,
    stageIndex: status.stageIndex,
    haltReason: status.halt?.reason ?? null,
    haltAfterOnsetS: haltedAt !== null && onset !== null ? haltedAt - onset : null,
    updated: updatedAt.size,
    bricked: quietAfterS === null ? 0 : updatedAt.size,
  };
}

describeEachTarget('OTA health gate vs transfer-success (quiet brick)', (serverUrl) => {
  it('the health gate halts a quietly bricking image inside the canary, once the canary missed the reports its rhythm predicts; transfer-success rolls it to the whole fleet', async () => {
    const gated = await runFleet(serverUrl, 'health-gate', 6 * HOUR);
    expect(gated).toMatchObject({ state: 'halted', stageIndex: 0, haltReason: 'health-gate', updated: 10 });
    expect(gated.haltAfterOnsetS).toBeGreaterThan(0);
    // A canary device's last session is 4 h after its update (6 intervals over 52 h of history); with the
    // line's ~4 h mean interval its quiet threshold is quietAfterSeconds(6, 52 h, 4 h) ≈ 27 h, so the halt
    // comes about 25 h after the onset: bounded here by that τ plus two ticks, whatever the window says.
    expect(gated.haltAfterOnsetS).toBeLessThanOrEqual(quietAfterSeconds(6, 52 * HOUR, 4 * HOUR) + 2 * TICK);

    const counterfactual = await runFleet(serverUrl, 'transfer-success', 6 * HOUR);
    expect(counterfactual).toMatchObject({ state: 'completed', haltReason: null, updated: 40 });
    expect(counterfactual.bricked).toBeGreaterThan(gated.bricked);
  }, 240_000);

  it('a good image rolls through every stage to 100 % under the health gate, with no false halt', async () => {
    const good = await runFleet(serverUrl, 'health-gate', null);
    expect(good).toMatchObject({ state: 'completed', stageIndex: 1, haltReason: null, updated: 40 });
  }, 240_000);
});

