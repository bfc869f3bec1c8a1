import { join } from 'node:path';
import { writeFileAtomic } from './_internals/atomic-write.ts';
import { escapeXmlAttr as attr, escapeXmlText as text } from './_internals/escape.ts';
import { attackFailed, formatRequest, formatResponse, formatThresholdFailure, formatViolations, formatWitness, replayWithCommit } from './_internals/format.ts';
import { owaspClass } from './owasp.ts';
import type { AttackResult, RunReport, ScenarioResult } from './types.ts';

/** File name of the JUnit XML report inside a report directory. */
export const JUNIT_XML_FILE = 'junit.xml';

type Outcome = { kind: 'pass' } | { kind: 'skipped'; message: string } | { kind: 'failure' | 'error'; type: string; message: string; body: string };

interface Case {
  classname: string;
  name: string;
  outcome: Outcome;
}

interface Suite {
  name: string;
  time: number;
  properties: [string, string | number][];
  file?: string;
  cases: Case[];
}

function scenarioCases(s: ScenarioResult, report: RunReport): Case[] {
  const replay = replayWithCommit(s, report);
  const cases: Case[] = [];
  if (s.error !== undefined) {
    const firstLine = s.error.split('\n', 1)[0] ?? '';
    cases.push({
      classname: s.name,
      name: 'scenario error',
      outcome: { kind: 'error', type: 'ScenarioError', message: `${s.name} could not run: ${firstLine}`, body: `${s.error}\n\n${replay}` },
    });
  }
  for (const inv of s.invariants) {
    const name = `${inv.id} ${inv.title}`;
    let outcome: Outcome = { kind: 'pass' };
    if (inv.verdict === 'skip') outcome = { kind: 'skipped', message: inv.skipReason ?? 'skipped' };
    else if (inv.verdict === 'fail') {
      const message = `${inv.id} ${inv.title}: ${formatViolations(inv)}`;
      const shown = inv.witnesses.length < inv.violations ? ` (first ${inv.witnesses.length} of ${inv.violations})` : '';
      const witnesses = inv.witnesses.length ? [`witnesses${shown}:`, ...inv.witnesses.map(formatWitness)] : ['no witnesses recorded'];
      outcome = { kind: 'failure', type: 'InvariantViolation', message, body: [message, ...witnesses, '', replay].join('\n') };
    }
    cases.push({ classname: s.name, name, outcome });
  }
  for (const t of s.thresholds) {
    const name = `threshold ${t.metric} ${t.expression}`;
    const outcome: Outcome =
      t.verdict === 'fail'
        ? { kind: 'failure', type: 'ThresholdFailed', message: formatThresholdFailure(t), body: `${formatThresholdFailure(t)}\n\n${replay}` }
        : { kind: 'pass' };
    cases.push({ classname: s.name, name, outcome });
  }
  return cases;
}

function attackCase(a: AttackResult, report: RunReport): Case {
  const cls = owaspClass(a.class);
  const classname = cls.title ? `${cls.key} ${cls.title}` : cls.key;
  if (!attackFailed(a)) return { classname, name: `${a.id} ${a.title}`, outcome: { kind: 'pass' } };
  const message =
    a.verdict === 'got-through' ? `${a.id} got through: expected ${a.expected}, got ${a.got}` : `${a.id} was refused (${a.got}) but changed the platform's state`;
  const body = [
    message,
    `expected: ${a.expected}`,
    `got: ${a.got}`,
    `state unchanged: ${a.stateUnchanged ? 'yes' : 'NO'}`,
    ...(a.request ? ['', 'request:', formatRequest(a.request)] : []),
    ...(a.response ? ['', 'response:', formatResponse(a.response)] : []),
    '',
    `run: ${report.command} (seed ${report.seed})`,
    `commit: ${report.commit}`,
  ].join('\n');
  return { classname, name: `${a.id} ${a.title}`, outcome: { kind: 'failure', type: 'AttackGotThrough', message, body } };
}

function suites(report: RunReport): Suite[] {
  const out: Suite[] = report.scenarios.map((s) => ({
    name: s.name,
    time: s.wallSeconds,
    file: s.file,
    properties: [
      ['seed', s.seed],
      ['commit', report.commit],
      ['ledgerDigest', s.ledgerDigest],
      ['replay', s.replay],
      ['devices', s.devices],
      ['simulatedSeconds', s.simulatedSeconds],
    ],
    cases: scenarioCases(s, report),
  }));
  if (report.attacks?.length) {
    out.push({
      name: 'attacks',
      time: 0,
      properties: [
        ['seed', report.seed],
        ['commit', report.commit],
      ],
      cases: report.attacks.map((a) => attackCase(a, report)),
    });
  }
  return out;
}

function count(cases: Case[], kind: Outcome['kind']): number {
  return cases.filter((c) => c.outcome.kind === kind).length;
}

function seconds(s: number): string {
  return Number.isFinite(s) && s >= 0 ? s.toFixed(3) : '0.000';
}

function totals(cases: Case[]): string {
  return `tests="${cases.length}" failures="${count(cases, 'failure')}" errors="${count(cases, 'error')}" skipped="${count(cases, 'skipped')}"`;
}

function renderCase(c: Case): string {
  const open = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}" time="0.000"`;
  const o = c.outcome;
  switch (o.kind) {
    case 'pass':
      return `${open}/>`;
    case 'skipped':
      return `${open}>\n      <skipped message="${attr(o.message)}"/>\n    </testcase>`;
    default:
      return `${open}>\n      <${o.kind} message="${attr(o.message)}" type="${attr(o.type)}">${text(o.body)}</${o.kind}>\n    </testcase>`;
  }
}

/**
 * The report as JUnit XML: one `<testsuite>` per scenario holding one
 * `<testcase>` per invariant and per threshold (plus one `<error>` case for a
 * scenario that could not run), and a final `attacks` suite when the run tried
 * attack cases. A failure's text lists its witnesses one per line, then the
 * replay line and the commit.
 */
export function renderJunit(report: RunReport): string {
  const all = suites(report);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(report.command || 'fleetbed')}" ${totals(all.flatMap((s) => s.cases))} time="${seconds(report.wallSeconds)}" timestamp="${attr(report.startedAt)}">`,
  ];
  for (const s of all) {
    lines.push(
      `  <testsuite name="${attr(s.name)}" ${totals(s.cases)} time="${seconds(s.time)}" timestamp="${attr(report.startedAt)}"${s.file ? ` file="${attr(s.file)}"` : ''}>`,
      '    <properties>',
      ...s.properties.map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>`),
      '    </properties>',
      ...s.cases.map(renderCase),
      '  </testsuite>',
    );
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/** Writes `<dir>/junit.xml` atomically; `dir` must exist. Returns the file's path. */
export async function writeJunit(dir: string, report: RunReport): Promise<string> {
  const path = join(dir, JUNIT_XML_FILE);
  await writeFileAtomic(path, renderJunit(report));
  return path;
}
