import type { KeyObject } from 'node:crypto';
import { inferHeadType } from '../../../contract/head-id.ts';
import { deviceKeySeed, privateKeyFromSeed } from '../../../simulators/device-keys.ts';
import type { Fleet } from '../../../simulators/fleet.ts';
import { headIdOf } from '../../../simulators/heads.ts';
import { LINE_CODES } from '../../../simulators/lines.ts';
import { BootloaderState, buildImage, ImageCatalog, type FirmwareBehaviour, type FirmwareImage } from '../../../simulators/ota/index.ts';
import { Draw } from '../../../simulators/seed.ts';
import type { ResolvedOta, ResolvedOtaRollout } from '../scenario/types.ts';

const TOPIC_SESSION_HOUR = 0x710;
const TOPIC_SESSION_SECOND = 0x711;
const TOPIC_SYNC_HOUR = 0x712;
/** Topic of the days a device skips (simulators/topics.ts leaves 0x7xx to OTA). */
export const TOPIC_SKIP_DAY = 0x713;
/** Topic of the brush mode of a format-2 session (a device on an image at or above RECORD_FORMAT_2_SINCE). */
export const TOPIC_BRUSH_MODE = 0x714;
/** Days are drawn at day index + this, so the baseline's negative days draw too. */
export const DAY_DRAW_OFFSET = 1 << 20;

/**
 * The simulated side of an OTA run, built once from the scenario and the fleet:
 * the firmware images (each line's factory image, then each rollout's update),
 * every device's dual-bank bootloader, the brushing schedule and the device keys.
 * The simulation step (simulation-step.ts) changes its state; the
 * recorder and the checkers only read it.
 */
export interface OtaWorld {
  readonly fleet: Fleet;
  readonly catalog: ImageCatalog;
  /** Catalog index of each rollout's image. */
  readonly rolloutImages: number[];
  readonly boot: BootloaderState;
  /** LINE_CODES index of the line the rollouts target. */
  readonly lineCode: number;
  /** Device indices of the target product line. */
  readonly eligible: number[];
  /** Head type fitted on each device (null: unknown id). */
  readonly headTypes: Array<string | null>;
  readonly draw: Draw;
  /** Platform clock at simulated time 0, unix seconds (rounded up). */
  readonly startS: number;
  /** Hours between a device's sessions (24 / sessionsPerDay; interdental devices brush half as often). */
  readonly interval: number;
  readonly intervalOf: Uint8Array;
  /** Each device's brushing hour within its interval, and its second within that hour. */
  readonly hourOffset: Uint8Array;
  readonly secondOffset: Uint16Array;
  /** Last session sequence number each device used. */
  readonly sessionSeq: Uint32Array;
  /** Hours between a household's syncs, each household's sync hour within them, and the last hour it has synced (−baseline hours − 1: none). */
  readonly syncEvery: number;
  readonly syncOffset: Uint8Array;
  readonly syncedThrough: Int32Array;
  /** Share of device-days a device does not brush. */
  readonly skipDayShare: number;
  /** Unix seconds of the first charge after a device confirmed an update (0: none yet). */
  readonly firstChargeAt: Uint32Array;
  /** Device `d`'s Ed25519 key (derived from the fleet seed on first use). */
  keyOf(d: number): KeyObject;
}

/** The simulator's behaviour for a scenario's image behaviour (the scenario says corrupt-transfer). */
export function toBehaviour(b: ResolvedOtaRollout['image']['behaviour']): FirmwareBehaviour {
  const { kind, ...rest } = b as { kind: string } & Record<string, unknown>;
  if (kind === 'corrupt-transfer') return { kind: 'corrupt-in-transfer', ...rest } as FirmwareBehaviour;
  return { kind, ...rest } as FirmwareBehaviour;
}

/** Whether a behaviour makes the image "bad" (it must not spread past the canary). */
export function isBad(b: { kind: string }): boolean {
  return b.kind !== 'good';
}

/**
 * Build the world of an OTA run over `fleet` (whose platform clock starts at
 * `startS`): images signed with the TEST release key, every device on its
 * line's factory image, seeded brushing hours. Pure: same scenario and fleet,
 * same world.
 */
export function createWorld(ota: ResolvedOta, fleet: Fleet, startS: number): OtaWorld {
  const lineCode = LINE_CODES.indexOf(ota.productLine);
  const factory = LINE_CODES.map((line, i) =>
    buildImage({ productLine: line, version: fleet.options.device.factoryFirmware[line], antiRollbackCounter: 1, contentSeed: 1000 + i, sizeBytes: 4096 }),
  );
  const updates: FirmwareImage[] = ota.rollouts.map((r, i) =>
    buildImage({ productLine: ota.productLine, version: r.image.version, antiRollbackCounter: r.image.antiRollbackCounter, contentSeed: 2000 + i, sizeBytes: r.image.sizeBytes, behaviour: toBehaviour(r.image.behaviour) }),
  );
  const catalog = new ImageCatalog([...factory, ...updates]);
  const rolloutImages = updates.map((_, i) => factory.length + i);
  const n = fleet.deviceCount;
  const boot = new BootloaderState(n, ota.bootLimit);
  const eligible: number[] = [];
  const headTypes: Array<string | null> = new Array(n);
  for (let d = 0; d < n; d++) {
    const line = fleet.kind[d]! & 3;
    boot.initDevice(d, line, line, catalog);
    if (line === lineCode) eligible.push(d);
    const t = inferHeadType(headIdOf(fleet, d, 0));
    headTypes[d] = t === 'unknown' ? null : t;
  }
  const draw = new Draw(fleet.seed);
  const interval = 24 / ota.sessionsPerDay;
  const interdental = LINE_CODES.indexOf('interdental');
  const intervalOf = new Uint8Array(n);
  const hourOffset = new Uint8Array(n);
  const secondOffset = new Uint16Array(n);
  for (let d = 0; d < n; d++) {
    intervalOf[d] = (fleet.kind[d]! & 3) === interdental && interval <= 12 ? interval * 2 : interval;
    hourOffset[d] = draw.u32(TOPIC_SESSION_HOUR, d, 0) % intervalOf[d]!;
    secondOffset[d] = draw.u32(TOPIC_SESSION_SECOND, d, 0) % 3000;
  }
  const syncEvery = ota.syncEverySeconds / 3600;
  const syncOffset = new Uint8Array(fleet.householdCount);
  for (let h = 0; h < fleet.householdCount; h++) syncOffset[h] = draw.u32(TOPIC_SYNC_HOUR, h, 0) % syncEvery;
  const keys: Array<KeyObject | undefined> = new Array(n);
  return {
    fleet,
    catalog,
    rolloutImages,
    boot,
    lineCode,
    eligible,
    headTypes,
    draw,
    startS,
    interval,
    intervalOf,
    hourOffset,
    secondOffset,
    sessionSeq: new Uint32Array(n),
    syncEvery,
    syncOffset,
    syncedThrough: new Int32Array(fleet.householdCount).fill(-ota.baselineSeconds / 3600 - 1),
    skipDayShare: ota.skipDayShare,
    firstChargeAt: new Uint32Array(n),
    keyOf: (d) => (keys[d] ??= privateKeyFromSeed(deviceKeySeed(fleet.seed, d))),
  };
}
