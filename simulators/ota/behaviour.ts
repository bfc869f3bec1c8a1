import type { HeadType } from '../../contract/head-id.ts';

/**
 * How an image behaves on a device, beyond what its bytes say. The platform
 * never sees this: it is the latent bug the testbed plants.
 *
 * - good: transfers, boots, confirms, keeps working.
 * - corrupt-in-transfer: a byte of chunk `chunk` arrives flipped (a CDN or
 *   phone-app bug), with `probability` per download: verification fails and the
 *   device stays on its old bank.
 * - boot-loop: the new bank crashes while booting (with `probability` per boot
 *   attempt); the boot counter rolls the device back.
 * - quiet-death: boots, confirms, then stops reporting after a post-boot
 *   condition — `hoursAfterFirstCharge` hours after the first charge since the
 *   update, `batteryBelowPct`, or `hoursAfterBoot` — on a share
 *   `affectedShare` of devices. No boot counter sees it.
 * - head-fault: only with a brush head of `headType` fitted: `quiet` (the
 *   device hangs reading the head) or `boot-loop` (it crashes while booting).
 */
export type FirmwareBehaviour =
  | { kind: 'good' }
  | { kind: 'corrupt-in-transfer'; chunk?: number; probability?: number }
  | { kind: 'boot-loop'; probability?: number }
  | {
      kind: 'quiet-death';
      hoursAfterFirstCharge?: number;
      batteryBelowPct?: number;
      hoursAfterBoot?: number;
      affectedShare?: number;
    }
  | { kind: 'head-fault'; headType: HeadType; effect: 'quiet' | 'boot-loop' };

export const BEHAVIOUR_KINDS = Object.freeze(['good', 'corrupt-in-transfer', 'boot-loop', 'quiet-death', 'head-fault'] as const);

/** Counter-based randomness (simulators/seed.ts Draw fits): a pure function of its arguments. */
export interface UnitDraw {
  unit(topic: number, a: number, b: number): number;
}

/** Topics of the OTA draws (0x7xx: the range simulators/topics.ts leaves to OTA). */
export const OTA_TOPIC = Object.freeze({
  transferCorrupt: 0x701,
  bootCrash: 0x702,
  quietAffected: 0x703,
});

/** What a device knows about itself at a step, in device time. */
export interface DeviceConditions {
  /** Device clock, unix seconds. */
  nowS: number;
  /** Device time of the confirmed boot of the running image (0: not yet). */
  confirmedAtS: number;
  /** Device time of the first charge since the running image was confirmed (0: none yet). */
  firstChargeAtS: number;
  batteryPct: number;
  /** Type of the fitted brush head, or null when unknown. */
  headType: HeadType | null;
}

/** Whether download `attempt` of device `d` gets chunk `chunk` corrupted. */
export function chunkArrivesCorrupt(b: FirmwareBehaviour, draw: UnitDraw, d: number, attempt: number, chunk: number, chunkCount: number): boolean {
  if (b.kind !== 'corrupt-in-transfer') return false;
  const target = Math.min(chunkCount - 1, Math.max(0, b.chunk ?? Math.floor(chunkCount / 2)));
  if (chunk !== target) return false;
  const p = b.probability ?? 1;
  return p >= 1 || draw.unit(OTA_TOPIC.transferCorrupt, d, attempt) < p;
}

/** Whether boot attempt `attempt` of the image comes up healthy on device `d`. */
export function bootsHealthy(b: FirmwareBehaviour, draw: UnitDraw, d: number, attempt: number, c: Pick<DeviceConditions, 'headType'>): boolean {
  if (b.kind === 'boot-loop') {
    const p = b.probability ?? 1;
    return !(p >= 1 || draw.unit(OTA_TOPIC.bootCrash, d, attempt) < p);
  }
  if (b.kind === 'head-fault' && b.effect === 'boot-loop') return c.headType !== b.headType;
  return true;
}

/**
 * Whether a device running (and having confirmed) the image has gone quiet:
 * stopped recording and reporting sessions. Pure; the caller latches the
 * first `true` (bootloader.ts does, in `quietAt`), because a hung device
 * stays hung.
 */
export function goesQuiet(b: FirmwareBehaviour, draw: UnitDraw, d: number, imageIndex: number, c: DeviceConditions): boolean {
  if (c.confirmedAtS === 0) return false;
  if (b.kind === 'head-fault') return b.effect === 'quiet' && c.headType === b.headType;
  if (b.kind !== 'quiet-death') return false;
  const share = b.affectedShare ?? 1;
  if (share < 1 && draw.unit(OTA_TOPIC.quietAffected, d, imageIndex) >= share) return false;
  if (b.hoursAfterBoot !== undefined && c.nowS >= c.confirmedAtS + b.hoursAfterBoot * 3600) return true;
  if (b.hoursAfterFirstCharge !== undefined && c.firstChargeAtS > 0 && c.nowS >= c.firstChargeAtS + b.hoursAfterFirstCharge * 3600) return true;
  if (b.batteryBelowPct !== undefined && c.batteryPct < b.batteryBelowPct) return true;
  return false;
}

/** Throws a RangeError naming the field when a behaviour is malformed. */
export function checkBehaviour(b: FirmwareBehaviour): FirmwareBehaviour {
  const share = (name: string, v: number | undefined) => {
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`behaviour ${b.kind}: ${name} must be in [0, 1], got ${v}`);
  };
  if (!BEHAVIOUR_KINDS.includes(b.kind)) throw new RangeError(`behaviour kind must be one of ${BEHAVIOUR_KINDS.join(', ')}, got ${JSON.stringify(b.kind)}`);
  if (b.kind === 'corrupt-in-transfer') share('probability', b.probability);
  if (b.kind === 'boot-loop') share('probability', b.probability);
  if (b.kind === 'quiet-death') {
    share('affectedShare', b.affectedShare);
    if (b.hoursAfterFirstCharge === undefined && b.batteryBelowPct === undefined && b.hoursAfterBoot === undefined) {
      throw new RangeError('behaviour quiet-death needs a condition: hoursAfterFirstCharge, batteryBelowPct or hoursAfterBoot');
    }
  }
  return b;
}
