import { FleetbedError } from '../../../../contract/fleetbed-error.ts';

const SIZE = 0;
const SIZE_EXT = 1;
const SIZE_LF = 2;
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILER_START = 6;
const TRAILER_LINE = 7;
const END_LF = 8;
const DONE = 9;

/** Bad chunked framing: the message cannot be delimited. Code `FLEETBED_FAULT_FRAMING`. */
export class FramingError extends FleetbedError {
  override readonly name: string = 'FramingError';
  declare readonly code: 'FLEETBED_FAULT_FRAMING';

  constructor(message: string) {
    super('FLEETBED_FAULT_FRAMING', message);
  }
}

/**
 * Finds where a `Transfer-Encoding: chunked` body ends, fed piece by piece (RFC 9112 §7.1:
 * hex size lines with optional extensions, data, CRLF, a zero-size chunk, optional
 * trailer lines, CRLF). It delimits; it does not decode, except that `onData` sees every
 * payload slice (for hashing).
 */
export class ChunkedScanner {
  #state = SIZE;
  #size = 0;
  #digits = 0;
  #remaining = 0;

  /**
   * Scan `buf` from `from`. Returns the index just past the end of the body when it ends
   * inside `buf`, else -1 (call again with the next piece). Throws {@link FramingError}.
   */
  scan(buf: Uint8Array, from = 0, onData?: (slice: Uint8Array) => void): number {
    let i = from;
    while (i < buf.length) {
      const b = buf[i]!;
      switch (this.#state) {
        case SIZE: {
          const v = hexValue(b);
          if (v >= 0) {
            if (++this.#digits > 12) throw new FramingError('chunk size too large');
            this.#size = this.#size * 16 + v;
          } else if (this.#digits === 0) {
            throw new FramingError(`expected a hex chunk size, got byte ${b}`);
          } else if (b === 0x3b || b === 0x20 || b === 0x09) {
            this.#state = SIZE_EXT;
          } else if (b === 0x0d) {
            this.#state = SIZE_LF;
          } else {
            throw new FramingError(`unexpected byte ${b} in a chunk size line`);
          }
          i++;
          break;
        }
        case SIZE_EXT:
          if (b === 0x0d) this.#state = SIZE_LF;
          i++;
          break;
        case SIZE_LF:
          if (b !== 0x0a) throw new FramingError('chunk size line not ended by CRLF');
          i++;
          if (this.#size === 0) this.#state = TRAILER_START;
          else {
            this.#remaining = this.#size;
            this.#state = DATA;
          }
          this.#size = 0;
          this.#digits = 0;
          break;
        case DATA: {
          const n = Math.min(this.#remaining, buf.length - i);
          onData?.(buf.subarray(i, i + n));
          this.#remaining -= n;
          i += n;
          if (this.#remaining === 0) this.#state = DATA_CR;
          break;
        }
        case DATA_CR:
          if (b !== 0x0d) throw new FramingError('chunk data not followed by CRLF');
          this.#state = DATA_LF;
          i++;
          break;
        case DATA_LF:
          if (b !== 0x0a) throw new FramingError('chunk data not followed by CRLF');
          this.#state = SIZE;
          i++;
          break;
        case TRAILER_START:
          this.#state = b === 0x0d ? END_LF : TRAILER_LINE;
          i++;
          break;
        case TRAILER_LINE:
          if (b === 0x0a) this.#state = TRAILER_START;
          i++;
          break;
        case END_LF:
          if (b !== 0x0a) throw new FramingError('chunked body not ended by CRLF');
          this.#state = DONE;
          return i + 1;
        case DONE:
          return i;
      }
    }
    return this.#state === DONE ? i : -1;
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}
