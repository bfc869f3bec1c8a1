export * from './types.ts';
export { writeSummaryJson, renderSummaryJson, SUMMARY_JSON_FILE } from './summary-json.ts';
export { renderJunit, writeJunit, JUNIT_XML_FILE } from './junit-xml.ts';
export { renderHtml, writeHtml, REPORT_HTML_FILE } from './html.ts';
export { renderTable, colorEnabled, type TableOptions, type ColorContext } from './terminal.ts';
export { REPORTERS, DEFAULT_REPORTERS, resolveReporters, isReporterName, type Reporter, type ReporterName } from './registry.ts';
export { writeReports, defaultReportDir } from './write-reports.ts';
export { OWASP_API_TOP10_2023, owaspClass, type OwaspClass } from './owasp.ts';
