import cluster from 'node:cluster';
import { configFromEnv, ConfigError } from './config.ts';
import { buildApp } from './app.ts';
import { createPool } from './db/pool.ts';
import { migrate } from './db/migrate.ts';

/**
 * Entry point: read the configuration from the environment, apply migrations
 * once, then listen — in this process, or in FLEETBED_WORKERS cluster workers
 * sharing the port. Prints `FLEETBED_API_LISTENING <url>` when ready to serve.
 */
async function main(): Promise<void> {
  const config = configFromEnv();
  if (cluster.isPrimary) {
    const pool = createPool(config.databaseUrl, 1);
    const client = await pool.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
      await pool.end();
    }
  }
  if (cluster.isPrimary && config.workers > 1) {
    let listening = 0;
    let stopping = false;
    for (let i = 0; i < config.workers; i++) cluster.fork();
    cluster.on('listening', (_w, address) => {
      if (++listening === config.workers) console.log(`FLEETBED_API_LISTENING http://${config.host}:${address.port}`);
    });
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      console.error(`worker ${worker.process.pid} exited (${signal ?? code}); the API is stopping`);
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill();
      process.exitCode = 1;
    });
    const stop = () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  const app = await buildApp({ ...config, migrate: false });
  const close = async () => {
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
  const address = await app.listen({ host: config.host, port: config.port });
  if (cluster.isPrimary) console.log(`FLEETBED_API_LISTENING ${address}`);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`fleetbed reference API: ${err.message}`);
    process.exit(2);
  }
  console.error('fleetbed reference API failed to start:', err);
  process.exit(1);
});
