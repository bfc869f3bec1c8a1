import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

/** What {@link probeDockerEngine} found. */
export interface DockerEngineProbe {
  /** True when an engine answered, or when the configuration points somewhere we cannot ping. */
  reachable: boolean;
  /** The endpoint that answered or was configured. */
  endpoint?: string;
  /** Every endpoint considered and why it was rejected, for the error message. */
  tried: string[];
  elapsedMs: number;
}

/**
 * Look for a Docker engine the way Testcontainers would, without importing it: `DOCKER_HOST`,
 * then `~/.testcontainers.properties`, then the usual unix sockets, each pinged with
 * `GET /_ping` (TCP hosts: a connect) within `timeoutMs` (default 500).
 */
export async function probeDockerEngine(
  processEnv: Record<string, string | undefined> = process.env,
  timeoutMs = 500,
): Promise<DockerEngineProbe> {
  const started = performance.now();
  const done = (reachable: boolean, tried: string[], endpoint?: string): DockerEngineProbe => ({
    reachable,
    tried,
    elapsedMs: Math.round(performance.now() - started),
    ...(endpoint ? { endpoint } : {}),
  });

  const dockerHost = processEnv.DOCKER_HOST;
  if (dockerHost) {
    const url = safeUrl(dockerHost);
    let problem: string | undefined;
    if (url?.protocol === 'unix:') problem = await pingSocket(url.pathname, timeoutMs);
    else if (url?.protocol === 'tcp:') problem = await tcpConnect(url.hostname, Number(url.port || 2375), timeoutMs);
    else return done(true, [], dockerHost); // npipe://, ssh://: leave it to Testcontainers
    return problem ? done(false, [`DOCKER_HOST=${dockerHost}: ${problem}`]) : done(true, [], dockerHost);
  }

  const properties = join(homedir(), '.testcontainers.properties');
  if (existsSync(properties) && /^\s*(docker\.host|tc\.host)\s*=/m.test(readFileSync(properties, 'utf8'))) {
    return done(true, [], properties);
  }

  const xdg = processEnv.XDG_RUNTIME_DIR;
  const sockets = [
    '/var/run/docker.sock',
    ...(xdg ? [join(xdg, 'docker.sock')] : []),
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
    `/run/user/${userInfo().uid}/docker.sock`,
  ].filter((path, index, all) => all.indexOf(path) === index);
  const results = await Promise.all(
    sockets.map(async (path) => ({ path, problem: existsSync(path) ? await pingSocket(path, timeoutMs) : 'no such socket' })),
  );
  const ok = results.find((result) => result.problem === undefined);
  if (ok) return done(true, [], `unix://${ok.path}`);
  return done(
    false,
    results.map((result) => `unix://${result.path}: ${result.problem}`),
  );
}

/** `GET /_ping` over a unix socket; undefined when the engine answered 200, else the problem. */
function pingSocket(socketPath: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? undefined : `GET /_ping answered HTTP ${res.statusCode}`);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(`no answer to GET /_ping within ${timeoutMs} ms`);
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(`no TCP connection within ${timeoutMs} ms`);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
