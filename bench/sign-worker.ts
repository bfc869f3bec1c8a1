import { sign } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { encodeSessionRecord, packSignedRecord, sessionRecordSigningBytes } from '../contract/record.ts';
import { packFirmwareVersion } from '../contract/firmware-version.ts';
import { deriveDeviceKey } from '../simulators/device-keys.ts';

/**
 * Pre-signs session records for the ingest benchmark: for each job
 * {deviceId, fromSeq, count}, `count` records of that device, base64url.
 */
const { seed, jobs, startedAt } = workerData as { seed: number; jobs: { deviceId: number; fromSeq: number; count: number }[]; startedAt: number };
const fw = packFirmwareVersion('1.0.0');
const out: string[][] = [];
for (const job of jobs) {
  const key = deriveDeviceKey(seed, job.deviceId).privateKey;
  const recs: string[] = [];
  for (let s = job.fromSeq; s < job.fromSeq + job.count; s++) {
    const bytes = encodeSessionRecord({
      formatVersion: 1, clockReset: false, headChanged: false, deviceId: job.deviceId, seq: s,
      startedAt: startedAt - 86_400 + (s % 80_000), durationS: 120, zones: 0xff, pressureAlerts: s % 3,
      headId: 0x1000_0000_0000 + job.deviceId, firmwareVersion: fw, batteryPct: 80,
    });
    recs.push(Buffer.from(packSignedRecord(bytes, sign(null, sessionRecordSigningBytes(bytes), key))).toString('base64url'));
  }
  out.push(recs);
}
parentPort!.postMessage(out);
