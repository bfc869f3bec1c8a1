import { truthSession, type Dialect, type MigrationState } from '../../../contract/legacy/dialect.ts';
import { legacyRowKey, type LegacyReconciliation } from '../../../contract/legacy/wire.ts';
import { deriveDeviceKey } from '../../../simulators/device-keys.ts';
import { FLEET_DEFAULTS } from '../../../simulators/fleet-options.ts';
import { buildOf, hostilePlan, hostileRecord, syncTimeS, uploadPlan, wrongSecret, type HostileIntent, type LegacyUser, type LegacyWorld } from '../../../simulators/legacy/index.ts';
import type { StartedEnvironment } from '../env/types.ts';
import { FleetHttp, runWorkers } from '../fleet/http.ts';
import { Progress, type ProgressOptions } from '../fleet/progress.ts';
import type { MigrationOrder, ResolvedScenario } from '../scenario/types.ts';
import { MigrationTeam, type LineTrack } from './operator.ts';
import { legacyDays, legacyWorldOf, migrationQueue } from './plan.ts';
import { LegacyPlatform, type LegacyUploadAnswer } from './platform-calls.ts';
import type { LegacyExpected, LegacyRunRecord, LegacyUploadEntry } from './types.ts';

/** How to run the legacy engine. `orderOverride` migrates in another order (the counterfactual). */
export interface LegacyEngineOptions {
  environment: Pick<StartedEnvironment, 'apiUrl' | 'factorySecret'>;
  orderOverride?: MigrationOrder;
  workers?: number;
  progress?: ProgressOptions;
  log?: (line: string) => void;
}

const DAY = 86_400;
const HOUR = 3600;
/** When things happen in a day (seconds after midnight UTC): the morning's deployments and team, the hostile actions, the night's jobs. */
const MORNING = 6 * HOUR;
const HOSTILE = 22 * HOUR;
const NIGHT = 23 * HOUR + 30 * 60;

/**
 * The legacy scenario engine. Against a started platform (test mode):
 *
 * 1. build the world (simulators/legacy: users, devices, builds, drift) and register
 *    its users with the old system (their secrets); set the dual-write fault and every
 *    migrating line's gate;
 * 2. step the virtual clock a day at a time, day 0 starting at the next UTC midnight.
 *    Each morning the day's drift events are deployed to the old APIs of lines not yet
 *    cut over (an app release: its users upgrade after their delay), devices due to turn
 *    into v2 devices are registered at the factory, and the migration team acts
 *    (operator.ts). Through the day every user's app syncs once, at its hour, in its
 *    build's revision (hour by hour, `workers` at a time), some twice (a retry). At
 *    22:00 the day's hostile actions are tried, each booked with the answer it must get.
 *    At 23:30 legacy-repair then legacy-reconcile run; every report that is not clean is
 *    read with its rows, then every line's status.
 *
 * Everything sent and answered goes into the {@link LegacyRunRecord} the LEG checkers read.
 */
export async function runLegacyEngine(scenario: ResolvedScenario, options: LegacyEngineOptions): Promise<LegacyRunRecord> {
  const legacy = scenario.legacy;
  if (!legacy) throw new Error(`scenario ${scenario.name} has no legacy section`);
  const started = performance.now();
  const log = options.log ?? (() => {});
  const workers = options.workers ?? scenario.env.harnessWorkers ?? 8;
  const http = new FleetHttp(options.environment.apiUrl, workers);
  const platform = new LegacyPlatform(http, options.environment.factorySecret);
  const progress = new Progress(options.progress);
  try {
    const startMs = await platform.clock();
    const originS = Math.ceil(startMs / 1000 / DAY) * DAY;
    const days = legacyDays(scenario);
    const world = legacyWorldOf(scenario);
    const order = options.orderOverride ?? legacy.migration.order;
    const queue = migrationQueue(legacy.migration.lines, world, order);
    const record: LegacyRunRecord = {
      scenario,
      legacy,
      world,
      order,
      queue,
      startMs,
      originS,
      days,
      requiredCleanNights: legacy.migration.requiredCleanNights,
      v2WriteFailurePerMille: legacy.faults.v2WriteFailurePerMille,
      uploads: [],
      deployments: [],
      mappings: [],
      transitions: [],
      nights: [],
      v2Devices: [],
      totals: { uploads: 0, records: 0, stored: 0, duplicates: 0, refused: 0, hostile: 0 },
      wallSeconds: 0,
      phases: {},
    };
    const dialects = new Map<string, Dialect>(legacy.dialects.map((d) => [d.line, d]));
    const lines = new Map<string, LineTrack>(
      legacy.dialects.map((d) => [d.line, { dialect: d, state: 'legacy-only' as MigrationState, revisions: [...d.revisions], releases: [], nextDrift: 0, dualWriteDay: null, cutOverDay: null, mappingDueDay: null }]),
    );
    const driftOf = new Map(legacy.lines.map((l) => [l, world.drift.filter((e) => e.line === l)]));
    const team = new MigrationTeam(legacy, queue, platform, record, lines, log);
    const converted = new Set<number>();
    const bound = new Set<number>();
    log(`legacy: ${world.users.length} users, ${world.devices.length} devices on ${legacy.lines.length} lines; ${world.drift.length} drift events scheduled; migrating ${queue.join(' → ')} (${order}, ${legacy.migration.concurrent} at a time, gate ${legacy.migration.requiredCleanNights} nights)`);

    let t0 = performance.now();
    await platform.registerUsers(world.users.map((u) => ({ line: u.line, userId: u.userId, secret: u.secret })));
    await platform.setFaults(legacy.faults.v2WriteFailurePerMille);
    for (const line of queue) await platform.setGate(line, legacy.migration.requiredCleanNights);
    record.phases.setup = secondsSince(t0);

    const at = (s: number) => s - originS;
    const send = async (kind: LegacyUploadEntry['kind'], user: LegacyUser, day: number, atS: number, build: number, revision: number, records: ReadonlyArray<{ device: number; truth: Parameters<typeof truthSession>[0]; raw: LegacyUploadEntry['rows'][number]['raw'] }>, expected?: LegacyExpected, secret = user.secret): Promise<LegacyUploadEntry> => {
      const dialect = dialects.get(user.line)!;
      const rev = lines.get(user.line)!.revisions.find((r) => r.revision === revision)!;
      const a: LegacyUploadAnswer = await platform.upload(dialect, user.userId, secret, build, records.map((r) => r.raw));
      const entry: LegacyUploadEntry = {
        t: at(atS),
        day,
        line: user.line,
        user: user.index,
        build,
        revision,
        kind,
        state: lines.get(user.line)!.state,
        rows: records.map((r, i) => {
          const res = a.body?.results[i];
          return { rowKey: legacyRowKey(user.line, user.userId, r.truth.recordId), recordId: r.truth.recordId, device: r.device, raw: r.raw, truth: truthSession(r.truth, rev), status: res?.status ?? null, code: res?.code ?? null };
        }),
        http: a.http,
        v2: a.body?.v2 ?? null,
        problem: a.problem,
        deprecation: a.deprecation,
        sunset: a.sunset,
        ...(expected ? { expected } : {}),
      };
      record.uploads.push(entry);
      const t = record.totals;
      t.uploads++;
      t.records += entry.rows.length;
      for (const row of entry.rows) {
        if (row.status === 'stored') {
          t.stored++;
          bound.add(row.device);
        } else if (row.status === 'duplicate') t.duplicates++;
        else t.refused++;
      }
      if (expected) t.hostile++;
      return entry;
    };

    t0 = performance.now();
    progress.start('legacy days', days, () => `${record.totals.stored} rows · ${record.transitions.filter((x) => x.granted && x.to === 'reads-cut-over').length} cut over`);
    for (let day = 0; day < days; day++) {
      const dayS = originS + day * DAY;

      // ---------------------------------------------------------- morning: drift, v2 devices, the team
      await platform.setClock((dayS + MORNING) * 1000);
      for (const line of legacy.lines) {
        const x = lines.get(line)!;
        const events = driftOf.get(line)!;
        while (x.nextDrift < events.length && events[x.nextDrift]!.day <= day && (x.state === 'legacy-only' || x.state === 'dual-write')) {
          const e = events[x.nextDrift++]!;
          await platform.deployRevision(line, e.revision);
          x.revisions.push(e.revision);
          x.releases.push({ day, appBuild: e.revision.appBuild });
          record.deployments.push({ event: e, t: at(dayS + MORNING), beforeMigration: x.state === 'legacy-only' });
          log(`legacy: ${line} app build ${e.revision.appBuild} (${e.source} ${e.change.kind}) deployed on day ${day + 1}, revision ${e.revision.revision}${x.state === 'legacy-only' ? '' : ' — after its migration began'}`);
        }
      }
      const due = world.v2Devices.filter((c) => c.day === day);
      if (due.length > 0) {
        await platform.provision(
          due.map((c) => {
            const d = world.devices[c.device]!;
            const productLine = dialects.get(d.line)!.productLine;
            return { deviceId: c.deviceId, serial: d.serial, productLine, publicKey: deriveDeviceKey(world.options.seed, c.keyIndex).publicKey.toString('base64url'), firmwareVersion: FLEET_DEFAULTS.device.factoryFirmware[productLine] };
          }),
        );
        for (const c of due) {
          converted.add(c.device);
          record.v2Devices.push({ device: c.device, serial: world.devices[c.device]!.serial, deviceId: c.deviceId, day, t: at(dayS + MORNING) });
        }
      }
      await team.morning(day, at(dayS + MORNING));

      // ---------------------------------------------------------- the day's syncs, hour by hour
      const syncing = world.users.filter((u) => lines.get(u.line)!.state !== 'v2-only').sort((a, b) => syncTimeS(a, day, originS) - syncTimeS(b, day, originS) || a.index - b.index);
      for (let i = 0; i < syncing.length; ) {
        const hour = syncing[i]!.syncHour;
        let j = i;
        while (j < syncing.length && syncing[j]!.syncHour === hour) j++;
        const group = syncing.slice(i, j);
        i = j;
        await platform.setClock((dayS + (hour + 1) * HOUR - 1) * 1000);
        let next = 0;
        await runWorkers(workers, () => {
          if (next >= group.length) return undefined;
          const user = group[next++]!;
          return async () => {
            const x = lines.get(user.line)!;
            const plan = uploadPlan(world, x.dialect, user, day, originS, { revisions: x.revisions, releases: x.releases, skipDevices: converted });
            if (plan.records.length === 0) return;
            await send('app', user, day, plan.at, plan.build, plan.revision.revision, plan.records);
            if (plan.retry) await send('retry', user, day, plan.at, plan.build, plan.revision.revision, plan.records);
          };
        });
      }

      // ---------------------------------------------------------- hostile legacy traffic
      await platform.setClock((dayS + HOSTILE) * 1000);
      for (const intent of hostilePlan(world, day)) {
        const h = resolveHostile(world, intent, lines, converted, bound);
        if (!h) continue;
        const user = world.users[h.intent.user]!;
        const x = lines.get(user.line)!;
        const build = buildOf(user, day, x.releases);
        const rev = x.revisions.filter((r) => r.appBuild <= build).at(-1) ?? x.revisions[0]!;
        const rec = hostileRecord(world, x.dialect, rev, h.intent, day, originS);
        await send(h.intent.kind, user, day, dayS + HOSTILE, build, rev.revision, [{ device: h.intent.device, ...rec }], h.expected, h.intent.kind === 'wrong-secret' ? wrongSecret(user.secret) : user.secret);
      }

      // ---------------------------------------------------------- night: repair, reconcile, read back
      await platform.setClock((dayS + NIGHT) * 1000);
      const repair = await platform.repair();
      const job = await platform.reconcile();
      const reports: LegacyReconciliation[] = [];
      for (const s of job.lines) {
        if (!lines.has(s.line)) continue;
        reports.push(s.clean ? { ...s, rows: [] } : await platform.reconciliation(s.line, s.night));
      }
      const statuses = (await platform.lines()).filter((s) => lines.has(s.line));
      const night = job.lines[0]?.night ?? new Date((dayS + NIGHT) * 1000).toISOString().slice(0, 10);
      record.nights.push({ day, night, t: at(dayS + NIGHT), repair, reports, statuses });
      for (const r of reports) if (!r.clean) log(`legacy: night ${day + 1} ${r.line}: ${Object.entries(r.divergences).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ')} — the gate resets`);
      team.night(day, reports);
      progress.add();
    }
    record.phases.simulate = secondsSince(t0);
    progress.end(`${record.totals.stored} rows stored, ${record.transitions.filter((x) => x.granted && x.to === 'reads-cut-over').length} of ${queue.length} lines cut over`);
    record.wallSeconds = secondsSince(started);
    return record;
  } finally {
    await http.close();
  }
}

/**
 * A hostile intent of the world made concrete against what the run knows now
 * (line states, devices bound to their users, devices turned v2), with the
 * answer it must get; null when it cannot happen today.
 */
function resolveHostile(world: LegacyWorld, intent: HostileIntent, lines: ReadonlyMap<string, LineTrack>, converted: ReadonlySet<number>, bound: ReadonlySet<number>): { intent: HostileIntent; expected: LegacyExpected } | null {
  const retired = (line: string) => lines.get(line)!.state === 'v2-only';
  const gone: LegacyExpected = { http: [410], code: 'legacy-retired' };
  const line = world.users[intent.user]!.line;
  switch (intent.kind) {
    case 'unsigned-for-v2-device':
      if (!converted.has(intent.device)) return null;
      return { intent, expected: retired(line) ? gone : { records: 'device-signs-v2' } };
    case 'device-not-yours':
      if (converted.has(intent.device) || !bound.has(intent.device)) return null;
      return { intent, expected: retired(line) ? gone : { records: 'device-not-yours' } };
    case 'wrong-secret':
      return { intent, expected: retired(line) ? { http: [401, 410] } : { http: [401], code: 'legacy-unauthenticated' } };
    case 'retired-line': {
      const lineIds = [...lines.values()].filter((x) => x.state === 'v2-only').map((x) => x.dialect.line).filter((l) => (world.usersOf[l]?.length ?? 0) > 0);
      if (lineIds.length === 0) return null;
      const users = world.usersOf[lineIds[intent.pick % lineIds.length]!]!;
      const user = world.users[users[(intent.pick >>> 8) % users.length]!]!;
      return { intent: { ...intent, user: user.index, device: user.devices[0]! }, expected: gone };
    }
  }
}

function secondsSince(t: number): number {
  return Math.round((performance.now() - t) / 10) / 100;
}
