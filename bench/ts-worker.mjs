// Worker-thread bootstrap: register tsx in this thread, then run the TypeScript
// module named in workerData.module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
