import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { advanceClock, bond, describeEachTarget, signUp, type TestAccount } from '../support/world.ts';
import { act, checkOffer, createRelease, createRollout, getRollout, OPERATOR, provisionLine, relayReports, runMonitor, updateReports, type OtaDevice } from './support.ts';

const HOUR = 3600_000;

describeEachTarget('OTA rollouts', (serverUrl) => {
  let api: TestApi;
  let owner: TestAccount;
  let devices: OtaDevice[];
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
    owner = await signUp(api.app, 'ota-rollouts');
    devices = await provisionLine(api.app, [91_001, 91_002, 91_003, 91_004], 'interdental');
    for (const d of devices) await bond(api.app, owner, d);
  });
  afterAll(async () => api?.close());

  it('runs the lifecycle: active → halted → active → advanced → completed, showing each stage and why it halted', async () => {
    const rel = await createRelease(api.app, { productLine: 'interdental', version: '1.1.0' });
    const r = await createRollout(api.app, rel.releaseId, { stages: [{ percent: 100, maxDevices: 2, soakSeconds: 3600 }, { percent: 100, soakSeconds: 0 }] });
    expect(r).toMatchObject({ state: 'active', stageIndex: 0, devices: 0, halt: null, lastEvaluation: null });
    expect(r.stages.map((s) => s.status)).toEqual(['current', 'pending']);

    // Two devices fit the first stage's cap; the third is told the stage is full.
    expect((await checkOffer(api.app, owner.token, devices[0]!.deviceId)).json().offer).not.toBeNull();
    expect((await checkOffer(api.app, owner.token, devices[1]!.deviceId)).json().offer).not.toBeNull();
    expect((await checkOffer(api.app, owner.token, devices[2]!.deviceId)).json()).toMatchObject({ offer: null, reason: 'stage-full' });
    const now = Math.floor(Date.UTC(2026, 0, 1) / 1000);
    expect((await relayReports(api.app, owner.token, updateReports(devices[0]!, r.rolloutId, '1.0.0', '1.1.0', now, 'installed'))).statusCode).toBe(200);

    const halted = await act(api.app, r.rolloutId, 'halt', 'waiting for the field team');
    expect(halted.statusCode).toBe(200);
    expect(halted.json()).toMatchObject({ state: 'halted', halt: { reason: 'manual', by: 'operator', detail: 'waiting for the field team' } });
    for (const action of ['halt', 'advance']) {
      const res = await act(api.app, r.rolloutId, action);
      expect(res.statusCode, action).toBe(409);
      expect(res.json().code).toBe('rollout-state-conflict');
    }
    // Halted: no offers, not even to members.
    expect((await checkOffer(api.app, owner.token, devices[0]!.deviceId)).json()).toMatchObject({ offer: null, reason: 'rollout-halted' });

    expect((await act(api.app, r.rolloutId, 'resume')).json()).toMatchObject({ state: 'active', halt: null });
    const advanced = (await act(api.app, r.rolloutId, 'advance')).json();
    expect(advanced).toMatchObject({ state: 'active', stageIndex: 1, devices: 2 });
    expect(advanced.stages.map((s: { status: string }) => s.status)).toEqual(['passed', 'current']);
    expect(advanced.stages[0]).toMatchObject({ devices: 2, counts: { offered: 1, installed: 1 } });
    expect(advanced.counts).toMatchObject({ offered: 1, installed: 1, confirmed: 0 });
    expect((await checkOffer(api.app, owner.token, devices[2]!.deviceId)).json().offer).toMatchObject({ stageIndex: 1 });

    const done = (await act(api.app, r.rolloutId, 'advance')).json();
    expect(done).toMatchObject({ state: 'completed', stageIndex: 1 });
    expect(done.stages.map((s: { status: string }) => s.status)).toEqual(['passed', 'passed']);
    // A completed rollout keeps offering its release to its last stage's cohort.
    expect((await checkOffer(api.app, owner.token, devices[3]!.deviceId)).json().offer).toMatchObject({ version: '1.1.0' });
    expect((await act(api.app, r.rolloutId, 'cancel')).statusCode).toBe(409);
  });

  it('allows one open rollout per product line, and cancel is final', async () => {
    const rel = await createRelease(api.app, { productLine: 'interdental', version: '1.2.0' });
    const r = await createRollout(api.app, rel.releaseId);
    const second = await api.app.inject({ method: 'POST', url: '/v2/ota/rollouts', headers: OPERATOR, payload: { releaseId: rel.releaseId, policy: 'health-gate', stages: [{ percent: 1, soakSeconds: 0 }] } });
    expect(second.statusCode).toBe(409);
    expect(second.json().code).toBe('rollout-active');
    expect((await act(api.app, r.rolloutId, 'cancel')).json().state).toBe('cancelled');
    expect((await checkOffer(api.app, owner.token, devices[0]!.deviceId)).json()).toMatchObject({ offer: null, reason: 'rollout-cancelled' });
    for (const action of ['resume', 'advance', 'halt', 'cancel']) expect((await act(api.app, r.rolloutId, action)).statusCode, action).toBe(409);
  });

  it.each([
    ['a stage with neither percent nor cap', [{ soakSeconds: 0 }], 'stages.0'],
    ['a shrinking percent', [{ percent: 10, soakSeconds: 0 }, { percent: 5, soakSeconds: 0 }], 'stages.1.percent'],
    ['a shrinking cap', [{ maxDevices: 10, soakSeconds: 0 }, { maxDevices: 5, soakSeconds: 0 }], 'stages.1.maxDevices'],
    ['a percent finer than 0.01', [{ percent: 0.001, soakSeconds: 0 }], 'stages.0.percent'],
  ])('refuses %s (400)', async (_what, stages, field) => {
    const rel = await createRelease(api.app, { productLine: 'kids-brush', version: `9.${field.length}.${stages.length}` });
    const res = await api.app.inject({ method: 'POST', url: '/v2/ota/rollouts', headers: OPERATOR, payload: { releaseId: rel.releaseId, policy: 'health-gate', stages } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation-failed', field });
  });

  it('refuses every operator route to a phone token (403) and without a credential (401)', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const routes = [
      { method: 'POST' as const, url: '/v2/ota/releases', payload: {} },
      { method: 'GET' as const, url: `/v2/ota/releases/${id}` },
      { method: 'POST' as const, url: '/v2/ota/rollouts', payload: {} },
      { method: 'GET' as const, url: `/v2/ota/rollouts/${id}` },
      { method: 'POST' as const, url: `/v2/ota/rollouts/${id}/actions`, payload: { action: 'cancel' } },
    ];
    for (const r of routes) {
      const asPhone = await api.app.inject({ ...r, headers: { authorization: `Bearer ${owner.token}` } });
      expect(asPhone.statusCode, `${r.method} ${r.url}`).toBe(403);
      expect(asPhone.json().code).toBe('forbidden');
      expect((await api.app.inject(r)).statusCode, `${r.method} ${r.url}`).toBe(401);
    }
  });

  it('the monitor job runs on the virtual clock and answers what it did; an unknown job is a 404', async () => {
    const rel = await createRelease(api.app, { productLine: 'interdental', version: '1.3.0' });
    const r = await createRollout(api.app, rel.releaseId, { policy: 'transfer-success', stages: [{ percent: 100, soakSeconds: 3600 }], gate: { minSample: 1 } });
    const offer = await checkOffer(api.app, owner.token, devices[3]!.deviceId);
    expect(offer.json().offer).toMatchObject({ version: '1.3.0' });
    await relayReports(api.app, owner.token, updateReports(devices[3]!, r.rolloutId, '1.0.0', '1.3.0', Math.floor(Date.UTC(2026, 0, 1) / 1000)));

    const first = await runMonitor(api.app);
    expect(first.job).toBe('ota-health-monitor');
    const mine = first.result.rollouts.find((x) => x.rolloutId === r.rolloutId)!;
    expect(mine.evaluation).toMatchObject({ decision: 'hold' });
    expect(mine.evaluation.reason).toMatch(/soaking/);
    await advanceClock(api.app, 2 * HOUR);
    const second = (await runMonitor(api.app)).result.rollouts.find((x) => x.rolloutId === r.rolloutId)!;
    expect(second).toMatchObject({ before: { state: 'active' }, after: { state: 'completed' }, evaluation: { decision: 'complete' } });
    expect((await getRollout(api.app, r.rolloutId)).lastEvaluation).toMatchObject({ decision: 'complete', transferred: 1 });

    const unknown = await api.app.inject({ method: 'POST', url: '/testbed/jobs/no-such-job' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'not-found', field: 'name' });
    expect(unknown.json().detail).toMatch(/ota-health-monitor/);
  });

  describe('outside test mode', () => {
    let plain: TestApi;
    beforeAll(async () => {
      plain = await startTestApi(serverUrl, { testMode: false, otaMonitorIntervalSeconds: 0 });
    });
    afterAll(async () => plain?.close());

    it('has no job hook (404 route-not-found)', async () => {
      const res = await plain.app.inject({ method: 'POST', url: '/testbed/jobs/ota-health-monitor' });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('route-not-found');
    });
  });
});
