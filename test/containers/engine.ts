// Shared by the container suites: is there an engine, and what does it hold? Asks `docker`
// itself, so a test sees what a user would.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { probeDockerEngine } from '../../harness/core/env/index.ts';

const exec = promisify(execFile);

/** Why the container suites cannot run here, or undefined when an engine answers. Printed by each suite. */
export async function noEngineReason(): Promise<string | undefined> {
  const probe = await probeDockerEngine();
  if (!probe.reachable) {
    return `no Docker engine answers (${probe.tried.join('; ')}). .ci/run installs docker.io and starts dockerd --bridge=none --iptables=false; elsewhere start Docker or set DOCKER_HOST`;
  }
  const info = await docker(['info', '--format', '{{.ServerVersion}}']).catch((error: Error) => error);
  if (info instanceof Error) return `the docker CLI cannot reach the engine at ${probe.endpoint}: ${info.message.split('\n')[0]}`;
  return undefined;
}

/** Run the docker CLI; resolves its stdout, trimmed. */
export async function docker(args: string[], timeout = 60_000): Promise<string> {
  const { stdout } = await exec('docker', args, { timeout, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/**
 * What a test run could leave on the engine: containers, networks and volumes carrying `label`
 * (`key` or `key=value`; other suites may run at the same time), and dangling images.
 */
export async function engineLeftovers(label: string): Promise<{ containers: string[]; networks: string[]; volumes: string[]; dangling: string[] }> {
  const lines = (text: string) => text.split('\n').filter(Boolean).sort();
  const filter = ['--filter', `label=${label}`];
  const [containers, networks, volumes, dangling] = await Promise.all([
    docker(['ps', '-a', ...filter, '--format', '{{.Names}} {{.Image}} {{.Status}}']),
    docker(['network', 'ls', ...filter, '--format', '{{.Name}}']),
    docker(['volume', 'ls', ...filter, '-q']),
    docker(['images', '-q', '--filter', 'dangling=true']),
  ]);
  return { containers: lines(containers), networks: lines(networks), volumes: lines(volumes), dangling: lines(dangling) };
}
