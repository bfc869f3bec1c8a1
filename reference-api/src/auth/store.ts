import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Clock } from '../clock.ts';
import { groupedStatement, type Coalescer } from '../db/coalesce.ts';
import { byteaArray, numberArray, textArray } from '../db/array-literal.ts';

/**
 * The statements of sign-up and of the OAuth token grants, grouped: concurrent
 * requests of one API process share one statement per kind (see Coalescer).
 * Each request gets exactly the answer its own statement would have given, and
 * a group statement that fails (a taken email, a constraint) is retried item by
 * item, so that the failure lands on its own request only. A fleet of a million
 * devices signs up half a million accounts and refreshes a token on most syncs:
 * one statement per request was most of PostgreSQL's work there.
 */
const GROUP = { maxInFlight: 1, maxItems: 128 };

// The clock read inside the statement (one snapshot, no extra round trip): in test mode the
// testbed_clock row; otherwise the system clock's value as the last parameter, $n.
const clockSql = (clock: Clock, n: number) => (clock.virtual ? '(SELECT now_ms::double precision FROM testbed_clock)' : `$${n}::double precision`);
const clockValue = async (clock: Clock): Promise<unknown[]> => (clock.virtual ? [] : [await clock.now()]);

export interface SignUpArgs {
  email: string;
  displayName: string;
  passwordHash: string;
}

/**
 * Sign-ups: each account, its identity row and `account.created`, atomic per
 * statement. An email already taken (case-insensitively, also by a sign-up
 * racing this one) fails the statement on identity_accounts_email; retried
 * alone, only the sign-up whose email it is fails with that error.
 */
export class SignUpStore {
  readonly #group: Coalescer<SignUpArgs, { accountId: string; createdAt: Date }>;

  constructor(db: pg.Pool, clock: Clock) {
    const SIGN_UP = {
      name: `fleetbed-sign-ups-${clock.virtual ? 'virtual' : 'system'}`,
      text: `WITH i AS (
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS i(account_id, email, display_name, password_hash, n)
             ), account AS (
               INSERT INTO accounts (account_id, created_at) SELECT account_id, to_timestamp(${clockSql(clock, 5)} / 1000) FROM i ORDER BY n
               RETURNING account_id, created_at
             ), identity AS (
               INSERT INTO identity_accounts (account_id, email, display_name, password_hash)
               SELECT account_id, email, display_name, password_hash FROM i ORDER BY n
             ), created AS (
               INSERT INTO events (kind, account_id, occurred_at) SELECT 'account.created', account_id, created_at FROM account
             )
             SELECT account_id, created_at FROM account`,
    };
    this.#group = groupedStatement(async (items: SignUpArgs[]) => {
      const ids: string[] = items.map(() => randomUUID());
      const { rows } = await db.query<{ account_id: string; created_at: Date }>({
        ...SIGN_UP,
        values: [textArray(ids), textArray(items.map((i) => i.email)), textArray(items.map((i) => i.displayName)), textArray(items.map((i) => i.passwordHash)), ...(await clockValue(clock))],
      });
      const created = new Map(rows.map((r) => [r.account_id, r.created_at]));
      return ids.map((accountId) => ({ accountId, createdAt: created.get(accountId)! }));
    }, GROUP);
  }

  get stats() {
    return this.#group.stats;
  }

  /** The new account; rejects with the unique violation of identity_accounts_email when the email is taken. */
  signUp(args: SignUpArgs): Promise<{ accountId: string; createdAt: Date }> {
    return this.#group.submit(args);
  }
}

export interface SignInRead {
  clientOk: boolean;
  /** null: no account has that email. */
  accountId: string | null;
  passwordHash: string | null;
  /** The platform clock (ms); null only if the testbed clock has no row. */
  nowMs: number | null;
}

export interface PairArgs {
  now: number;
  accessHash: Buffer;
  refreshHash: Buffer;
  accountId: string;
  clientId: string;
  familyId: string;
}

export interface RotateArgs {
  /** Hash of the presented refresh token. */
  presented: Buffer;
  clientId: string;
  accessHash: Buffer;
  refreshHash: Buffer;
}

/**
 * The token grants' common statements: the password grant's read (client,
 * account, password hash, clock), the issue of a new access + refresh pair, and
 * the refresh grant's rotation. Two rotations of one refresh token never share
 * a statement: the second finds it rotated and takes the route's slow path,
 * which treats it as reuse, exactly as when they arrive one after the other.
 */
export class TokenGrantStore {
  readonly #signIn: Coalescer<{ clientId: string; email: string }, SignInRead>;
  readonly #issue: Coalescer<PairArgs, true>;
  readonly #rotate: Coalescer<RotateArgs, boolean>;

  constructor(db: pg.Pool, clock: Clock, ttl: { accessMs: number; refreshMs: number }) {
    const variant = clock.virtual ? 'virtual' : 'system';
    const SIGN_IN = {
      name: `fleetbed-oauth-sign-ins-${variant}`,
      text: `SELECT i.n, EXISTS (SELECT 1 FROM oauth_clients c WHERE c.client_id = i.client_id) AS client_ok,
                    a.account_id, a.password_hash, ${clockSql(clock, 3)} AS now_ms
               FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i(client_id, email, n)
               -- One probe of the unique lower(email) index per item (LIMIT 1 keeps it lateral: a
               -- generic plan may otherwise hash-join a sequential scan of every identity).
               LEFT JOIN LATERAL (SELECT account_id, password_hash FROM identity_accounts WHERE lower(email) = lower(i.email) LIMIT 1) a ON true`,
    };
    this.#signIn = groupedStatement(async (items: Array<{ clientId: string; email: string }>) => {
      const { rows } = await db.query<{ n: string; client_ok: boolean; account_id: string | null; password_hash: string | null; now_ms: number | null }>({
        ...SIGN_IN,
        values: [textArray(items.map((i) => i.clientId)), textArray(items.map((i) => i.email)), ...(await clockValue(clock))],
      });
      const out = new Array<SignInRead>(items.length);
      for (const r of rows) out[Number(r.n) - 1] = { clientOk: r.client_ok, accountId: r.account_id, passwordHash: r.password_hash, nowMs: r.now_ms === null ? null : Number(r.now_ms) };
      return out;
    }, GROUP);

    const ISSUE = {
      name: 'fleetbed-oauth-issue-pairs',
      text: `WITH i AS (
               SELECT * FROM unnest($1::double precision[], $2::bytea[], $3::bytea[], $4::uuid[], $5::text[], $6::uuid[]) AS i(now_ms, access, refresh, account_id, client_id, family_id)
             ), access AS (
               INSERT INTO access_tokens (token_hash, account_id, client_id, family_id, expires_at)
               SELECT access, account_id, client_id, family_id, to_timestamp((now_ms + $7) / 1000) FROM i
             )
             INSERT INTO refresh_tokens (token_hash, account_id, client_id, family_id, expires_at)
             SELECT refresh, account_id, client_id, family_id, to_timestamp((now_ms + $8) / 1000) FROM i`,
    };
    this.#issue = groupedStatement(async (items: PairArgs[]) => {
      await db.query({
        ...ISSUE,
        values: [
          numberArray(items.map((i) => i.now)),
          byteaArray(items.map((i) => i.accessHash)),
          byteaArray(items.map((i) => i.refreshHash)),
          textArray(items.map((i) => i.accountId)),
          textArray(items.map((i) => i.clientId)),
          textArray(items.map((i) => i.familyId)),
          ttl.accessMs,
          ttl.refreshMs,
        ],
      });
      return items.map(() => true as const);
    }, GROUP);

    // Rotate each presented refresh token only if it belongs to the client and is neither
    // rotated, revoked nor expired, and issue the next pair of its family. The UPDATE takes the
    // tokens' row locks, so of two concurrent refreshes of one token one rotates and the other
    // (re-checking the row after the first commits) matches nothing.
    const now = clockSql(clock, 7);
    const ROTATE = {
      name: `fleetbed-oauth-rotations-${variant}`,
      text: `WITH i AS (
               SELECT * FROM unnest($1::bytea[], $2::text[], $3::bytea[], $4::bytea[]) AS i(presented, client_id, access, refresh)
             ), rt AS (
               UPDATE refresh_tokens r SET rotated_at = to_timestamp(${now} / 1000)
                 FROM i
                WHERE r.token_hash = i.presented AND r.client_id = i.client_id
                  AND r.rotated_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > to_timestamp(${now} / 1000)
               RETURNING i.presented, i.access, i.refresh, r.account_id, r.client_id, r.family_id, ${now} AS now_ms
             ), access AS (
               INSERT INTO access_tokens (token_hash, account_id, client_id, family_id, expires_at)
               SELECT access, account_id, client_id, family_id, to_timestamp((now_ms + $5) / 1000) FROM rt
             ), refresh AS (
               INSERT INTO refresh_tokens (token_hash, account_id, client_id, family_id, expires_at)
               SELECT refresh, account_id, client_id, family_id, to_timestamp((now_ms + $6) / 1000) FROM rt
             )
             SELECT presented FROM rt`,
    };
    this.#rotate = groupedStatement(
      async (items: RotateArgs[]) => {
        const { rows } = await db.query<{ presented: Buffer }>({
          ...ROTATE,
          values: [
            byteaArray(items.map((i) => i.presented)),
            textArray(items.map((i) => i.clientId)),
            byteaArray(items.map((i) => i.accessHash)),
            byteaArray(items.map((i) => i.refreshHash)),
            ttl.accessMs,
            ttl.refreshMs,
            ...(await clockValue(clock)),
          ],
        });
        const rotated = new Set(rows.map((r) => r.presented.toString('hex')));
        return items.map((i) => rotated.has(i.presented.toString('hex')));
      },
      { ...GROUP, compatible: (batch, item) => batch.every((b) => !b.presented.equals(item.presented)) },
    );
  }

  get stats() {
    return { signIn: this.#signIn.stats, issue: this.#issue.stats, rotate: this.#rotate.stats };
  }

  /** The password grant's read: whether the client exists, the account of the email and its hash, the clock. */
  signInRead(clientId: string, email: string): Promise<SignInRead> {
    return this.#signIn.submit({ clientId, email });
  }

  /** Store a new access + refresh token pair of one family. */
  async issuePair(args: PairArgs): Promise<void> {
    await this.#issue.submit(args);
  }

  /** Rotate a refresh token and store the next pair of its family; false when it is not rotatable (the slow path judges why). */
  rotate(args: RotateArgs): Promise<boolean> {
    return this.#rotate.submit(args);
  }
}
