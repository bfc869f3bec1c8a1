import type pg from 'pg';
import type { Clock } from '../clock.ts';
import { groupedStatement, type Coalescer } from '../db/coalesce.ts';
import { byteaArray, numberArray, textArray } from '../db/array-literal.ts';

/** A challenge to issue: a fresh random value for a device, to one account. */
export interface ChallengeArgs {
  deviceId: number;
  challenge: Buffer;
  accountId: string;
}

/** What a bond request needs to judge its proof, read in one snapshot. */
export interface BondRead {
  publicKey: Buffer;
  ownerAccountId: string | null;
  lastPressCounter: number;
  /** The presented challenge is this device's and this account's, unused and unexpired (null: no such challenge). */
  fresh: boolean | null;
  /** The platform clock of the read (ms); null only if the testbed clock has no row. */
  nowMs: number | null;
}

/** A bond whose proof verified against what {@link BondRead} saw. */
export interface BondWrite {
  /** The clock of the read, ms: the challenge must still be unexpired then, and the bond is stamped with it. */
  now: number;
  challenge: Buffer;
  deviceId: number;
  accountId: string;
  pressCounter: number;
  /** The owner the read saw: the write happens only if it is still the owner. */
  previousOwner: string | null;
  eventKind: string;
  /** The event's data, JSON text. */
  eventData: string;
}

/**
 * The statements of bonding (reference-api/src/routes/bonding.ts), grouped:
 * challenges issued, bonds read and bonds written by concurrent requests of one
 * API process share one statement each (see Coalescer), so that pairing a
 * fleet costs PostgreSQL a fraction of a statement per request. Every item gets
 * exactly the answer its own statement would have given:
 *
 * - issue: the challenge's expiry, or null when the device is not provisioned.
 * - read: the device, the challenge's freshness and the clock, or null when the
 *   device is not provisioned.
 * - write: the bond's time, or null when anything changed since the read (a
 *   concurrent bond, a spent challenge, a new owner, a higher press counter);
 *   the route then judges that bond again on its own, under row locks.
 *
 * Two writes for one device, or on one challenge, never share a statement; a
 * statement locks its devices, then their challenges, in device order, as the
 * route's slow path does, so concurrent statements cannot deadlock. A group
 * statement that fails is retried item by item, so one item's failure is never
 * another's.
 */
export class BondStore {
  readonly #issue: Coalescer<ChallengeArgs, Date | null>;
  readonly #read: Coalescer<{ deviceId: number; challenge: Buffer; accountId: string }, BondRead | null>;
  readonly #write: Coalescer<BondWrite, Date | null>;

  constructor(db: pg.Pool, clock: Clock, opts: { challengeTtlMs: number; maxInFlight: number }) {
    const nowSql = clock.virtual ? '(SELECT now_ms::double precision FROM testbed_clock)' : '$5::double precision';
    const clockValue = async (): Promise<unknown[]> => (clock.virtual ? [] : [await clock.now()]);
    const grouped = <I, O>(statement: (items: I[]) => Promise<O[]>, compatible?: (batch: readonly I[], item: I) => boolean) =>
      groupedStatement(statement, { maxInFlight: opts.maxInFlight, maxItems: 128, ...(compatible ? { compatible } : {}) });

    const ISSUE = {
      name: `fleetbed-bond-challenges-${clock.virtual ? 'virtual' : 'system'}`,
      text: `INSERT INTO bond_challenges (challenge, device_id, account_id, expires_at)
             SELECT i.challenge, d.device_id, i.account_id, to_timestamp((${nowSql} + $4::double precision) / 1000)
               FROM unnest($1::bigint[], $2::bytea[], $3::uuid[]) AS i(device_id, challenge, account_id)
               JOIN devices d ON d.device_id = i.device_id
             RETURNING challenge, expires_at`,
    };
    this.#issue = grouped(async (items: ChallengeArgs[]) => {
      const { rows } = await db.query<{ challenge: Buffer; expires_at: Date }>({
        ...ISSUE,
        values: [numberArray(items.map((i) => i.deviceId)), byteaArray(items.map((i) => i.challenge)), textArray(items.map((i) => i.accountId)), opts.challengeTtlMs, ...(await clockValue())],
      });
      const byChallenge = new Map(rows.map((r) => [r.challenge.toString('hex'), r.expires_at]));
      return items.map((i) => byChallenge.get(i.challenge.toString('hex')) ?? null);
    });

    // The device (key, owner, press counter), whether the presented challenge is this device's
    // and this account's, unused and unexpired (NULL when there is no such challenge), and the
    // clock, per item (ordinality); no row for an item: no such device.
    const nowRead = clock.virtual ? nowSql : '$4::double precision';
    const READ = {
      name: `fleetbed-bond-reads-${clock.virtual ? 'virtual' : 'system'}`,
      text: `SELECT i.n, d.public_key, d.owner_account_id, d.last_press_counter,
                    c.used_at IS NULL AND c.expires_at > to_timestamp(${nowRead} / 1000) AS fresh,
                    ${nowRead} AS now_ms
               FROM unnest($1::bigint[], $2::bytea[], $3::uuid[]) WITH ORDINALITY AS i(device_id, challenge, account_id, n)
               JOIN devices d ON d.device_id = i.device_id
               LEFT JOIN bond_challenges c ON c.challenge = i.challenge AND c.device_id = d.device_id AND c.account_id = i.account_id`,
    };
    this.#read = grouped(async (items: Array<{ deviceId: number; challenge: Buffer; accountId: string }>) => {
      const { rows } = await db.query<{ n: string; public_key: Buffer; owner_account_id: string | null; last_press_counter: string | number; fresh: boolean | null; now_ms: number | null }>({
        ...READ,
        values: [numberArray(items.map((i) => i.deviceId)), byteaArray(items.map((i) => i.challenge)), textArray(items.map((i) => i.accountId)), ...(await clockValue())],
      });
      const out: Array<BondRead | null> = items.map(() => null);
      for (const r of rows) {
        out[Number(r.n) - 1] = { publicKey: r.public_key, ownerAccountId: r.owner_account_id, lastPressCounter: Number(r.last_press_counter), fresh: r.fresh, nowMs: r.now_ms === null ? null : Number(r.now_ms) };
      }
      return out;
    });

    // The bonds, all or nothing per statement, each only if every condition still holds on the
    // latest versions of its rows: `device` locks the devices whose owner is still the one the
    // read saw and whose press counter is below the proof's; `challenge` then locks those
    // devices' challenges if they are this account's, unused and unexpired at the read's clock.
    // Of two racing statements, the second waits for the first's locks and re-checks, so it
    // matches nothing for a device the first bonded. Then: the challenges are used, the devices
    // bonded, the events appended (in device order).
    const WRITE = {
      name: 'fleetbed-bond-writes',
      text: `WITH input AS (
               SELECT * FROM unnest($1::double precision[], $2::bytea[], $3::bigint[], $4::uuid[], $5::bigint[], $6::uuid[], $7::text[], $8::jsonb[])
                 AS i(now_ms, challenge, device_id, account_id, press, previous_owner, kind, data)
             ), device AS MATERIALIZED (
               SELECT d.device_id FROM devices d JOIN input i ON i.device_id = d.device_id
                WHERE d.owner_account_id IS NOT DISTINCT FROM i.previous_owner AND d.last_press_counter < i.press
                ORDER BY d.device_id
                  FOR NO KEY UPDATE OF d
             ), challenge AS (
               SELECT i.* FROM bond_challenges c JOIN input i ON i.challenge = c.challenge JOIN device d ON d.device_id = c.device_id
                WHERE c.device_id = i.device_id AND c.account_id = i.account_id
                  AND c.used_at IS NULL AND c.expires_at > to_timestamp(i.now_ms / 1000)
                ORDER BY c.device_id
                  FOR NO KEY UPDATE OF c
             ), used AS (
               UPDATE bond_challenges c SET used_at = to_timestamp(ok.now_ms / 1000)
                 FROM challenge ok WHERE c.challenge = ok.challenge
             ), bonded AS (
               UPDATE devices d SET owner_account_id = ok.account_id, bonded_at = to_timestamp(ok.now_ms / 1000), last_press_counter = ok.press
                 FROM challenge ok WHERE d.device_id = ok.device_id
               RETURNING d.device_id, d.bonded_at
             ), appended AS (
               INSERT INTO events (kind, device_id, account_id, occurred_at, data)
               SELECT kind, device_id, account_id, to_timestamp(now_ms / 1000), data FROM challenge ORDER BY device_id
             )
             SELECT device_id, bonded_at FROM bonded`,
    };
    this.#write = grouped(
      async (items: BondWrite[]) => {
        const { rows } = await db.query<{ device_id: string; bonded_at: Date }>({
          ...WRITE,
          values: [
            numberArray(items.map((i) => i.now)),
            byteaArray(items.map((i) => i.challenge)),
            numberArray(items.map((i) => i.deviceId)),
            textArray(items.map((i) => i.accountId)),
            numberArray(items.map((i) => i.pressCounter)),
            textArray(items.map((i) => i.previousOwner)),
            textArray(items.map((i) => i.eventKind)),
            textArray(items.map((i) => i.eventData)),
          ],
        });
        const byDevice = new Map(rows.map((r) => [Number(r.device_id), r.bonded_at]));
        return items.map((i) => byDevice.get(i.deviceId) ?? null);
      },
      (batch, item) => batch.every((b) => b.deviceId !== item.deviceId && !b.challenge.equals(item.challenge)),
    );
  }

  /** Statements sent and items they carried, per kind (for tests and diagnostics). */
  get stats() {
    return { issue: this.#issue.stats, read: this.#read.stats, write: this.#write.stats };
  }

  /** Store a challenge; its expiry, or null when no such device is provisioned. */
  issueChallenge(args: ChallengeArgs): Promise<Date | null> {
    return this.#issue.submit(args);
  }

  /** What a bond request needs to judge its proof; null when no such device is provisioned. */
  read(deviceId: number, challenge: Buffer, accountId: string): Promise<BondRead | null> {
    return this.#read.submit({ deviceId, challenge, accountId });
  }

  /** Bond, if nothing changed since the read; the bond's time, or null (the caller then takes the slow path). */
  write(bond: BondWrite): Promise<Date | null> {
    return this.#write.submit(bond);
  }
}
