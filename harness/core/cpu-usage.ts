import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds used so far by process groups, read from /proc (Linux only; an
 * empty result elsewhere). Groups: the processes whose pid or ancestor pid is
 * one of `roots[name]`. Each live process counts its own user + system time and
 * that of children it already reaped (cutime + cstime), so PostgreSQL backends
 * and API workers that exited still count. Used by benchmarks to say where the
 * time went (benchmarks and `fleetbed load`).
 */
export function cpuSecondsByGroup(roots: Record<string, Array<number | undefined>>): Record<string, number> {
  // fields[11] utime, [12] stime, [13] cutime, [14] cstime (0-based after the comm field); USER_HZ = 100
  return sumByGroup(roots, (_pid, fields) => (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100);
}

/** The system (kernel) part of {@link cpuSecondsByGroup}: on loopback, the TCP stack of both ends shows up here. */
export function sysSecondsByGroup(roots: Record<string, Array<number | undefined>>): Record<string, number> {
  return sumByGroup(roots, (_pid, fields) => (Number(fields[12]) + Number(fields[14])) / 100);
}

/**
 * Peak resident memory (VmHWM) of each live process of a group, summed, in MB:
 * what the API's processes held at their largest. Not meaningful for
 * PostgreSQL, whose backends each count the shared buffers they touched.
 */
export function peakRssMBByGroup(roots: Record<string, Array<number | undefined>>): Record<string, number> {
  const kb = sumByGroup(roots, (pid) => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0));
  return Object.fromEntries(Object.entries(kb).map(([k, v]) => [k, Math.round(v / 1024)]));
}

/** `measure(pid, fields of /proc/pid/stat after the comm field)`, summed per group of processes. */
function sumByGroup(roots: Record<string, Array<number | undefined>>, measure: (pid: number, statFields: string[]) => number): Record<string, number> {
  const procs = new Map<number, { ppid: number; value: number }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return {};
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(e), { ppid: Number(fields[1]), value: measure(Number(e), fields) });
    } catch {
      // the process exited while we looked
    }
  }
  const groupOf = (pid: number): string | undefined => {
    for (let p = pid, hops = 0; p > 1 && hops < 20; hops++) {
      for (const [name, pids] of Object.entries(roots)) if (pids.includes(p)) return name;
      const next = procs.get(p)?.ppid;
      if (next === undefined) return undefined;
      p = next;
    }
    return undefined;
  };
  const out: Record<string, number> = Object.fromEntries(Object.keys(roots).map((k) => [k, 0]));
  for (const [pid, { value }] of procs) {
    const g = groupOf(pid);
    if (g) out[g]! += value;
  }
  return out;
}
