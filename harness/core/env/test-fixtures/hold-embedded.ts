// Test fixture: start an embedded environment, print what it started as one JSON line, and
// hold it until killed. Used by embedded.test.ts to check cleanup when this process dies.
import { EmbeddedEnvironment } from '../embedded.ts';

const env = await new EmbeddedEnvironment().start();
process.stdout.write(`${JSON.stringify({ apiUrl: env.apiUrl, workDir: env.workDir, pids: env.pids })}\n`);
setInterval(() => undefined, 60_000);
