import type { AttackRequest, AttackResponse } from '../../../reports/types.ts';
import type { AttackHttp, Exchange } from './http.ts';
import type { AttackWorld } from './world.ts';

/**
 * The refusal an attack case expects. `status` is one status, a list, or an
 * inclusive range; `codes` are accepted problem codes (for OAuth errors the
 * RFC 6749 `error`; for an upload/report batch `upload-rejected/<record code>`
 * or `ota-report-rejected/<code>`, the first per-record rejection). A case may
 * instead give `check`, which judges the response itself (e.g. "200 and every
 * record answered duplicate").
 */
export interface Expected {
  status?: number | number[] | { min: number; max: number };
  codes?: string[];
  /**
   * Replaces status/codes: returns null when the response is the expected refusal, else why not.
   * `prepared` is what the case's `prepare` returned (e.g. the identifiers an answer must not show).
   */
  check?: (ex: Exchange, prepared?: any) => string | null;
  /** How the expectation reads in reports (default: derived from status and codes). */
  describe?: string;
}

export interface AttackContext {
  http: AttackHttp;
  world: AttackWorld;
}

/**
 * One attack case. `prepare` may change state through legitimate flows (it runs
 * before the "before" digest); `run` makes the attack requests and returns the
 * one whose answer is judged (all its requests happen between the two digests).
 */
export interface AttackCase<P = unknown> {
  id: string;
  title: string;
  /** OWASP API Top 10 2023 class (`API1:2023`) or an invariant id (`AUTH-4`, `ING-3`, `OTA-1`). */
  class: string;
  expected: Expected;
  prepare?: (ctx: AttackContext) => Promise<P>;
  run: (ctx: AttackContext, prepared: P) => Promise<Exchange | Exchange[]>;
}

export type { AttackRequest, AttackResponse, Exchange };

export function defineCases(cases: AttackCase<any>[]): AttackCase<any>[] {
  return cases;
}
