import { describe, expect, it } from 'vitest';
import { OWASP_API_TOP10_2023, owaspClass } from './owasp.ts';

describe('owaspClass', () => {
  it('resolves the spellings of a Top 10 class to its key and title', () => {
    for (const s of ['API1:2023', 'api1', 'API1:2023 Broken Object Level Authorization', ' API1 ']) {
      expect(owaspClass(s)).toEqual({ key: 'API1:2023', title: 'Broken Object Level Authorization', rank: 1 });
    }
    expect(owaspClass('API10:2023').rank).toBe(10);
    expect(Object.keys(OWASP_API_TOP10_2023)).toHaveLength(10);
  });

  it('keeps any other class as it is, after the Top 10', () => {
    expect(owaspClass('AUTH-3')).toEqual({ key: 'AUTH-3', title: '', rank: 100 });
    expect(owaspClass('API11:2023').rank).toBe(100);
    expect(owaspClass('').key).toBe('(unclassified)');
  });
});
