/**
 * The OWASP API Security Top 10 (2023 edition), in its own order. Attack cases
 * name their class by its key (`API1:2023`); reports group and order by it.
 */
export const OWASP_API_TOP10_2023: Readonly<Record<string, string>> = Object.freeze({
  'API1:2023': 'Broken Object Level Authorization',
  'API2:2023': 'Broken Authentication',
  'API3:2023': 'Broken Object Property Level Authorization',
  'API4:2023': 'Unrestricted Resource Consumption',
  'API5:2023': 'Broken Function Level Authorization',
  'API6:2023': 'Unrestricted Access to Sensitive Business Flows',
  'API7:2023': 'Server Side Request Forgery',
  'API8:2023': 'Security Misconfiguration',
  'API9:2023': 'Improper Inventory Management',
  'API10:2023': 'Unsafe Consumption of APIs',
});

/** A class as written by an attack case, resolved to its group key, title and sort rank. */
export interface OwaspClass {
  /** `API1:2023` for an OWASP class (however it was spelled), else the class as given. */
  key: string;
  /** The OWASP title, or empty for a class outside the Top 10 (e.g. an invariant id). */
  title: string;
  /** 1–10 for the Top 10, 100 for anything else (sorted after them, by key). */
  rank: number;
}

/**
 * Resolves `API1`, `api1:2023`, `API1:2023 Broken Object Level Authorization`
 * to `API1:2023`; any other class (`AUTH-3`) is kept as it is.
 */
export function owaspClass(cls: string): OwaspClass {
  const m = /^\s*API\s*(\d{1,2})(?::2023)?\b/i.exec(cls);
  const key = m ? `API${Number(m[1])}:2023` : undefined;
  if (key && OWASP_API_TOP10_2023[key]) return { key, title: OWASP_API_TOP10_2023[key]!, rank: Number(m![1]) };
  return { key: cls.trim() || '(unclassified)', title: '', rank: 100 };
}
