import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Identities } from '../../../simulators/identities.ts';
import { FleetHttp } from '../../core/fleet/http.ts';
import { reconcileApi, reconcileSql, type Reconciliation } from '../../core/fleet/reconcile.ts';
import type { K6Manifest } from './export-k6.ts';
import { readLedgerFile } from './ledger-file.ts';
import { exportContext } from './prepare-platform.ts';

/** Reconciliation of a k6 run, with the idempotency keys the platform recorded for the fleet's accounts (database only). */
export interface K6Reconciliation extends Reconciliation {
  /** Exported upload keys against the keys the platform holds for the fleet's accounts (reference-API schema); absent through the API. */
  keys?: { exported: number; onPlatform: number; unexpected: number; missing: number };
}

/**
 * After a k6 run (any number of instances): does the platform hold exactly what the
 * export's ledger says was sent? Every device through the database (`databaseUrl`), or a
 * sample of devices through the sessions API (`targetUrl`, signing in as their owners).
 * Through the database it also compares the upload keys: a copy of an upload under a key
 * the world never made stores nothing new (the platform is exactly-once by device and seq),
 * but it was sent, and the key table shows it; a row never sent shows as a missing key.
 */
export async function reconcileExport(dir: string, m: K6Manifest, o: { databaseUrl?: string; targetUrl?: string; factorySecret?: string; sample?: number }): Promise<K6Reconciliation> {
  const ledger = readLedgerFile(join(dir, m.ledger.file), m.ledger, { seed: m.fleet.seed, devices: m.fleet.devices, startS: m.fleet.startS });
  if (o.databaseUrl) {
    const r: K6Reconciliation = await reconcileSql(ledger, o.databaseUrl);
    r.keys = await compareKeys(dir, m, o.databaseUrl, r);
    r.ok = r.ok && r.keys.unexpected === 0 && r.keys.missing === 0;
    return r;
  }
  const http = new FleetHttp(o.targetUrl!, 8);
  try {
    const base = exportContext(m, http, o.factorySecret ?? '', m.clock.ingestMs);
    return await reconcileApi({ ...base, ledger }, o.sample ?? 200);
  } finally {
    await http.close();
  }
}

async function compareKeys(dir: string, m: K6Manifest, databaseUrl: string, out: Reconciliation): Promise<NonNullable<K6Reconciliation['keys']>> {
  const exported = new Set<string>();
  for (const ph of ['prelude', 'load'] as const) {
    for (const f of m.phases[ph].files) {
      for (const row of JSON.parse(readFileSync(join(dir, f.name), 'utf8')) as Array<{ u: Array<{ k: string }> }>) for (const u of row.u) exported.add(u.k);
    }
  }
  const identities = new Identities(m.fleet.seed);
  const emails = Array.from({ length: m.fleet.households }, (_, h) => identities.of(h).email);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let keys: string[];
  try {
    const r = await client.query<{ key: string }>('SELECT k.key FROM idempotency_keys k JOIN identity_accounts a ON a.account_id = k.account_id WHERE a.email = ANY($1::text[])', [emails]);
    keys = r.rows.map((x) => x.key);
  } finally {
    await client.end();
  }
  const onPlatform = new Set(keys);
  let unexpected = 0;
  let missing = 0;
  const note = (t: string) => {
    if (out.examples.length < 20) out.examples.push(t);
  };
  for (const k of onPlatform) {
    if (!exported.has(k)) {
      unexpected++;
      note(`upload key ${k}: the platform holds it for one of the fleet's accounts, but the export never sent it (a copy under a new key, or traffic from elsewhere)`);
    }
  }
  for (const k of exported) {
    if (!onPlatform.has(k)) {
      missing++;
      note(`upload key ${k}: exported but the platform holds no such key (the row was not sent, or its key expired)`);
    }
  }
  return { exported: exported.size, onPlatform: onPlatform.size, unexpected, missing };
}
