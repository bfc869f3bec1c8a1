import { afterAll, beforeAll, expect, it } from 'vitest';
import { SIGNED_RECORD_BYTES } from '../../contract/record.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import {
  bond,
  countRows,
  describeEachTarget,
  flipByte,
  freshDeviceIds,
  provision,
  sessionRecord,
  signedRecord,
  signUp,
  uploadBatch,
  type TestAccount,
  type TestDevice,
} from '../support/world.ts';

type InjectResponse = Awaited<ReturnType<typeof uploadBatch>>;

/**
 * Bad input to POST /v2/uploads: each a 4xx problem+json naming what was wrong,
 * and nothing written — no session, event, consumable or idempotency key.
 */
describeEachTarget('uploads: bad input is a 4xx problem and writes nothing', (serverUrl) => {
  let api: TestApi;
  let phone: TestAccount;
  let device: TestDevice;
  let seq = 0;
  const good = () => signedRecord(device, sessionRecord(device.deviceId, ++seq));
  let keyCounter = 0;
  const headers = (over: Record<string, string | undefined> = {}) => {
    const h: Record<string, string> = { authorization: `Bearer ${phone.token}`, 'idempotency-key': `bad-input-${++keyCounter}-key` };
    for (const [k, v] of Object.entries(over)) {
      if (v === undefined) delete h[k];
      else h[k] = v;
    }
    return h;
  };
  const post = (payload: unknown, over: Record<string, string | undefined> = {}) =>
    api.app.inject({ method: 'POST', url: '/v2/uploads', headers: headers(over), payload: payload as object });

  beforeAll(async () => {
    api = await startTestApi(serverUrl);
    phone = await signUp(api.app, 'bad-input');
    [device] = (await provision(api.app, freshDeviceIds(1))) as [TestDevice];
    await bond(api.app, phone, device);
    // One good upload first, so "nothing written" is measured against a database that has rows.
    const res = await api.app.inject({ method: 'POST', url: '/v2/uploads', headers: headers(), payload: { records: [good(), good()] } });
    expect(res.statusCode).toBe(200);
  });
  afterAll(async () => api?.close());

  /** Send, expect the problem, and prove that no ingestion table changed. */
  async function expectProblem(send: () => Promise<InjectResponse>, status: number, code: string, field?: string | RegExp) {
    const before = await countRows(api.db.url);
    const res = await send();
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem).toMatchObject({ type: `https://fleetbed.dev/problems/${code}`, status, code, detail: expect.any(String) });
    if (field instanceof RegExp) expect(problem.field).toMatch(field);
    else if (field !== undefined) expect(problem.field).toBe(field);
    expect(await countRows(api.db.url)).toEqual(before);
    return problem as { detail: string; field?: string };
  }

  it('malformed JSON is 400 malformed-json', async () => {
    await expectProblem(() => api.app.inject({ method: 'POST', url: '/v2/uploads', headers: { ...headers(), 'content-type': 'application/json' }, payload: '{"records": ["abc",' }), 400, 'malformed-json', 'body');
  });

  it('an empty JSON body is 400 malformed-json', async () => {
    await expectProblem(() => api.app.inject({ method: 'POST', url: '/v2/uploads', headers: { ...headers(), 'content-type': 'application/json' }, payload: '' }), 400, 'malformed-json');
  });

  it('a body that is not JSON at all (text/plain) is a 4xx', async () => {
    const before = await countRows(api.db.url);
    const res = await api.app.inject({ method: 'POST', url: '/v2/uploads', headers: { ...headers(), 'content-type': 'text/plain' }, payload: 'records=1' });
    expect([400, 415]).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await countRows(api.db.url)).toEqual(before);
  });

  it('records missing is 400 validation-failed naming records', async () => {
    await expectProblem(() => post({}), 400, 'validation-failed', 'records');
  });

  it.each([
    ['a string', 'abc'],
    ['an object', { 0: 'abc' }],
    ['null', null],
    ['a number', 3],
  ])('records as %s is 400 validation-failed naming records', async (_what, records) => {
    await expectProblem(() => post({ records }), 400, 'validation-failed', 'records');
  });

  it('an empty records array is 400 validation-failed', async () => {
    await expectProblem(() => post({ records: [] }), 400, 'validation-failed', 'records');
  });

  it('a record that is not a string is 400 naming it', async () => {
    await expectProblem(() => post({ records: [good(), 42] }), 400, 'validation-failed', /^records/);
  });

  it('an unknown top-level field is 400 validation-failed', async () => {
    await expectProblem(() => post({ records: [good()], accountId: phone.accountId }), 400, 'validation-failed', 'accountId');
  });

  it("bad base64 (a '*' character) is 400 naming records[i]; the good record before it is not stored either", async () => {
    const bad = good();
    const p = await expectProblem(() => post({ records: [good(), `${bad.slice(0, 60)}*${bad.slice(61)}`] }), 400, 'validation-failed', 'records[1]');
    expect(p.detail).toMatch(/records\[1\].*base64url/);
  });

  it('standard base64 with padding (not base64url) is 400 naming records[i]', async () => {
    const std = Buffer.from(good(), 'base64url').toString('base64');
    await expectProblem(() => post({ records: [std] }), 400, 'validation-failed', 'records[0]');
  });

  it('a truncated record (fewer bytes) is 400 naming records[i]', async () => {
    const truncated = Buffer.from(good(), 'base64url').subarray(0, SIGNED_RECORD_BYTES - 1).toString('base64url');
    const p = await expectProblem(() => post({ records: [good(), good(), truncated] }), 400, 'validation-failed', 'records[2]');
    expect(p.detail).toMatch(/98 bytes/);
  });

  it('a record cut mid-character (fewer base64 characters) is 400 naming records[i]', async () => {
    await expectProblem(() => post({ records: [good().slice(0, 120)] }), 400, 'validation-failed', 'records[0]');
  });

  it('an oversized record (extra bytes) is 400 naming records[i]', async () => {
    const oversized = Buffer.concat([Buffer.from(good(), 'base64url'), Buffer.from([0])]).toString('base64url');
    await expectProblem(() => post({ records: [oversized, good()] }), 400, 'validation-failed', 'records[0]');
  });

  it.each([0x01, 0x02, 0xfe])('a format version byte the contract does not define (1 xor %i) is 400 naming records[i]', async (mask) => {
    const bad = flipByte(good(), 0, mask); // version 1 → 0, 3 or 255 (1 and 2 are both formats)
    const p = await expectProblem(() => post({ records: [good(), bad] }), 400, 'validation-failed', 'records[1]');
    expect(p.detail).toMatch(/formatVersion: expected 1 or 2/);
  });

  it('a non-zero reserved byte in a format-1 record is 400 naming records[i] (never read as format 2)', async () => {
    const p = await expectProblem(() => post({ records: [flipByte(good(), 33)] }), 400, 'validation-failed', 'records[0]');
    expect(p.detail).toMatch(/reserved byte 33/);
  });

  it('more than 256 records is 413 payload-too-large', async () => {
    const records = Array.from({ length: 257 }, good);
    const p = await expectProblem(() => post({ records }), 413, 'payload-too-large', 'records');
    expect(p.detail).toMatch(/256/);
  });

  it('exactly 256 records is accepted (the limit is inclusive)', async () => {
    const records = Array.from({ length: 256 }, good);
    const res = await post({ records });
    expect(res.statusCode).toBe(200);
    expect(res.json().counts).toEqual({ stored: 256, duplicate: 0, rejected: 0 });
  });

  it('a body over the byte limit is 413 payload-too-large', async () => {
    const records = Array.from({ length: 9000 }, () => 'A'.repeat(131));
    await expectProblem(() => post({ records }), 413, 'payload-too-large');
  });

  it('no token is 401 unauthenticated', async () => {
    await expectProblem(() => post({ records: [good()] }, { authorization: undefined }), 401, 'unauthenticated', 'Authorization');
  });

  it('a refresh token as the bearer is 401 unauthenticated', async () => {
    await expectProblem(() => post({ records: [good()] }, { authorization: `Bearer ${phone.refreshToken}` }), 401, 'unauthenticated', 'Authorization');
  });

  it('an unknown access token is 401 unauthenticated', async () => {
    await expectProblem(() => post({ records: [good()] }, { authorization: `Bearer at_${'x'.repeat(43)}` }), 401, 'unauthenticated', 'Authorization');
  });

  it('a non-Bearer Authorization scheme is 401 unauthenticated', async () => {
    await expectProblem(() => post({ records: [good()] }, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }), 401, 'unauthenticated', 'Authorization');
  });

  it('a missing Idempotency-Key is 400 idempotency-key-required', async () => {
    await expectProblem(() => post({ records: [good()] }, { 'idempotency-key': undefined }), 400, 'idempotency-key-required', 'Idempotency-Key');
  });

  it('a malformed Idempotency-Key is 400 naming Idempotency-Key', async () => {
    await expectProblem(() => post({ records: [good()] }, { 'idempotency-key': 'no good!' }), 400, 'validation-failed', 'Idempotency-Key');
  });

  it('records only from an unknown (never provisioned) device: 422 upload-rejected device-not-bonded, no session, event or consumable written', async () => {
    const [unknownId] = freshDeviceIds(1);
    const forged = signedRecord({ ...device, deviceId: unknownId! }, sessionRecord(unknownId!, 1));
    const before = await countRows(api.db.url);
    const res = await post({ records: [forged] });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'upload-rejected', field: 'records', results: [{ deviceId: unknownId, seq: 1, verdict: 'rejected', code: 'device-not-bonded' }] });
    const after = await countRows(api.db.url);
    expect({ ...after, idempotency_keys: before.idempotency_keys }).toEqual(before);
  });
});
