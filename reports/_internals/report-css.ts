/** The stylesheet inlined into report.html: light, dark and print; system fonts only. */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --panel: #f6f8fa; --grid: #e8ebef;
  --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9; --skip: #59636e; --skip-bg: #eff2f5;
  --tone-1: #0969da; --tone-2: #9a6700; --tone-3: #8250df; --tone-4: #1b7c83; --link: #0969da;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --panel: #151b23; --grid: #262c36;
    --pass: #3fb950; --pass-bg: #12261e; --fail: #f85149; --fail-bg: #2d1416; --skip: #9198a1; --skip-bg: #212830;
    --tone-1: #4493f8; --tone-2: #d29922; --tone-3: #ab7df8; --tone-4: #39c5cf; --link: #4493f8;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }
.page { max-width: 1200px; margin: 0 auto; padding: 24px 28px 48px; }
a { color: var(--link); }
h1, h2, h3, h4 { line-height: 1.25; margin: 0; }
h1 { font-size: 26px; display: flex; flex-wrap: wrap; gap: 12px; align-items: center; }
h2 { font-size: 21px; margin-top: 8px; }
h3 { font-size: 16px; margin: 26px 0 10px; }
p { margin: 8px 0; }
code, pre, .mono { font-family: var(--mono); font-size: 13px; }
code { overflow-wrap: break-word; }
pre { margin: 6px 0; padding: 10px 12px; background: var(--panel); border: 1px solid var(--border); border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.nw { white-space: nowrap; }
.run-header { border: 1px solid var(--border); border-left: 8px solid var(--pass); border-radius: 8px; padding: 18px 22px; background: var(--panel); }
.run-header.is-fail { border-left-color: var(--fail); }
.run-header .command { margin: 6px 0 14px; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 6px 24px; margin: 0; }
.facts div { min-width: 0; }
.facts dt { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.facts dd code { overflow-wrap: anywhere; }
.verdict { display: inline-flex; align-items: center; gap: 5px; padding: 1px 9px; border-radius: 999px; font-weight: 650; font-size: 13px; letter-spacing: .03em; white-space: nowrap; border: 1px solid currentColor; }
h1 .verdict { font-size: 18px; padding: 3px 14px; }
h2 .verdict { font-size: 14px; }
.v-pass, .v-refused { color: var(--pass); background: var(--pass-bg); }
.v-fail, .v-got-through { color: var(--fail); background: var(--fail-bg); }
.v-skip { color: var(--skip); background: var(--skip-bg); }
.replay-box { margin-top: 16px; padding: 12px 16px; border: 1px solid var(--fail); border-radius: 8px; background: var(--fail-bg); }
.replay-box h2 { font-size: 16px; margin: 0 0 6px; }
.replay-box ul { margin: 0; padding-left: 18px; }
.replay-line { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; }
.replay-line code { background: var(--bg); border: 1px solid var(--border); border-radius: 4px; padding: 1px 6px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--border); vertical-align: top; }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
tbody th { font-weight: 500; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.row-fail > td:first-child, tr.row-got-through > td:first-child { box-shadow: inset 4px 0 var(--fail); }
tr.detail > td { background: var(--fail-bg); border-bottom: 1px solid var(--border); }
.witnesses-list { margin: 4px 0 8px; padding-left: 24px; }
.witnesses-list li { margin: 3px 0; }
.witnesses-list .where { font-weight: 600; }
.witnesses-list code { background: var(--bg); border-radius: 3px; padding: 0 4px; white-space: pre-wrap; }
.scenario { margin-top: 36px; padding-top: 22px; border-top: 2px solid var(--border); }
.scenario > header h2 { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
.scenario .facts { margin-top: 12px; }
.error-box { border: 1px solid var(--fail); border-radius: 8px; padding: 8px 14px; background: var(--fail-bg); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 14px 22px; }
figure { margin: 0; min-width: 0; break-inside: avoid; }
figcaption { font-weight: 600; font-size: 14px; margin-bottom: 2px; }
svg.chart { display: block; width: 100%; height: auto; max-width: 760px; font-family: inherit; }
svg.chart text { font-size: 11px; fill: var(--muted); }
svg.chart .axis-label { font-size: 11.5px; fill: var(--fg); }
svg.chart .axis line { stroke: var(--muted); stroke-width: 1; }
svg.chart .grid line { stroke: var(--grid); stroke-width: 1; }
svg.chart .frame { fill: none; stroke: var(--border); }
svg.chart .line { fill: none; stroke: var(--c); stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
svg.chart .area { fill: var(--c); fill-opacity: .14; stroke: none; }
svg.chart .points circle { fill: var(--bg); stroke: var(--c); stroke-width: 1.5; }
svg.chart.tone-1 { --c: var(--tone-1); } svg.chart.tone-2 { --c: var(--tone-2); }
svg.chart.tone-3 { --c: var(--tone-3); } svg.chart.tone-4 { --c: var(--tone-4); }
svg.chart.bars .bar rect { fill: var(--c); }
svg.chart.bars .bar-1 { --c: var(--tone-1); } svg.chart.bars .bar-2 { --c: var(--tone-2); }
svg.chart.bars .bar-3 { --c: var(--tone-3); } svg.chart.bars .bar-4 { --c: var(--tone-4); }
svg.chart.bars .bar-label { fill: var(--fg); font-size: 12.5px; }
svg.chart.bars .bar-value { fill: var(--fg); font-size: 12.5px; font-weight: 600; }
details { margin: 10px 0; }
summary { cursor: pointer; color: var(--muted); }
details table { font-size: 13px; }
.metrics { max-width: 640px; }
table.metrics tbody th { width: 70%; }
.ota { max-width: 900px; }
.owasp { margin-top: 18px; }
table.attacks { table-layout: fixed; min-width: 760px; }
table.attacks col.c-id { width: 17%; } table.attacks col.c-title { width: 23%; } table.attacks col.c-verdict { width: 14%; }
table.attacks col.c-expected, table.attacks col.c-got { width: 18%; } table.attacks col.c-state { width: 10%; }
table.attacks tr.detail pre { max-height: 28em; overflow: auto; }
.owasp h3 { display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; margin-top: 22px; }
.owasp h3 .muted { font-weight: 400; font-size: 14px; }
.http-pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 10px 16px; }
.http-pair h4 { font-size: 13px; margin: 6px 0 0; color: var(--muted); }
.state-changed { color: var(--fail); font-weight: 650; }
.state-flag { white-space: nowrap; }
main > section:first-child { margin-top: 28px; }
footer { margin-top: 44px; padding-top: 12px; border-top: 1px solid var(--border); font-size: 13px; color: var(--muted); }
@media (max-width: 640px) { .page { padding: 14px; } .charts { grid-template-columns: 1fr; } }
@media print {
  :root { color-scheme: light; --bg: #fff; --fg: #000; --panel: #fff; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 10pt; }
  .page { max-width: none; padding: 0; }
  .charts { grid-template-columns: 1fr 1fr; }
  .scenario { break-before: page; }
  tr, figure, .replay-box, pre { break-inside: avoid; }
  details:not([open]) { display: none; }
  a { color: inherit; text-decoration: none; }
}
`;
