// Module resolution hooks that let a scenario file load from anywhere on disk. Registered
// by harness/cli/bin.mjs after tsx's own hooks (so these run first and call tsx as
// `nextResolve`). Plain JavaScript: it runs on Node's loader thread before anything is
// compiled. Two rules, both applied only where loading would otherwise fail:
//
// 1. The bare specifier `fleetbed` resolves as it would for any package (the project's own
//    `node_modules/fleetbed`, or the package itself inside this repository). Only when that
//    finds no `fleetbed` package at all does it resolve to this copy's public API, the one
//    the running command belongs to, so a scenario outside any project still loads.
// 2. A TypeScript file (`.ts`, `.tsx`) outside `node_modules` whose package is not
//    `"type": "module"` (or that has no package.json) loads as an ES module. Scenario
//    files are ES modules (`export default defineScenario(...)`); loaded as CommonJS they
//    fail under tsx's ESM loader with `Cannot require() ES Module … in a cycle`.

/** URL of the public API, `harness/public.ts`, of the fleetbed copy these hooks belong to. */
const PUBLIC_API = new URL('../../public.ts', import.meta.url).href;

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'fleetbed') {
    try {
      return await nextResolve(specifier, context);
    } catch (err) {
      if (!isFleetbedNotFound(err)) throw err;
      return { url: PUBLIC_API, format: 'module', shortCircuit: true };
    }
  }
  const resolved = await nextResolve(specifier, context);
  if (resolved.format === 'commonjs' && isOwnTypeScript(resolved.url)) return { ...resolved, format: 'module' };
  return resolved;
}

/** True for Node's "no such package" error about `fleetbed` itself (not a file missing inside an installed one). */
function isFleetbedNotFound(err) {
  return err?.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package 'fleetbed'/.test(String(err.message));
}

function isOwnTypeScript(url) {
  if (!url.startsWith('file:')) return false;
  const { pathname } = new URL(url);
  return /\.tsx?$/.test(pathname) && !pathname.includes('/node_modules/');
}
