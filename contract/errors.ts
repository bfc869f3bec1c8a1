/**
 * Stable codes for bytes that do not decode under the contract. Frozen: callers
 * (the API's problem responses, the checkers) switch on them.
 */
export type ContractDecodeErrorCode =
  | 'RECORD_LENGTH'
  | 'RECORD_VERSION'
  | 'RECORD_FLAGS'
  | 'RECORD_RESERVED'
  | 'RECORD_FIELD_RANGE'
  | 'SIGNED_RECORD_LENGTH'
  | 'BASE64_INVALID';

/**
 * Bytes received from outside (a phone, a file, a request body) that do not
 * match the contract. `expected` and `received` say what was wrong, in words.
 */
export class ContractDecodeError extends Error {
  override readonly name = 'ContractDecodeError';
  readonly code: ContractDecodeErrorCode;
  readonly expected: string;
  readonly received: string;

  constructor(code: ContractDecodeErrorCode, what: string, expected: string, received: string) {
    super(`${what}: expected ${expected}, received ${received}`);
    this.code = code;
    this.expected = expected;
    this.received = received;
  }
}
