/**
 * The incremental frame parser (RFC 6455 §5.2).
 *
 * `push(chunk)` accepts any split of the byte stream — 1-byte chunks and
 * 1 MiB chunks give identical results — and reports each frame to a
 * {@link FrameSink} as a header, zero or more payload pieces, and an end.
 * Payload pieces are handed over still masked, as `(chunk, start, end)`
 * ranges of the input plus the mask key and phase, so the sink decides
 * whether to unmask in place (a view, zero copy) or while copying into a
 * message buffer (one pass). A split header waits in a 14-byte spill buffer;
 * nothing else is ever buffered here.
 *
 * Every rule that can be checked from the header alone is checked before any
 * payload byte is accepted: reserved bits, opcode, control frame length and
 * fragmentation, masking direction, and the payload limit (close 1009).
 *
 * @module
 */
import { protocolError } from './errors.js';
import { MAX_CONTROL_PAYLOAD } from './frame.js';

/** Receives the frames found by {@link FrameParser}. Called synchronously from `push`. */
export interface FrameSink {
  /** A complete header: `length` payload bytes follow. `rsv` is in wire position (0x70 mask). */
  onFrameHeader(fin: boolean, rsv: number, opcode: number, length: number): void;
  /**
   * Payload bytes `chunk[start..end)`, still masked with `key` (0 when the
   * frame is not masked); `phase` is the key position of `chunk[start]`.
   */
  onFramePayload(chunk: Uint8Array, start: number, end: number, key: number, phase: number): void;
  /** The frame's last payload byte has been delivered. */
  onFrameEnd(): void;
}

/** Options of {@link FrameParser}. */
export interface FrameParserOptions {
  /**
   * Which side reads: a `server` reads client frames, which must be masked;
   * a `client` reads server frames, which must not be (RFC 6455 §5.1).
   */
  readonly role: 'client' | 'server';
  /** Largest payload of one frame, checked from the header (close 1009). */
  readonly maxPayload: number;
  /** RSV bits that negotiated extensions allow (wire position; 0 without extensions). */
  readonly rsvAllowed?: number;
}

// Integer states of the parsing loop (ws's receiver idea, without a stream).
const HEADER = 0;
const PAYLOAD = 1;
const FAILED = 2;

/**
 * Incremental RFC 6455 frame parser.
 *
 * Throws a remote {@link WebSocketError} (close 1002, or 1009 for size) on the
 * first violation and refuses further input afterwards.
 *
 * @example
 * ```ts
 * const parser = new FrameParser({ role: 'server', maxPayload: 1 << 20 }, sink);
 * socket.on('data', (chunk) => parser.push(chunk));
 * ```
 */
export class FrameParser {
  #sink: FrameSink;
  #server: boolean;
  #maxPayload: number;
  #rsvAllowed: number;

  #state = HEADER;
  // A header split across chunks collects here (at most 2 + 8 + 4 bytes).
  #spill: Uint8Array | undefined; // allocated the first time a header is split
  #spillLength = 0;
  // The frame being read.
  #remaining = 0;
  #key = 0;
  #phase = 0;

  constructor(options: FrameParserOptions, sink: FrameSink) {
    this.#sink = sink;
    this.#server = options.role === 'server';
    this.#maxPayload = options.maxPayload;
    this.#rsvAllowed = options.rsvAllowed ?? 0;
  }

  /** RSV bits allowed from now on (set once extensions are negotiated). */
  set rsvAllowed(bits: number) {
    this.#rsvAllowed = bits;
  }

  /** Largest frame payload accepted from now on. */
  set maxPayload(bytes: number) {
    this.#maxPayload = bytes;
  }

  /** True once a violation was found; the parser ignores all further input. */
  get failed(): boolean {
    return this.#state === FAILED;
  }

  /** Stop parsing: further input is ignored (after a close or an error found elsewhere). */
  stop(): void {
    this.#state = FAILED;
  }

  /**
   * Parse `chunk`. Masked payloads are reported as ranges of this chunk; a
   * sink that unmasks in place mutates it (as ws does with socket buffers).
   */
  push(chunk: Uint8Array): void {
    try {
      this.#push(chunk);
    } catch (error) {
      // A violation found by the sink (fragmentation, UTF-8, size) fails the parser too.
      this.#state = FAILED;
      throw error;
    }
  }

  #push(chunk: Uint8Array): void {
    const length = chunk.length;
    let pos = 0;
    while (pos < length) {
      const state = this.#state;
      if (state === PAYLOAD) {
        const available = length - pos;
        const take = available < this.#remaining ? available : this.#remaining;
        const key = this.#key;
        const phase = this.#phase;
        this.#remaining -= take;
        this.#phase = (phase + take) & 3;
        this.#sink.onFramePayload(chunk, pos, pos + take, key, phase);
        pos += take;
        if (this.#remaining === 0) {
          this.#state = HEADER;
          this.#sink.onFrameEnd();
        }
      } else if (state === HEADER) {
        pos = this.#header(chunk, pos);
      } else {
        return;
      }
    }
  }

  /** Read a header starting at `pos`; returns the position after what was consumed. */
  #header(chunk: Uint8Array, pos: number): number {
    let buf = chunk;
    let at = pos;
    let available = chunk.length - pos;
    if (this.#spillLength > 0 || available < 2) {
      // Slow path: the header is (or may be) split across chunks.
      return this.#spillHeader(chunk, pos);
    }
    const b1 = buf[at + 1]!;
    const needed = headerLength(b1);
    if (available < needed) return this.#spillHeader(chunk, pos);
    this.#parseHeader(buf, at);
    return at + needed;
  }

  #spillHeader(chunk: Uint8Array, pos: number): number {
    const spill = (this.#spill ??= new Uint8Array(14));
    let filled = this.#spillLength;
    // First the two fixed bytes, which tell the full header length.
    while (filled < 2 && pos < chunk.length) spill[filled++] = chunk[pos++]!;
    if (filled < 2) {
      this.#spillLength = filled;
      return pos;
    }
    const needed = headerLength(spill[1]!);
    while (filled < needed && pos < chunk.length) spill[filled++] = chunk[pos++]!;
    if (filled < needed) {
      this.#spillLength = filled;
      return pos;
    }
    this.#spillLength = 0;
    this.#parseHeader(spill, 0);
    return pos;
  }

  /** Decode and validate a complete header at `buf[at..]`; moves to the payload. */
  #parseHeader(buf: Uint8Array, at: number): void {
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv = b0 & 0x70;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let next = at + 2;

    // RFC 6455 §5.2: RSV bits MUST be 0 unless an extension defines them.
    if ((rsv & ~this.#rsvAllowed) !== 0) {
      this.#fail();
      throw protocolError('WS_ERR_UNEXPECTED_RSV', `reserved bits 0x${rsv.toString(16)} set without a negotiated extension`);
    }
    if (opcode >= 8) {
      // §5.5: control frames are known opcodes, never fragmented, at most 125 bytes.
      if (opcode > 10) {
        this.#fail();
        throw protocolError('WS_ERR_INVALID_OPCODE', `invalid opcode 0x${opcode.toString(16)}`);
      }
      if (!fin) {
        this.#fail();
        throw protocolError('WS_ERR_FRAGMENTED_CONTROL_FRAME', 'fragmented control frame');
      }
      if (length > MAX_CONTROL_PAYLOAD) {
        this.#fail();
        throw protocolError('WS_ERR_CONTROL_FRAME_TOO_LONG', 'control frame payload over 125 bytes');
      }
      if (rsv !== 0) {
        // No extension defines reserved bits on control frames (RFC 7692 §6.1 forbids RSV1 there).
        this.#fail();
        throw protocolError('WS_ERR_UNEXPECTED_RSV', 'reserved bits set on a control frame');
      }
    } else if (opcode > 2) {
      this.#fail();
      throw protocolError('WS_ERR_INVALID_OPCODE', `invalid opcode 0x${opcode.toString(16)}`);
    }
    // §5.1: a server MUST fail on an unmasked client frame; a client on a masked server frame.
    if (masked !== this.#server) {
      this.#fail();
      throw this.#server
        ? protocolError('WS_ERR_UNMASKED_FRAME', 'client frame is not masked')
        : protocolError('WS_ERR_MASKED_FRAME', 'server frame is masked');
    }
    if (length === 126) {
      length = (buf[next]! << 8) | buf[next + 1]!;
      next += 2;
    } else if (length === 127) {
      const high = ((buf[next]! << 24) | (buf[next + 1]! << 16) | (buf[next + 2]! << 8) | buf[next + 3]!) >>> 0;
      const low = ((buf[next + 4]! << 24) | (buf[next + 5]! << 16) | (buf[next + 6]! << 8) | buf[next + 7]!) >>> 0;
      next += 8;
      // §5.2: the most significant bit MUST be 0.
      if (high >= 0x80000000) {
        this.#fail();
        throw protocolError('WS_ERR_INVALID_LENGTH', 'payload length with its most significant bit set');
      }
      // Above 2^53 - 1 a number loses precision; such a length exceeds any limit anyway.
      if (high > 0x1fffff) {
        this.#fail();
        throw protocolError('WS_ERR_PAYLOAD_TOO_BIG', 'payload length beyond 2^53 - 1', 1009);
      }
      length = high * 0x100000000 + low;
    }
    // Control frames are bounded by 125 bytes above; the limit is for data.
    if (length > this.#maxPayload && opcode < 8) {
      this.#fail();
      throw protocolError('WS_ERR_PAYLOAD_TOO_BIG', `frame payload of ${length} bytes exceeds the limit of ${this.#maxPayload}`, 1009);
    }
    if (masked) {
      // Little-endian packing: byte i of the key sits in bits 8*i (see mask.ts).
      this.#key = (buf[next]! | (buf[next + 1]! << 8) | (buf[next + 2]! << 16) | (buf[next + 3]! << 24)) >>> 0;
    } else {
      this.#key = 0;
    }
    this.#phase = 0;
    this.#remaining = length;
    this.#sink.onFrameHeader(fin, rsv, opcode, length);
    if (length === 0) {
      this.#sink.onFrameEnd();
    } else {
      this.#state = PAYLOAD;
    }
  }

  #fail(): void {
    this.#state = FAILED;
  }
}

/** Header length implied by the second byte: 2, plus 2 or 8 for extended length, plus 4 for a mask. */
function headerLength(b1: number): number {
  const len = b1 & 0x7f;
  return 2 + (len === 126 ? 2 : len === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
}
