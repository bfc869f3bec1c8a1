// The reaper: a tiny detached process that cleans up after a harness that died without
// stopping its environment (SIGKILL, crash, Ctrl-C, process.exit()).
//
// The harness spawns it with an IPC channel and sends it what to clean up:
//   { type: 'watch', targets: [{ pid, group, signal }], dirs: [path],
//     containers?: { socketPath | host+port, label } }                  (replaces the list)
//   { type: 'dismiss' }                                                   (exit, do nothing)
// When the channel disconnects without a dismiss, the parent is gone: signal every target
// (`group: true` signals the whole process group -pid), wait for them to die (escalating to
// SIGKILL after GRACE_MS), then remove the dirs, then force-remove (with their volumes) the
// Docker containers that carry `label`, through the engine's API. Plain JS so it starts in ~40 ms without tsx.
import { readFileSync, rmSync, appendFileSync } from 'node:fs';
import { request } from 'node:http';

const GRACE_MS = 4000;
const KILL_WAIT_MS = 2000;
const POLL_MS = 20;
const logFile = process.env.FLEETBED_REAPER_LOG;

let targets = [];
let dirs = [];
let containers;
let dismissed = false;

function log(line) {
  if (logFile) {
    try {
      appendFileSync(logFile, `${new Date().toISOString()} reaper[${process.pid}] ${line}\n`);
    } catch {}
  }
}

/** Alive and not a zombie (a PID 1 that does not reap would keep zombies visible forever). */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

function signal(target, sig) {
  try {
    process.kill(target.group ? -target.pid : target.pid, sig);
  } catch {}
}

function waitGone(pids, ms) {
  const deadline = Date.now() + ms;
  return new Promise((resolve) => {
    const tick = () => {
      const alive = pids.filter(isAlive);
      if (alive.length === 0 || Date.now() >= deadline) resolve(alive);
      else setTimeout(tick, POLL_MS);
    };
    tick();
  });
}

async function reap() {
  if (dismissed) return;
  log(`parent gone; reaping ${JSON.stringify({ targets, dirs })}`);
  for (const target of targets) signal(target, target.signal ?? 'SIGTERM');
  let alive = await waitGone(targets.map((t) => t.pid), GRACE_MS);
  if (alive.length > 0) {
    log(`still alive after ${GRACE_MS} ms: ${alive.join(', ')}; SIGKILL`);
    for (const target of targets) if (alive.includes(target.pid)) signal(target, 'SIGKILL');
    alive = await waitGone(alive, KILL_WAIT_MS);
  }
  // A killed group leader may leave group members behind (cluster workers): sweep the groups.
  for (const target of targets) if (target.group) signal(target, 'SIGKILL');
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch (error) {
      log(`could not remove ${dir}: ${error.message}`);
    }
  }
  if (containers) await removeContainers(containers);
  log('done');
  process.exit(0);
}

/** One request to the Docker engine's API; resolves { status, body } or { error }. */
function docker(engine, method, path) {
  return new Promise((resolve) => {
    const where = engine.socketPath ? { socketPath: engine.socketPath } : { host: engine.host, port: engine.port };
    const req = request({ ...where, method, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ error: error.message }));
    req.end();
  });
}

/** Force-remove every container with the label, and its anonymous volumes. */
async function removeContainers(engine) {
  const filters = encodeURIComponent(JSON.stringify({ label: [engine.label] }));
  const list = await docker(engine, 'GET', `/containers/json?all=1&filters=${filters}`);
  let ids = [];
  try {
    ids = JSON.parse(list.body).map((container) => container.Id);
  } catch {
    log(`could not list containers labelled ${engine.label}: ${list.error ?? list.status}`);
  }
  for (const id of ids) {
    const removed = await docker(engine, 'DELETE', `/containers/${id}?force=1&v=1`);
    log(`removed container ${id.slice(0, 12)}: ${removed.error ?? removed.status}`);
  }
}

process.on('message', (message) => {
  if (message?.type === 'watch') {
    targets = Array.isArray(message.targets) ? message.targets : [];
    dirs = Array.isArray(message.dirs) ? message.dirs : [];
    containers = message.containers && typeof message.containers.label === 'string' ? message.containers : undefined;
  } else if (message?.type === 'dismiss') {
    dismissed = true;
    process.exit(0);
  }
});
process.on('disconnect', () => void reap());
process.send?.({ type: 'ready' });
