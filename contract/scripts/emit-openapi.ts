/**
 * Write contract/openapi.json from contract/openapi.ts.
 *
 *   npm run openapi:emit            write the file
 *   npm run openapi:emit -- --check exit 1 when the committed file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openapiJson } from '../openapi.ts';

const target = fileURLToPath(new URL('../openapi.json', import.meta.url));
const text = openapiJson();

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {}
  if (committed !== text) {
    console.error(`${target} is stale: run \`npm run openapi:emit\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${target} is up to date.`);
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target} (${text.length} bytes)`);
}
