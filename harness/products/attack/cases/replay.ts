import { defineCases } from '../types.ts';
import { codeOf, mutate, nothingStored, REC } from './_util.ts';

/** ING-3 / ING-1: captured uploads sent again. */
export const replayCases = defineCases([
  {
    id: 'replay-same-key',
    title: 'resend a captured upload as-is, same Idempotency-Key',
    class: 'ING-3',
    expected: {
      describe: '200 Idempotent-Replayed: true (the original answer, nothing written)',
      check: (ex) => (ex.status === 200 && ex.headers['idempotent-replayed'] === 'true' ? null : `got ${ex.status} ${codeOf(ex)} without Idempotent-Replayed`),
    },
    run: ({ world: w }) => w.upload(w.A, w.firstUpload.body.records, w.firstUpload.key),
  },
  {
    id: 'replay-new-key',
    title: 'resend a captured upload with a new Idempotency-Key',
    class: 'ING-3',
    expected: nothingStored({ duplicate: 4 }),
    run: ({ world: w }) => w.upload(w.A, w.firstUpload.body.records),
  },
  {
    id: 'replay-inside-other-batch',
    title: 'a stored record resent inside another batch (next to a tampered one)',
    class: 'ING-1',
    expected: nothingStored({ duplicate: 1, rejected: 1 }),
    run: ({ world: w }) => w.upload(w.A, [w.A1.stored[0]!, mutate(w.sign(w.A1, w.freshRecord(w.A1)), (b) => void (b[20]! ^= 1))]),
  },
  {
    id: 'replay-key-other-body',
    title: 'reuse a captured Idempotency-Key for a different body',
    class: 'ING-3',
    expected: { status: 409, codes: ['idempotency-key-reused'] },
    run: ({ world: w }) => w.upload(w.A, [...w.firstUpload.body.records.slice(0, 3), w.sign(w.A1, w.freshRecord(w.A1))], w.firstUpload.key),
  },
  {
    id: 'replay-via-other-account',
    title: "A's captured record relayed by B's phone",
    class: 'API1:2023',
    expected: { status: 422, codes: [REC + 'device-not-bonded'] },
    run: ({ world: w }) => w.upload(w.B, [w.A1.stored[0]!]),
  },
  {
    id: 'replay-seq-conflict',
    title: 'a different, genuinely signed record under a stored (device, seq) — a cloned device',
    class: 'ING-1',
    expected: { status: 422, codes: [REC + 'seq-conflict'] },
    run: ({ world: w }) => w.upload(w.A, [w.sign(w.A1, { ...w.freshRecord(w.A1), seq: 1, durationS: 7 })]),
  },
  {
    id: 'replay-stale-capture',
    title: 'a genuine record captured 40 days ago, relayed now (outside the late window)',
    class: 'ING-4',
    expected: { status: 422, codes: [REC + 'too-late'] },
    run: ({ world: w }) => w.upload(w.A, [w.sign(w.A1, w.freshRecord(w.A1, { startedAt: w.t0 - 40 * 86_400 }))]),
  },
]);
