import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { testPool } from '../support/databases.ts';
import { SignUpStore, TokenGrantStore } from '../../reference-api/src/auth/store.ts';
import { virtualClock } from '../../reference-api/src/clock.ts';
import { describeEachDatabase, listDevices, newSignUp, PHONE_CLIENT_ID, signUpAndSignIn, tokenRequest, withClient } from '../support/fixtures.ts';

/**
 * Group commit of sign-ups and token grants (reference-api/src/auth/store.ts):
 * concurrent requests share statements, and each still gets exactly its own
 * answer. Rows written by one statement share one transaction id (xmin): that
 * is how these tests see the grouping.
 */
describeEachDatabase('accounts and tokens: concurrent requests share statements (group commit) and keep their own answers', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  const sha = (token: string) => createHash('sha256').update(token).digest();
  const distinctXmin = (table: string, column: string, values: unknown[], cast: string) =>
    withClient(api.db.url, async (c) => (await c.query<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM ${table} WHERE ${column} = ANY($1::${cast}[])`, [values])).rows[0]!.n);

  it('12 sign-ups at once, one of them for a taken email: 11 accounts each with its own identity and event, the taken email 409 and nothing written for it', async () => {
    const taken = newSignUp('group-taken');
    expect((await api.app.inject({ method: 'POST', url: '/v2/accounts', payload: taken })).statusCode).toBe(201);
    const bodies = Array.from({ length: 11 }, (_, i) => newSignUp(`group-signup-${i}`));
    const all = [...bodies.slice(0, 5), { ...taken, email: taken.email.toUpperCase(), displayName: 'Impostor' }, ...bodies.slice(5)];
    const answers = await Promise.all(all.map((payload) => api.app.inject({ method: 'POST', url: '/v2/accounts', payload })));

    expect(answers.map((r) => r.statusCode)).toEqual(all.map((_, i) => (i === 5 ? 409 : 201)));
    expect(answers[5]!.json()).toMatchObject({ code: 'email-taken', field: 'email' });
    const ids = answers.filter((r) => r.statusCode === 201).map((r) => r.json().accountId as string);
    expect(new Set(ids).size).toBe(11);
    const stored = await withClient(api.db.url, async (c) => ({
      identities: (await c.query<{ account_id: string; email: string; display_name: string }>('SELECT account_id, email, display_name FROM identity_accounts WHERE account_id = ANY($1::uuid[])', [ids])).rows,
      events: (await c.query<{ account_id: string }>("SELECT account_id FROM events WHERE kind = 'account.created' AND account_id = ANY($1::uuid[])", [ids])).rows,
      impostors: (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM identity_accounts WHERE display_name = 'Impostor'")).rows[0]!.n,
    }));
    const byId = new Map(stored.identities.map((r) => [r.account_id, r]));
    bodies.forEach((b) => {
      const answer = answers[all.indexOf(b)]!.json() as { accountId: string };
      expect(byId.get(answer.accountId)).toMatchObject({ email: b.email, display_name: b.displayName });
    });
    expect(stored.events.map((e) => e.account_id).sort()).toEqual([...ids].sort());
    expect(stored.impostors).toBe(0);
    // Each sign-up signs in with its own password.
    const signIns = await Promise.all(bodies.map((b) => tokenRequest(api.app, { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: b.email, password: b.password })));
    signIns.forEach((r) => expect(r.statusCode, r.body).toBe(200));
  });

  // Over HTTP, sign-ups and password grants reach their statements only after scrypt, whose
  // completions on the thread pool are spread by load: how many share a statement varies. Sent
  // to the stores in one event-loop turn, they share one.
  it('sign-ups and token pairs submitted together are written by one statement each, every item its own row', async () => {
    const pool = testPool(api.db.url, 2);
    try {
      const clock = virtualClock(pool);
      const signUps = new SignUpStore(pool, clock);
      const bodies = Array.from({ length: 12 }, (_, i) => newSignUp(`group-store-${i}`));
      const accounts = await Promise.all(bodies.map((b) => signUps.signUp({ email: b.email, displayName: b.displayName, passwordHash: `hash-${b.email}` })));
      expect(signUps.stats).toMatchObject({ batches: 1, largestBatch: 12 });
      expect(await distinctXmin('accounts', 'account_id', accounts.map((a) => a.accountId), 'uuid')).toBe(1);
      const identities = await withClient(api.db.url, async (c) =>
        new Map((await c.query<{ account_id: string; email: string; password_hash: string }>('SELECT account_id, email, password_hash FROM identity_accounts WHERE account_id = ANY($1::uuid[])', [accounts.map((a) => a.accountId)])).rows.map((r) => [r.account_id, r])),
      );
      accounts.forEach((a, i) => expect(identities.get(a.accountId)).toMatchObject({ email: bodies[i]!.email, password_hash: `hash-${bodies[i]!.email}` }));

      const grants = new TokenGrantStore(pool, clock, { accessMs: 3_600_000, refreshMs: 86_400_000 });
      const now = await clock.now();
      const pairs = accounts.map((a) => ({ now, accessHash: randomBytes(32), refreshHash: randomBytes(32), accountId: a.accountId, clientId: PHONE_CLIENT_ID, familyId: randomUUID() }));
      await Promise.all(pairs.map((p) => grants.issuePair(p)));
      expect(grants.stats.issue).toMatchObject({ batches: 1, largestBatch: 12 });
      expect(await distinctXmin('access_tokens', 'token_hash', pairs.map((p) => p.accessHash), 'bytea')).toBe(1);
      const owners = await withClient(api.db.url, async (c) =>
        new Map((await c.query<{ token_hash: Buffer; account_id: string; family_id: string }>('SELECT token_hash, account_id, family_id FROM refresh_tokens WHERE token_hash = ANY($1::bytea[])', [pairs.map((p) => p.refreshHash)])).rows.map((r) => [r.token_hash.toString('hex'), r])),
      );
      pairs.forEach((p) => expect(owners.get(p.refreshHash.toString('hex'))).toMatchObject({ account_id: p.accountId, family_id: p.familyId }));
    } finally {
      await pool.end();
    }
  });

  it('12 password grants at once, with a wrong password and an unknown email among them: each good one gets its own working pair, of its own account', async () => {
    const accounts = await Promise.all(Array.from({ length: 10 }, (_, i) => signUpAndSignIn(api.app, `group-grant-${i}`)));
    const forms = [
      ...accounts.map((a) => ({ grant_type: 'password', client_id: PHONE_CLIENT_ID, username: a.email, password: a.password })),
      { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: accounts[0]!.email, password: 'not the password' },
      { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: 'nobody-at-all@example.test', password: 'x' },
    ];
    const answers = await Promise.all(forms.map((f) => tokenRequest(api.app, f)));
    expect(answers.map((r) => r.statusCode)).toEqual([...accounts.map(() => 200), 400, 400]);
    expect(answers.slice(10).map((r) => r.json().error)).toEqual(['invalid_grant', 'invalid_grant']);
    const pairs = answers.slice(0, 10).map((r) => r.json() as { access_token: string; refresh_token: string });
    const owners = await withClient(api.db.url, async (c) =>
      new Map((await c.query<{ token_hash: Buffer; account_id: string }>('SELECT token_hash, account_id FROM access_tokens WHERE token_hash = ANY($1::bytea[])', [pairs.map((p) => sha(p.access_token))])).rows.map((r) => [r.token_hash.toString('hex'), r.account_id])),
    );
    pairs.forEach((p, i) => expect(owners.get(sha(p.access_token).toString('hex'))).toBe(accounts[i]!.accountId));
    for (const p of pairs) expect((await listDevices(api.app, p.access_token)).statusCode).toBe(200);
  });

  it('refreshes at once, one token twice among them: the others each rotate to a working pair of their own family; of the twins one wins and the other revokes that family', async () => {
    const accounts = await Promise.all(Array.from({ length: 8 }, (_, i) => signUpAndSignIn(api.app, `group-refresh-${i}`)));
    const refresh = (token: string) => tokenRequest(api.app, { grant_type: 'refresh_token', client_id: PHONE_CLIENT_ID, refresh_token: token });
    const answers = await Promise.all([...accounts.map((a) => refresh(a.refreshToken)), refresh(accounts[0]!.refreshToken)]);

    const twins = [answers[0]!, answers[8]!];
    expect(twins.map((r) => r.statusCode).sort()).toEqual([200, 400]);
    expect(twins.find((r) => r.statusCode === 400)!.json()).toMatchObject({ error: 'invalid_grant' });
    // The family of accounts[0] is revoked: its new access token (if any) no longer works.
    const winner = twins.find((r) => r.statusCode === 200)!.json() as { access_token: string };
    expect((await listDevices(api.app, winner.access_token)).statusCode).toBe(401);

    const others = answers.slice(1, 8);
    others.forEach((r) => expect(r.statusCode, r.body).toBe(200));
    const pairs = others.map((r) => r.json() as { access_token: string; refresh_token: string });
    for (const p of pairs) expect((await listDevices(api.app, p.access_token)).statusCode).toBe(200);
    const families = await withClient(api.db.url, async (c) => ({
      issued: (await c.query<{ token_hash: Buffer; account_id: string; family_id: string }>('SELECT token_hash, account_id, family_id FROM refresh_tokens WHERE token_hash = ANY($1::bytea[])', [pairs.map((p) => sha(p.refresh_token))])).rows,
      presented: (await c.query<{ token_hash: Buffer; family_id: string; rotated: boolean }>('SELECT token_hash, family_id, rotated_at IS NOT NULL AS rotated FROM refresh_tokens WHERE token_hash = ANY($1::bytea[])', [accounts.slice(1).map((a) => sha(a.refreshToken))])).rows,
    }));
    const presentedFamily = new Map(families.presented.map((r) => [r.token_hash.toString('hex'), r.family_id]));
    expect(families.presented.every((r) => r.rotated)).toBe(true);
    const issuedBy = new Map(families.issued.map((r) => [r.token_hash.toString('hex'), r]));
    pairs.forEach((p, i) => {
      const row = issuedBy.get(sha(p.refresh_token).toString('hex'))!;
      expect(row.account_id).toBe(accounts[i + 1]!.accountId);
      expect(row.family_id).toBe(presentedFamily.get(sha(accounts[i + 1]!.refreshToken).toString('hex')));
    });
    const statements = await distinctXmin('refresh_tokens', 'token_hash', pairs.map((p) => sha(p.refresh_token)), 'bytea');
    console.log(`[fleetbed tests] grant group commit: 7 concurrent refreshes were rotated by ${statements} statement(s)`);
    expect(statements).toBeLessThan(7);
  });
});
