import { defineCases } from '../types.ts';

const bond = (ctx: { http: any; world: any }, deviceId: number, body: object, who = ctx.world.A) =>
  ctx.http.send('POST', `/v2/devices/${deviceId}/bond`, { headers: ctx.world.phone(who), json: body });

/** AUTH-3 / API6:2023 — ownership moves only with a fresh device-signed button press. */
export const bondingCases = defineCases([
  {
    id: 'bond-without-press',
    title: "A re-bonds B's device with a genuine proof whose button flag is 0 (no press)",
    class: 'AUTH-3',
    expected: { status: 403, codes: ['button-not-pressed'] },
    run: async (ctx) => {
      const w = ctx.world;
      return bond(ctx, w.B1.deviceId, w.bondBody(w.B1, w.A.accountId, await w.challenge(w.A, w.B1.deviceId), { buttonPressed: false }));
    },
  },
  {
    id: 'bond-forged-proof',
    title: "A re-bonds B's device with a proof the phone signed itself",
    class: 'AUTH-3',
    expected: { status: 403, codes: ['bond-proof-invalid'] },
    run: async (ctx) => {
      const w = ctx.world;
      return bond(ctx, w.B1.deviceId, w.bondBody(w.B1, w.A.accountId, await w.challenge(w.A, w.B1.deviceId), { key: w.rogueKey }));
    },
  },
  {
    id: 'bond-replay-used-proof',
    title: 'replay a bonding request already used (same challenge, same proof)',
    class: 'AUTH-3',
    expected: { status: 409, codes: ['challenge-invalid'] },
    run: (ctx) => bond(ctx, ctx.world.usedBondProof.deviceId, ctx.world.usedBondProof.body),
  },
  {
    id: 'bond-used-challenge-new-press',
    title: 'an old (used) challenge with a fresh, genuinely signed press',
    class: 'AUTH-3',
    expected: { status: 409, codes: ['challenge-invalid'] },
    run: (ctx) => {
      const w = ctx.world;
      return bond(ctx, w.A2.deviceId, w.bondBody(w.A2, w.A.accountId, w.usedBondProof.body.challenge));
    },
  },
  {
    id: 'bond-expired-challenge',
    title: 'a genuine proof over a challenge that expired (virtual clock + 10 min)',
    class: 'AUTH-3',
    expected: { status: 409, codes: ['challenge-invalid'] },
    prepare: async ({ world: w }) => {
      const body = w.bondBody(w.A1, w.A.accountId, await w.challenge(w.A, w.A1.deviceId));
      await w.setClockAdvance(10 * 60_000);
      await w.refreshTokens();
      return body;
    },
    run: (ctx, body: object) => bond(ctx, ctx.world.A1.deviceId, body),
  },
  {
    id: 'bond-proof-for-other-account',
    title: "a genuine press proof made for B's account, submitted on A's own challenge",
    class: 'AUTH-3',
    expected: { status: 403, codes: ['bond-proof-invalid'] },
    run: async (ctx) => {
      const w = ctx.world;
      return bond(ctx, w.U1.deviceId, w.bondBody(w.U1, w.B.accountId, await w.challenge(w.A, w.U1.deviceId)));
    },
  },
  {
    id: 'bond-challenge-of-other-account',
    title: "B's challenge and B's genuine proof, submitted by A's phone",
    class: 'AUTH-3',
    expected: { status: 409, codes: ['challenge-invalid'] },
    run: async (ctx) => {
      const w = ctx.world;
      return bond(ctx, w.U1.deviceId, w.bondBody(w.U1, w.B.accountId, await w.challenge(w.B, w.U1.deviceId)));
    },
  },
  {
    id: 'bond-challenge-other-device',
    title: "a challenge issued for one device used to bond another (B's) with its genuine press",
    class: 'AUTH-3',
    expected: { status: 409, codes: ['challenge-invalid'] },
    run: async (ctx) => {
      const w = ctx.world;
      return bond(ctx, w.B1.deviceId, w.bondBody(w.B1, w.A.accountId, await w.challenge(w.A, w.U1.deviceId)));
    },
  },
  {
    id: 'bond-counter-not-increasing',
    title: 'a genuine proof on a fresh challenge whose press counter did not increase (a cloned device)',
    class: 'AUTH-3',
    expected: { status: 409, codes: ['press-counter-stale'] },
    run: async (ctx) => {
      const w = ctx.world;
      return bond(ctx, w.A1.deviceId, w.bondBody(w.A1, w.A.accountId, await w.challenge(w.A, w.A1.deviceId), { pressCounter: w.A1.pressCounter }));
    },
  },
  {
    id: 'bond-unprovisioned-device',
    title: 'bond a device id the factory never provisioned',
    class: 'AUTH-3',
    expected: { status: 404, codes: ['not-found'] },
    run: (ctx) => {
      const w = ctx.world;
      return bond(ctx, w.U1.deviceId + 77, w.bondBody({ ...w.U1, deviceId: w.U1.deviceId + 77 }, w.A.accountId, Buffer.alloc(32, 7).toString('base64url')));
    },
  },
  {
    id: 'bond-move-without-proof',
    title: "move B's device to A by updating the device (PATCH/PUT owner): no such route",
    class: 'AUTH-3',
    expected: { status: [404, 405], codes: ['route-not-found', 'method-not-allowed'] },
    run: ({ world: w, http }) => http.send('PATCH', `/v2/devices/${w.B1.deviceId}`, { headers: w.phone(w.A), json: { ownerAccountId: w.A.accountId } }),
  },
]);
