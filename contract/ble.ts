import { crc32 } from './crc32.ts';

/**
 * BLE transport: how a device sends a message (a packed signed record, or any
 * payload up to BLE_MAX_PAYLOAD_BYTES) to the phone in 20-byte notifications.
 *
 * The message is first wrapped into a stream that carries its own length and
 * checksum, then cut into frames of a 3-byte header and up to 17 stream bytes:
 *
 *     stream = payloadLength (u16 BE) || payload || CRC-32(payloadLength || payload) (u32 BE)
 *
 * | offset | width | field     | meaning                                                         |
 * | ------ | ----- | --------- | --------------------------------------------------------------- |
 * | 0      | 1     | messageId | rolling u8 chosen by the sender, the same on every frame        |
 * | 1      | 1     | index     | 0-based position of this frame in the message                   |
 * | 2      | 1     | lastIndex | index of the message's last frame (frame count - 1), on every frame |
 * | 3      | 1..17 | body      | the next stream bytes                                           |
 *
 * Every frame but the last is exactly 20 bytes. A signed record (98 bytes)
 * takes 7 frames; the largest payload (4096 bytes) takes 242.
 *
 * What the receiver checks, so that no damaged payload is ever returned:
 * - the header: index <= lastIndex, lastIndex the same on every frame, full
 *   non-last frames, and a frame count that matches the declared length;
 * - the order: frames must arrive strictly in order 0, 1, …, lastIndex. The
 *   assembler does not buffer out-of-order frames: a BLE connection delivers
 *   notifications in order, so a gap means a lost frame (or a bug), and the
 *   sender retries the whole message;
 * - the content: the length prefix against the bytes received (truncation)
 *   and the CRC-32 (any flipped bit, any burst up to 32 bits).
 */
export const BLE_FRAME_BYTES = 20;
export const BLE_FRAME_HEADER_BYTES = 3;
/** Stream bytes carried per full frame. */
export const BLE_FRAME_BODY_BYTES = BLE_FRAME_BYTES - BLE_FRAME_HEADER_BYTES;
export const BLE_MAX_PAYLOAD_BYTES = 4096;

const LENGTH_BYTES = 2;
const CRC_BYTES = 4;
const STREAM_OVERHEAD = LENGTH_BYTES + CRC_BYTES;

/** How many frames a payload of `payloadLength` bytes takes. */
export function bleFrameCount(payloadLength: number): number {
  return Math.ceil((payloadLength + STREAM_OVERHEAD) / BLE_FRAME_BODY_BYTES);
}

/**
 * Cuts `payload` into frames of at most BLE_FRAME_BYTES. Throws a RangeError
 * when `messageId` is not a u8 or the payload exceeds BLE_MAX_PAYLOAD_BYTES.
 */
export function splitIntoFrames(messageId: number, payload: Uint8Array): Uint8Array[] {
  if (!Number.isInteger(messageId) || messageId < 0 || messageId > 0xff) {
    throw new RangeError(`messageId must be an integer in 0..255, got ${String(messageId)}`);
  }
  if (payload.length > BLE_MAX_PAYLOAD_BYTES) {
    throw new RangeError(`payload must be at most ${BLE_MAX_PAYLOAD_BYTES} bytes, got ${payload.length}`);
  }
  const n = payload.length;
  const stream = new Uint8Array(n + STREAM_OVERHEAD);
  stream[0] = n >>> 8;
  stream[1] = n & 0xff;
  stream.set(payload, LENGTH_BYTES);
  const crc = crc32(stream.subarray(0, LENGTH_BYTES + n));
  new DataView(stream.buffer).setUint32(LENGTH_BYTES + n, crc);

  const lastIndex = bleFrameCount(n) - 1;
  const frames: Uint8Array[] = [];
  for (let index = 0; index <= lastIndex; index++) {
    const body = stream.subarray(index * BLE_FRAME_BODY_BYTES, (index + 1) * BLE_FRAME_BODY_BYTES);
    const frame = new Uint8Array(BLE_FRAME_HEADER_BYTES + body.length);
    frame[0] = messageId;
    frame[1] = index;
    frame[2] = lastIndex;
    frame.set(body, BLE_FRAME_HEADER_BYTES);
    frames.push(frame);
  }
  return frames;
}

/** Why a frame or a message was rejected. Stable: simulators and checkers count by code. */
export type BleFrameErrorCode =
  /** Under 4 bytes, or a first frame too short to hold the length prefix. */
  | 'FRAME_TOO_SHORT'
  /** Over BLE_FRAME_BYTES. */
  | 'FRAME_TOO_LONG'
  /**
   * Inconsistent header, wrong frame size, length mismatch (truncation), CRC
   * failure, or a frame that reuses a received index with other bytes.
   */
  | 'FRAME_CORRUPT'
  /** A frame (or a whole first frame) the open message already received, or a frame of a message already complete. */
  | 'FRAME_DUPLICATE'
  /** A continuation frame of a message whose first frame has not arrived. */
  | 'FRAME_OUT_OF_ORDER'
  /** A gap in the indices, or the message ended (flush(), or another message began) before its last frame. */
  | 'FRAME_MISSING';

/** A rejected frame. `messageId` names the message that failed, when a header was readable. */
export interface FrameError {
  status: 'error';
  code: BleFrameErrorCode;
  messageId: number | undefined;
  message: string;
}

/**
 * What one pushed frame did:
 * - `incomplete`: accepted, more frames to come;
 * - `complete`: accepted, and the message is whole and passed its CRC;
 * - `discarded`: a later frame of a message already reported (failed or duplicate),
 *   dropped without a second error so each failure is reported once;
 * - `error`: rejected; any open message is aborted.
 */
export type FrameResult =
  | { status: 'incomplete'; messageId: number }
  | { status: 'complete'; messageId: number; payload: Uint8Array }
  | { status: 'discarded'; messageId: number }
  | FrameError;

interface OpenMessage {
  messageId: number;
  lastIndex: number;
  next: number;
  stream: Uint8Array;
  firstFrame: Uint8Array;
}

/**
 * The last message that closed: `complete` (its frames, seen again, are
 * duplicates) or `reported` (an error was returned; its later frames are discarded).
 */
type ClosedMessage =
  | { messageId: number; outcome: 'complete'; firstFrame: Uint8Array }
  | { messageId: number; outcome: 'reported' };

/**
 * Reassembles frames from one device link into messages. Strict: frames must
 * arrive in order and any deviation aborts the message with an error, so a
 * payload returned as `complete` is always the one the sender framed.
 *
 * A first frame (index 0) always opens a message. If one was already open, the
 * push reports that message's error (`FRAME_DUPLICATE` if the first frame was
 * repeated, else `FRAME_MISSING`) and the new message continues; a new message
 * that is whole in that one frame is dropped with the error (the sender retries).
 * A message whose first frame repeats the last completed message's is a
 * duplicate (`FRAME_DUPLICATE`, its later frames discarded). Older repeats are
 * the layer above's to deduplicate (session records carry a per-device seq).
 * Call flush() when the link drops or goes quiet, to learn about a message whose
 * last frames never came.
 */
export class FrameAssembler {
  #open: OpenMessage | undefined;
  #closed: ClosedMessage | undefined;

  /** Feeds one received frame. Never throws for bad frames: it returns an error result. */
  push(frame: Uint8Array): FrameResult {
    if (frame.length <= BLE_FRAME_HEADER_BYTES) {
      return this.#fail(
        'FRAME_TOO_SHORT',
        frame[0],
        `frame is ${frame.length} bytes; expected at least ${BLE_FRAME_HEADER_BYTES + 1} (header + body)`,
      );
    }
    if (frame.length > BLE_FRAME_BYTES) {
      return this.#fail(
        'FRAME_TOO_LONG',
        frame[0],
        `frame is ${frame.length} bytes; expected at most ${BLE_FRAME_BYTES}`,
      );
    }
    const id = frame[0]!;
    const index = frame[1]!;
    const last = frame[2]!;
    if (index > last) {
      return this.#fail('FRAME_CORRUPT', id, `message ${id}: frame index ${index} is past its last index ${last}`);
    }
    if (index < last && frame.length !== BLE_FRAME_BYTES) {
      return this.#fail(
        'FRAME_CORRUPT',
        id,
        `message ${id}: frame ${index} of ${last + 1} is ${frame.length} bytes; expected ${BLE_FRAME_BYTES} (only the last frame may be shorter)`,
      );
    }
    if (index === 0) return this.#firstFrame(id, last, frame);

    const open = this.#open;
    if (open === undefined) {
      const closed = this.#closed;
      if (closed?.messageId === id) {
        if (closed.outcome === 'reported') return { status: 'discarded', messageId: id };
        return error(
          'FRAME_DUPLICATE',
          id,
          `message ${id}: frame ${index} arrived again after the message was complete`,
        );
      }
      return this.#fail(
        'FRAME_OUT_OF_ORDER',
        id,
        `message ${id}: frame ${index} arrived before the first frame (index 0), which was lost or is late`,
      );
    }
    const where = `message ${open.messageId}: expected frame ${open.next} of ${open.lastIndex + 1}`;
    if (id !== open.messageId) {
      return this.#fail('FRAME_MISSING', open.messageId, `${where}, received frame ${index} of message ${id}`);
    }
    if (last !== open.lastIndex) {
      return this.#fail(
        'FRAME_CORRUPT',
        id,
        `${where}, received a frame ${index} whose header says ${last + 1} frames`,
      );
    }
    if (index < open.next) {
      const same = sameBody(open.stream, index, frame);
      return this.#fail(
        same ? 'FRAME_DUPLICATE' : 'FRAME_CORRUPT',
        id,
        `${where}, received frame ${index} again${same ? '' : ' with different bytes'}`,
      );
    }
    if (index > open.next) {
      return this.#fail(
        'FRAME_MISSING',
        id,
        `${where}, received frame ${index}: frames ${open.next}..${index - 1} were lost or are out of order`,
      );
    }
    const offset = index * BLE_FRAME_BODY_BYTES;
    const bodyLength = frame.length - BLE_FRAME_HEADER_BYTES;
    if (index === last && offset + bodyLength !== open.stream.length) {
      return this.#fail(
        'FRAME_CORRUPT',
        id,
        `message ${id}: last frame carries ${bodyLength} bytes; expected ${open.stream.length - offset} from the length prefix`,
      );
    }
    open.stream.set(frame.subarray(BLE_FRAME_HEADER_BYTES), offset);
    open.next++;
    return index === last ? this.#complete(open) : { status: 'incomplete', messageId: id };
  }

  /**
   * Ends the open message, if any, reporting `FRAME_MISSING` for its frames that
   * never came. Returns undefined when no message was open.
   */
  flush(): FrameError | undefined {
    const open = this.#open;
    if (open === undefined) return undefined;
    return this.#fail(
      'FRAME_MISSING',
      open.messageId,
      `message ${open.messageId}: ended after ${open.next} of ${open.lastIndex + 1} frames; frames ${open.next}..${open.lastIndex} never arrived`,
    );
  }

  #firstFrame(id: number, last: number, frame: Uint8Array): FrameResult {
    const prev = this.#open;
    const closed = this.#closed;
    const again = closed?.outcome === 'complete' && closed.messageId === id && equalBytes(closed.firstFrame, frame);
    if (prev === undefined && again) {
      this.#closed = { messageId: id, outcome: 'reported' };
      return error('FRAME_DUPLICATE', id, `message ${id}: arrived again after it was complete (identical first frame)`);
    }
    let abandoned: FrameError | undefined;
    if (prev !== undefined) {
      const progress = `after ${prev.next} of ${prev.lastIndex + 1} frames`;
      abandoned = equalBytes(prev.firstFrame, frame)
        ? this.#fail('FRAME_DUPLICATE', id, `message ${id}: first frame arrived again ${progress}; restarting the message`)
        : this.#fail('FRAME_MISSING', prev.messageId, `message ${prev.messageId}: ended ${progress}, when message ${id} began`);
    }
    const opened = this.#openMessage(id, last, frame);
    if (abandoned === undefined) return opened;
    if (opened.status === 'error') abandoned.message += `; and its first frame was rejected: ${opened.message}`;
    if (opened.status === 'complete') {
      abandoned.message += `; message ${id} (one frame) was dropped with it`;
      this.#closed = { messageId: id, outcome: 'reported' }; // so its retry is delivered, not taken for a duplicate
    }
    return abandoned;
  }

  #openMessage(id: number, last: number, frame: Uint8Array): FrameResult {
    const bodyLength = frame.length - BLE_FRAME_HEADER_BYTES;
    if (bodyLength < LENGTH_BYTES) {
      return this.#fail(
        'FRAME_TOO_SHORT',
        id,
        `message ${id}: first frame is ${frame.length} bytes; expected at least ${BLE_FRAME_HEADER_BYTES + LENGTH_BYTES} to hold the length prefix`,
      );
    }
    const payloadLength = (frame[3]! << 8) | frame[4]!;
    if (payloadLength > BLE_MAX_PAYLOAD_BYTES) {
      return this.#fail(
        'FRAME_CORRUPT',
        id,
        `message ${id}: declares ${payloadLength} payload bytes; expected at most ${BLE_MAX_PAYLOAD_BYTES}`,
      );
    }
    const frames = bleFrameCount(payloadLength);
    if (frames !== last + 1) {
      return this.#fail(
        'FRAME_CORRUPT',
        id,
        `message ${id}: declares ${payloadLength} payload bytes, which take ${frames} frames, but its header says ${last + 1}`,
      );
    }
    const streamLength = payloadLength + STREAM_OVERHEAD;
    if (last === 0 && bodyLength !== streamLength) {
      return this.#fail(
        'FRAME_CORRUPT',
        id,
        `message ${id}: single frame carries ${bodyLength} bytes; expected ${streamLength} from the length prefix`,
      );
    }
    const stream = new Uint8Array(streamLength);
    const open: OpenMessage = { messageId: id, lastIndex: last, next: 1, stream, firstFrame: frame.slice() };
    open.stream.set(frame.subarray(BLE_FRAME_HEADER_BYTES), 0);
    this.#open = open;
    return last === 0 ? this.#complete(open) : { status: 'incomplete', messageId: id };
  }

  #complete(open: OpenMessage): FrameResult {
    const s = open.stream;
    const end = s.length - CRC_BYTES;
    const declared = ((s[end]! << 24) | (s[end + 1]! << 16) | (s[end + 2]! << 8) | s[end + 3]!) >>> 0;
    const computed = crc32(s.subarray(0, end));
    if (declared !== computed) {
      return this.#fail(
        'FRAME_CORRUPT',
        open.messageId,
        `message ${open.messageId}: CRC-32 mismatch, expected 0x${hex32(declared)}, computed 0x${hex32(computed)}`,
      );
    }
    this.#open = undefined;
    this.#closed = { messageId: open.messageId, outcome: 'complete', firstFrame: open.firstFrame };
    return { status: 'complete', messageId: open.messageId, payload: s.subarray(LENGTH_BYTES, end) };
  }

  /** Aborts the open message (if any), remembers the failed one, returns the error. */
  #fail(code: BleFrameErrorCode, frameMessageId: number | undefined, message: string): FrameError {
    const failed = this.#open?.messageId ?? frameMessageId;
    this.#open = undefined;
    this.#closed = failed === undefined ? undefined : { messageId: failed, outcome: 'reported' };
    return error(code, failed, message);
  }
}

function error(code: BleFrameErrorCode, messageId: number | undefined, message: string): FrameError {
  return { status: 'error', code, messageId, message };
}

/** True when `frame`'s body equals the stream bytes already stored at its index. */
function sameBody(stream: Uint8Array, index: number, frame: Uint8Array): boolean {
  const offset = index * BLE_FRAME_BODY_BYTES;
  const n = frame.length - BLE_FRAME_HEADER_BYTES;
  if (offset + n > stream.length) return false;
  for (let i = 0; i < n; i++) if (stream[offset + i] !== frame[BLE_FRAME_HEADER_BYTES + i]) return false;
  return true;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}
