/**
 * Characters that must never reach a report verbatim: C0 controls other than tab,
 * newline and carriage return (invalid in XML 1.0, terminal escape sequences start
 * with ESC), DEL and the C1 controls, U+FFFE/U+FFFF (not XML characters) and lone
 * UTF-16 surrogates (not encodable at all).
 */
const UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function jsonStyle(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Replaces every unsafe character by its visible JSON-style escape (`\u001B`),
 * so a report shows what was there without letting it act (on a terminal, in an
 * XML parser). Tab, newline and carriage return are kept.
 */
export function visibleControls(text: string): string {
  return text.replace(UNSAFE, jsonStyle);
}

/** One line of text: unsafe characters and line breaks made visible (`\n`), tabs as spaces. */
export function oneLine(text: string): string {
  return visibleControls(text).replace(/\r\n|\r|\n/g, (m) => (m === '\r\n' ? '\\r\\n' : m === '\r' ? '\\r' : '\\n')).replace(/\t/g, ' ');
}
