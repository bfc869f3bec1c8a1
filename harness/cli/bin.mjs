#!/usr/bin/env node
// The fleetbed command. TypeScript sources run through tsx's loader, so there is
// no build step between a checkout and a run.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
