/** One shell line that reproduces a scenario's run. */
export function replayLine(file: string, seed: string, devices: number, extra: string[] = []): string {
  return ['npx fleetbed run', quote(file), '--seed', seed, '--devices', String(devices), ...extra].join(' ');
}

function quote(s: string): string {
  return /^[\w./@:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
