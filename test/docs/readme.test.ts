import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Keeps README.md and docs/*.md true: their links resolve, the commands and
 * flags they show exist, the scripts they name are in package.json, and the
 * README's scenario example is a real scenario file, byte for byte.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const README = join(ROOT, 'README.md');
const DOCS = join(ROOT, 'docs');
const README_MAX_LINES = 280;

const exec = promisify(execFile);

function docFiles(): string[] {
  const docs = existsSync(DOCS) ? readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => join(DOCS, f)) : [];
  return [README, ...docs.sort()];
}

const rel = (file: string) => relative(ROOT, file);

/** Markdown text outside fenced code blocks (fence lines and their content become blank lines). */
function withoutFences(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line;
    })
    .join('\n');
}

/** The contents of fenced code blocks, with their info string (`ts`, `sh`, …). */
function fencedBlocks(markdown: string): { lang: string; body: string }[] {
  return [...markdown.matchAll(/^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => ({ lang: m[1]!.trim(), body: m[2]! }));
}

/** Code the docs show: every line of every fenced block, and every inline code span outside them. */
function codeSnippets(markdown: string): string[] {
  const lines = fencedBlocks(markdown).flatMap((b) => b.body.split('\n'));
  const inline = [...withoutFences(markdown).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return [...lines, ...inline];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a markdown file offers (duplicate headings get -1, -2, … as on GitHub). */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = headingSlug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/**
 * Every relative link of `markdown` (as if it were the file `fromFile`) that
 * does not resolve: a path that does not exist, or an #anchor that the target
 * markdown file has no heading for.
 */
export function brokenLinks(markdown: string, fromFile: string): string[] {
  const broken: string[] = [];
  for (const m of withoutFences(markdown).matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
    const [path = '', anchor] = target.split('#', 2);
    const file = path === '' ? fromFile : resolve(dirname(fromFile), decodeURIComponent(path));
    if (path !== '' && !existsSync(file)) {
      broken.push(`${target} (no file ${rel(file)})`);
      continue;
    }
    if (anchor !== undefined && file.endsWith('.md') && (file === fromFile || statSync(file).isFile())) {
      const text = file === fromFile ? markdown : readFileSync(file, 'utf8');
      if (!anchorsOf(text).has(anchor)) broken.push(`${target} (no heading #${anchor} in ${rel(file)})`);
    }
  }
  return broken;
}

interface CommandUse {
  command: string;
  flags: string[];
  /** The first operand, when it looks like a path (contains a slash). */
  path?: string;
  source: string;
}

/** Split a shell snippet into simple commands (at &&, ||, ;, |) with comments removed. */
function simpleCommands(snippet: string): string[] {
  return snippet
    .replace(/\s#.*$/, '')
    .split(/&&|\|\||;|\|/)
    .map((s) => s.trim());
}

/** Every `npx fleetbed <command> …` in `snippets`: the command, its --flags and its path operand. */
export function fleetbedUses(snippets: readonly string[]): CommandUse[] {
  const uses: CommandUse[] = [];
  for (const snippet of snippets) {
    for (const part of simpleCommands(snippet)) {
      const m = /npx fleetbed\s+(\S+)(.*)$/.exec(part);
      if (!m) continue;
      const tokens = m[2]!.trim().split(/\s+/).filter(Boolean).map((t) => t.replace(/^\[+/, '').replace(/\]+$/, ''));
      const flags = tokens.filter((t) => /^--[a-z]/.test(t)).map((t) => t.replace(/=.*$/, ''));
      const operand = tokens.find((t) => !t.startsWith('-'));
      uses.push({ command: m[1]!, flags, ...(operand && operand.includes('/') && !tokens[tokens.indexOf(operand) - 1]?.startsWith('--') ? { path: operand } : {}), source: part });
    }
  }
  return uses;
}

/** The flags of `use` that `help` (the command's --help text) does not list. */
export function unknownFlags(use: CommandUse, help: string): string[] {
  return use.flags.filter((f) => !new RegExp(`(^|[\\s,\\[])${f.replace(/[-]/g, '\\-')}(?![\\w-])`, 'm').test(help));
}

/** Every `npm run <script> [-- flags]` in `snippets`. */
function npmRunUses(snippets: readonly string[]): { script: string; flags: string[]; source: string }[] {
  const uses: { script: string; flags: string[]; source: string }[] = [];
  for (const snippet of snippets) {
    for (const part of simpleCommands(snippet)) {
      for (const m of part.matchAll(/npm run ([A-Za-z0-9_:.*-]+)((?:\s+--(?:\s+[^\s`]+)*)?)/g)) {
        if (/[*<]|:$/.test(m[1]!)) continue; // `npm run bench:*`, `bench:<name>`: a family, not a script
        const flags = (m[2] ?? '').split(/\s+/).filter((t) => /^--[a-z]/.test(t)).map((t) => t.replace(/=.*$/, '').replace(/\]+$/, ''));
        uses.push({ script: m[1]!, flags, source: part });
      }
    }
  }
  return uses;
}

const files = docFiles();
const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
const readme = texts.get(README)!;
const allSnippets = files.flatMap((f) => codeSnippets(texts.get(f)!));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

const helpOf = new Map<string, string>();
async function fleetbed(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await exec(process.execPath, [join(ROOT, 'harness/cli/bin.mjs'), ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '' };
  }
}

/**
 * A bench's `--help` text. When the bench cannot print it (a bench without
 * `--help`, or one that does not load), its source stands in: the flag names of
 * its option table, so the check still compares against something real.
 */
async function benchHelp(file: string): Promise<string> {
  try {
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', join(ROOT, file), '--help'], { cwd: ROOT, timeout: 60_000 });
    if (/^Usage:/m.test(stdout)) return stdout;
  } catch {
    // fall through to the source
  }
  console.warn(`[docs] ${file} --help failed; checking flags against its source instead`);
  const source = readFileSync(join(ROOT, file), 'utf8');
  return [...source.matchAll(/(?:^|[\s{,])['"]?([a-z][a-z0-9-]*)['"]?\s*:\s*(?:\{\s*type:|flag\.)/gm)].map((m) => `  --${m[1]}`).join('\n');
}

describe('docs: README.md and docs/*.md stay true', () => {
  const uses = fleetbedUses(allSnippets);
  const commands = [...new Set(uses.map((u) => u.command).filter((c) => !c.startsWith('-')))].sort();

  beforeAll(async () => {
    for (const c of commands) {
      const r = await fleetbed([c, '--help']);
      if (r.code === 0) helpOf.set(c, r.stdout);
    }
  }, 120_000);

  it(`README.md has at most ${README_MAX_LINES} lines`, () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('the README links to every page under docs/', () => {
    const linked = new Set([...withoutFences(readme).matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]));
    expect(files.filter((f) => f.startsWith(DOCS)).map(rel).filter((f) => !linked.has(f))).toEqual([]);
  });

  it('every relative link resolves, anchors included', () => {
    const broken = files.flatMap((f) => brokenLinks(texts.get(f)!, f).map((b) => `${rel(f)}: ${b}`));
    expect(broken).toEqual([]);
  });

  it('the link checker fails on a made-up link (it is not vacuous)', () => {
    const from = join(DOCS, 'made-up.md');
    expect(brokenLinks('See [the plan](no-such-page.md) and [ok](../README.md).', from)).toEqual(['no-such-page.md (no file docs/no-such-page.md)']);
    expect(brokenLinks('[x](design.md#no-such-heading)', from)).toEqual(['design.md#no-such-heading (no heading #no-such-heading in docs/design.md)']);
    expect(brokenLinks('# Here\n[self](#here) [gone](#gone)\n```\n[in code](nowhere.md)\n```', from)).toEqual(['#gone (no heading #gone in docs/made-up.md)']);
  });

  it('the docs show the three users’ commands', () => {
    expect(commands).toEqual(expect.arrayContaining(['run', 'attack', 'up']));
    for (const want of ['npx fleetbed run scenarios/ci', 'npx fleetbed attack scenarios/security', 'npm run bench:fleet -- --devices', 'npm run bench:ingest']) {
      expect(readme).toContain(want);
    }
  });

  it('every fleetbed command shown answers --help with exit 0', async () => {
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((c) => !helpOf.has(c))).toEqual([]);
    const top = await fleetbed(['--help']);
    expect(top.code).toBe(0);
    for (const c of commands) expect(top.stdout).toMatch(new RegExp(`^\\s+${c}\\s`, 'm'));
  });

  it('every --flag shown for a fleetbed command is in that command’s --help', () => {
    const unknown = uses
      .filter((u) => !u.command.startsWith('-'))
      .flatMap((u) => unknownFlags(u, helpOf.get(u.command) ?? '').map((f) => `${f} in "${u.source}"`));
    expect(unknown).toEqual([]);
  });

  it('the flag check fails on a made-up flag (it is not vacuous)', () => {
    const [use] = fleetbedUses(['npx fleetbed run scenarios/ci --seed 1 --no-such-flag   # comment --ignored']);
    expect(use).toMatchObject({ command: 'run', flags: ['--seed', '--no-such-flag'], path: 'scenarios/ci' });
    expect(unknownFlags(use!, helpOf.get('run') ?? '')).toEqual(['--no-such-flag']);
  });

  it('every path a fleetbed command is given exists', () => {
    // fleetbed merge is given the report directories the commands before it wrote, not repository paths.
    const missing = uses.filter((u) => u.path !== undefined && u.command !== 'merge' && !existsSync(join(ROOT, u.path))).map((u) => u.source);
    expect(missing).toEqual([]);
  });

  it('every npm run script shown is in package.json, and its flags are in the bench’s --help', async () => {
    const runs = npmRunUses(allSnippets);
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.filter((r) => !(r.script in pkg.scripts)).map((r) => r.source)).toEqual([]);
    const unknown: string[] = [];
    const helps = new Map<string, string>();
    for (const r of runs.filter((x) => x.flags.length > 0)) {
      const file = /((?:bench\/[\w-]+\.ts)|(?:scripts\/[\w-]+\.mjs))/.exec(pkg.scripts[r.script] ?? '')?.[1];
      expect(file, `npm run ${r.script} takes flags in the docs, but no bench/*.ts or scripts/*.mjs file was found for it`).toBeDefined();
      if (!helps.has(file!)) helps.set(file!, await benchHelp(file!));
      const help = helps.get(file!)!;
      for (const f of r.flags) {
        if (unknownFlags({ command: r.script, flags: [f], source: r.source }, help).length > 0) unknown.push(`${f} of npm run ${r.script} (${file} --help)`);
      }
    }
    expect(unknown).toEqual([]);
  }, 120_000);

  it('the README’s scenario example is a real file of scenarios/ci/, byte for byte', () => {
    const m = /This is `(scenarios\/ci\/[\w.-]+\.ts)`:\n\n```ts\n([\s\S]*?)^```$/m.exec(readme);
    expect(m, 'the README introduces its example with "This is `scenarios/ci/<file>.ts`:"').not.toBeNull();
    expect(m![2]).toBe(readFileSync(join(ROOT, m![1]!), 'utf8'));
    // Any other defineScenario block in the README must be a real file too.
    const ciFiles = readdirSync(join(ROOT, 'scenarios/ci')).map((f) => readFileSync(join(ROOT, 'scenarios/ci', f), 'utf8'));
    const blocks = fencedBlocks(readme).filter((b) => b.lang === 'ts' && b.body.includes('defineScenario('));
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.filter((b) => !ciFiles.includes(b.body)).map((b) => b.body.split('\n')[3])).toEqual([]);
  });

  it('docs/design.md marks as checked exactly the invariants that have a checker', () => {
    const design = readFileSync(join(DOCS, 'design.md'), 'utf8');
    const rows = [...design.matchAll(/^\| ((?:ING|AUTH|OTA|LEG|PRIV)-\d+) \| .+ \| (.+) \|$/gm)].map((m) => ({ id: m[1]!, checker: m[2]! }));
    const checkersTs = readFileSync(join(ROOT, 'harness/core/checkers/checkers.ts'), 'utf8');
    const table = checkersTs.slice(checkersTs.indexOf('export const CHECKERS'));
    const withChecker = new Set([...table.slice(0, table.indexOf('});')).matchAll(/^\s*'([A-Z]+-\d+)':/gm)].map((m) => m[1]!));
    const catalogue = [...readFileSync(join(ROOT, 'harness/core/scenario/invariants.ts'), 'utf8').matchAll(/^\s*'([A-Z]+-\d+)':/gm)].map((m) => m[1]!);
    expect(withChecker.size).toBeGreaterThan(0);
    expect(catalogue.filter((id) => !rows.some((r) => r.id === id))).toEqual([]);
    const wrong: string[] = [];
    for (const { id, checker } of rows) {
      if (checker.startsWith('**planned**')) {
        if (withChecker.has(id)) wrong.push(`${id} is marked planned but has a checker`);
      } else if (checker.includes('fleetbed attack')) {
        if (withChecker.has(id)) wrong.push(`${id} is marked as the attack suite's but has a fleetbed run checker`);
      } else {
        if (!withChecker.has(id)) wrong.push(`${id} names a checker (${checker}) but CHECKERS has none`);
        for (const f of checker.match(/[\w-]+\.ts/g) ?? []) if (!existsSync(join(ROOT, 'harness/core/checkers', f))) wrong.push(`${id}: no harness/core/checkers/${f}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('every replay line shown has the shape fleetbed run prints', () => {
    const replays = allSnippets.filter((s) => s.startsWith('FAIL '));
    expect(replays.length).toBeGreaterThan(0);
    for (const line of replays) {
      expect(line).toMatch(/^FAIL [a-z0-9-]+ [A-Z]+-\d+: replay with: npx fleetbed run scenarios\/ci\/[\w-]+\.ts --seed \d+ --devices \d+ --duration \w+ {3}\(commit [0-9a-f]{7,40}\)$/);
    }
  });
});
