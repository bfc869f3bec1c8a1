import { createServer, type Server } from 'node:net';

/**
 * Ask the OS for `count` distinct free TCP ports on `host` (default 127.0.0.1).
 *
 * The ports are free when returned, not reserved: bind them promptly. All listeners are open
 * at once, so the ports are distinct from each other.
 */
export async function getFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, host, () => {
            const address = server.address();
            if (address && typeof address === 'object') resolve(address.port);
            else reject(new Error(`could not read the port bound on ${host}`));
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** One free TCP port on `host` (default 127.0.0.1). See {@link getFreePorts}. */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await getFreePorts(1, host);
  return port as number;
}
