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

/** `[lo, hi)` ranges of at most `size` covering `0..n`. */
export function* ranges(n: number, size: number): Generator<[number, number]> {
  for (let lo = 0; lo < n; lo += size) yield [lo, Math.min(n, lo + size)];
}
