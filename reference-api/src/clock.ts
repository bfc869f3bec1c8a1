import type pg from 'pg';

/**
 * Every time-dependent rule (token expiry, challenge expiry, the late-data
 * window) asks the clock. In test mode the clock is the virtual clock stored in
 * the database, so that every API worker process sees the same time and the
 * harness can run thirty days in a minute; otherwise it is the system clock.
 */
export interface Clock {
  readonly virtual: boolean;
  /** Milliseconds since the Unix epoch. */
  now(db?: pg.ClientBase | pg.Pool): Promise<number>;
}

export function systemClock(): Clock {
  return { virtual: false, now: async () => Date.now() };
}

export function virtualClock(pool: pg.Pool): Clock {
  return {
    virtual: true,
    async now(db = pool) {
      const { rows } = await db.query<{ now_ms: number }>('SELECT now_ms FROM testbed_clock');
      const row = rows[0];
      if (!row) throw new Error('testbed_clock has no row: were the migrations applied?');
      return row.now_ms;
    },
  };
}
