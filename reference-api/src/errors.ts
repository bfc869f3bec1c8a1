import { PROBLEMS, problemType, type OAuthErrorCode, type Problem, type ProblemCode } from '../../contract/problem.ts';

/**
 * The one error the API throws on purpose. The error handler turns it into an
 * RFC 9457 problem with the status declared for its code in contract/problem.ts.
 */
export class ApiError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly field: string | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ProblemCode, detail: string, options: { field?: string; headers?: Record<string, string> } = {}) {
    super(detail);
    this.name = 'ApiError';
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.field = options.field;
    this.headers = options.headers;
  }

  toProblem(instance?: string): Problem {
    const p: Problem = {
      type: problemType(this.code),
      title: PROBLEMS[this.code].title,
      status: this.status,
      code: this.code,
      detail: this.message,
    };
    if (this.field !== undefined) p.field = this.field;
    if (instance !== undefined) p.instance = instance;
    return p;
  }
}

/** An RFC 6749 error from the token or revocation endpoint. */
export class OAuthApiError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  constructor(error: OAuthErrorCode, description: string, status = error === 'invalid_client' ? 401 : 400) {
    super(description);
    this.name = 'OAuthApiError';
    this.error = error;
    this.status = status;
  }
}
