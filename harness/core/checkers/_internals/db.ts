import pg from 'pg';

/** Run `fn` with one short-lived client of the platform's database (checkers only SELECT through it). */
export async function withDatabase<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `[lo, hi)` ranges of at most `size` covering `from..n-1` (a fleet's slice: `ranges(f.deviceTo, size, f.deviceFrom)`). */
export function* ranges(n: number, size: number, from = 0): Generator<[number, number]> {
  for (let lo = from; lo < n; lo += size) yield [lo, Math.min(n, lo + size)];
}
