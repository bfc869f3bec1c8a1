import { visibleControls } from './text.ts';

/**
 * Escapes text for HTML element content and double- or single-quoted attribute
 * values alike. Report strings are attacker-controlled (witnesses, attack
 * requests): everything from a report goes through here.
 */
export function escapeHtml(value: unknown): string {
  return visibleControls(String(value)).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for XML 1.0 character data. Line breaks are kept (a carriage
 * return as `&#13;`, which a parser would otherwise fold into a newline);
 * characters XML cannot carry at all become visible escapes (`\u0001`). `]]>`
 * cannot survive: its `>` is escaped.
 */
export function escapeXmlText(value: unknown): string {
  return visibleControls(String(value)).replace(/[&<>\r]/g, (c) => XML_TEXT[c]!);
}

const XML_TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

/** Escapes text for an XML attribute value; tabs and line breaks survive attribute normalisation. */
export function escapeXmlAttr(value: unknown): string {
  return visibleControls(String(value)).replace(/[&<>"'\t\n\r]/g, (c) => XML_ATTR[c]!);
}

const XML_ATTR: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };
