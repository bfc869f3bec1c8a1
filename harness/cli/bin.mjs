#!/usr/bin/env node
// The fleetbed command. TypeScript sources run through tsx's loader, so there is
// no build step between a checkout and a run. The scenario hooks, registered after
// tsx (so they run first), let a scenario file load from any folder on disk: see
// harness/core/scenario/loader-hooks.mjs.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('../core/scenario/loader-hooks.mjs', import.meta.url);
const { main } = await import('./main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
