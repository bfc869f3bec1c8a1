import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ScenarioError } from './errors.ts';
import { loadScenarioFile, loadScenarios } from './load-scenarios.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = 'harness/core/scenario/test-fixtures';
const cwd = ROOT;

async function loadError(path: string, options = { cwd }): Promise<ScenarioError> {
  const err = await loadScenarios(path, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScenarioError);
  expect((err as ScenarioError).code).toBe('FLEETBED_SCENARIO_INVALID');
  return err as ScenarioError;
}

describe('loadScenarios: formats', () => {
  it('gives equal resolved scenarios for ts, json and yaml twins', async () => {
    const [ts, json, yaml] = await Promise.all(['twin.ts', 'twin.json', 'twin.yaml'].map((f) => loadScenarioFile(`${FIXTURES}/${f}`, { cwd })));
    expect(ts!.file).toBe(`${FIXTURES}/twin.ts`);
    expect(yaml!.file).toBe(`${FIXTURES}/twin.yaml`);
    const { file: _a, ...fromTs } = ts!;
    const { file: _b, ...fromJson } = json!;
    const { file: _c, ...fromYaml } = yaml!;
    expect(fromJson).toEqual(fromTs);
    expect(fromYaml).toEqual(fromTs);
    expect(fromTs).toMatchObject({
      name: 'late-and-duplicate-uploads',
      seed: '18446744073709551557',
      duration: '3d',
      durationSeconds: 3 * 86_400,
      fleet: { devices: 2000 },
      requires: { restartApi: true, restartDatabase: true, faultProxy: true, killApi: false, crashDatabase: false, databaseProxy: false },
    });
    expect(fromTs.faults.map((f) => [f.fault, f.at])).toEqual([
      ['restart-api', 43_200],
      ['restart-postgres', 86_400 + 3 * 3600],
      ['http-5xx', 86_400 + 6 * 3600],
      ['latency', 86_400],
      ['drop-response-after-commit', 2 * 86_400],
    ]);
  });

  it('names the file, line and column of malformed YAML', async () => {
    const err = await loadError(`${FIXTURES}/broken.yaml`);
    expect(err.message).toMatch(/^harness\/core\/scenario\/test-fixtures\/broken\.yaml:5:\d+: is not valid YAML: /);
    expect(err.line).toBe(5);
    expect(err.file).toBe(`${FIXTURES}/broken.yaml`);
  });

  it('names the file, line and column of malformed JSON', async () => {
    const err = await loadError(`${FIXTURES}/broken.json`);
    expect(err.message).toBe(`${FIXTURES}/broken.json:5:3: is not valid JSON: Expected ',' or '}' after property value`);
    expect([err.line, err.column]).toEqual([5, 3]);
  });

  it('names the file of a scenario that loads but does not validate', async () => {
    const dir = scratch({ 'bad.yaml': 'name: bad\ndescription: x\nfleet: { devices: -5 }\n' });
    const err = await loadError(join(dir, 'bad.yaml'), { cwd: dir });
    expect(err.message).toBe('bad.yaml: fleet.devices must be an integer from 1 to 1000000, got -5');
  });
});

describe('loadScenarios: directories', () => {
  it('loads every scenario file under a directory, recursively, sorted by path, skipping helpers and other files', async () => {
    const scenarios = await loadScenarios(`${FIXTURES}/suite`, { cwd });
    expect(scenarios.map((s) => [s.file, s.name])).toEqual([
      [`${FIXTURES}/suite/a-minimal.ts`, 'minimal'],
      [`${FIXTURES}/suite/nested/b-restart.yml`, 'api-restart'],
      [`${FIXTURES}/suite/nested/c-reset.json`, 'resets'],
    ]);
  });

  it('ignores *.test.ts and rejects two scenarios with one name', async () => {
    const dir = scratch({
      'one.json': '{ "name": "same", "description": "first" }',
      'two.yaml': 'name: same\ndescription: second\n',
      'skip.test.ts': 'throw new Error("a test file must never be imported as a scenario");\n',
    });
    const err = await loadError(dir, { cwd: dir });
    expect(err.message).toBe('two.yaml: name "same" is already used by one.json; scenario names must be unique in a suite');
  });

  it('names a .ts file that does not load, with the line where the transformer gives one', async () => {
    const dir = scratch({ 'syntax.ts': 'export default {\n  name: "x",\n  description: "y"\n  fleet: {},\n};\n' });
    const err = await loadError(join(dir, 'syntax.ts'), { cwd: dir });
    expect(err.message).toMatch(/^syntax\.ts:4:3: does not load: Expected /);
    expect(err.message).not.toMatch(/Transform failed/);
    expect([err.line, err.column]).toEqual([4, 3]);
  });

  it('names a .ts file whose evaluation throws, and one without a default export', async () => {
    const dir = scratch({
      'throws.ts': 'const x: number = 1;\nthrow new Error(`boom ${x}`);\nexport default {};\n',
      'nodefault.ts': 'export const scenario = { name: "x", description: "y" };\n',
    });
    expect((await loadError(join(dir, 'throws.ts'), { cwd: dir })).message).toMatch(/^throws\.ts(:2:\d+)?: does not load: boom 1$/);
    expect((await loadError(join(dir, 'nodefault.ts'), { cwd: dir })).message).toBe('nodefault.ts: has no default export; write `export default defineScenario({ name, description, ... })`');
  });

  it('says what to do when a program without the fleetbed command\'s module hooks loads a scenario outside a fleetbed project', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetbed-no-project-'));
    try {
      mkdirSync(join(dir, 'esm'));
      writeFileSync(join(dir, 'esm', 'package.json'), '{ "type": "module" }');
      const scenario = "import { defineScenario } from 'fleetbed';\nexport default defineScenario({ name: 'x', description: 'x' });\n";
      writeFileSync(join(dir, 'esm', 'no-fleetbed.ts'), scenario);
      writeFileSync(join(dir, 'no-package.ts'), scenario);
      // Node with tsx's ESM loader only, as a program of the user's might run: no harness/cli/bin.mjs.
      const program = `const { loadScenarioFile } = await import(${JSON.stringify(join(ROOT, 'harness/core/scenario/load-scenarios.ts'))});
        for (const f of ['esm/no-fleetbed.ts', 'no-package.ts']) await loadScenarioFile(f, { cwd: ${JSON.stringify(dir)} }).then(() => console.log('loaded'), (e) => console.log(e.code, e.message));`;
      const out = execFileSync(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', program], { cwd: ROOT, encoding: 'utf8' }).split('\n');
      expect(out[0]).toBe(
        "FLEETBED_SCENARIO_INVALID esm/no-fleetbed.ts: imports 'fleetbed' but no fleetbed package is reachable from its folder: run `npm i -D fleetbed` in that project, or put the file inside a project that depends on fleetbed (or run it with the fleetbed command, which supplies its own)",
      );
      expect(out[1]).toBe(
        'FLEETBED_SCENARIO_INVALID no-package.ts: was loaded as CommonJS, but scenario files are ES modules: add "type": "module" to the package.json of its project, or name it .mts (or run it with the fleetbed command, which loads it as an ES module)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so when a path does not exist or holds no scenarios', async () => {
    expect((await loadError('scenarios/nope', { cwd })).message).toBe('scenarios/nope: no such file or directory');
    const dir = scratch({ 'notes.md': 'nothing here' });
    expect((await loadError(dir, { cwd: dir })).message).toBe('.: no scenario files (.ts, .mts, .json, .yaml, .yml) under this directory');
    expect((await loadError(join(dir, 'notes.md'), { cwd: dir })).message).toBe('notes.md: not a scenario file; expected one of .ts, .mts, .json, .yaml, .yml');
  });
});

const scratches: string[] = [];
afterAll(() => {
  for (const d of scratches) rmSync(d, { recursive: true, force: true });
});

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetbed-scenarios-'));
  scratches.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
