/**
 * Message assembly (RFC 6455 §5.4): frames → messages.
 *
 * Sits behind the {@link FrameParser} as its sink. Enforces the
 * fragmentation rules (a continuation needs a started message; a new data
 * frame may not start inside one; control frames may interleave), the
 * message size and fragment count limits (close 1009, checked from each
 * header before its payload is kept), and validates text as it arrives, so
 * invalid UTF-8 fails on the chunk holding the first bad byte (close 1007)
 * rather than at the end of the message.
 *
 * Payload is unmasked in place and handed on as a view when a frame sits in
 * one chunk; otherwise it is unmasked while being copied into the message
 * buffer, once. Fragmented messages grow one buffer geometrically, so a
 * message cut into millions of tiny frames costs no per-fragment memory.
 *
 * @module
 */
import { protocolError } from './errors.js';
import { applyMask, copyMasked } from './mask.js';
import { Utf8Validator, isValidUtf8 } from './utf8.js';
import type { FrameSink } from './parser.js';
import type { ProtocolLimits } from './message.js';

/** Receives what the {@link MessageAssembler} completes. */
export interface MessageSink {
  /**
   * A complete data message. `opcode` is 1 (text) or 2 (binary); `rsv` the
   * reserved bits of its first frame. Uncompressed text has been validated.
   */
  onMessage(opcode: number, data: Uint8Array, rsv: number): void;
  /** A complete control frame (8 close, 9 ping, 10 pong), payload unmasked. */
  onControl(opcode: number, payload: Uint8Array): void;
}

const EMPTY = new Uint8Array(0);
/** Fragments kept as views before they are copied into one buffer. */
const MAX_PIECES = 64;

/** Frame sink that assembles messages; see the module description. */
export class MessageAssembler implements FrameSink {
  #sink: MessageSink;
  #limits: ProtocolLimits;

  // The frame being read.
  #frameOpcode = 0;
  #frameLength = 0;
  #frameFin = false;
  #received = 0; // payload bytes of this frame so far

  // The data message being assembled (opcode 0: none).
  #opcode = 0;
  #rsv = 0;
  #fragments = 0;
  #validate = false; // text and not transformed by an extension
  #validator: Utf8Validator | undefined;
  #view: Uint8Array | undefined; // a single-chunk payload, unmasked in place
  #buffer: Uint8Array = EMPTY; // otherwise, the payload copied here…
  #buffered = 0; // …this many bytes of it
  #pieces: Uint8Array[] | undefined; // fragments not yet copied into #buffer
  #size = 0; // bytes of the message so far

  // A control frame split across chunks.
  #control: Uint8Array | undefined;

  constructor(limits: ProtocolLimits, sink: MessageSink) {
    this.#limits = limits;
    this.#sink = sink;
  }
  /** Drop any partial message at once (the connection is gone): its buffers go to the GC now, not with the connection. */
  release(): void {
    this.#buffer = EMPTY;
    this.#buffered = 0;
    this.#pieces = undefined;
    this.#view = undefined;
  }


  /** True while a fragmented data message is incomplete. */
  get inMessage(): boolean {
    return this.#opcode !== 0;
  }

  onFrameHeader(fin: boolean, rsv: number, opcode: number, length: number): void {
    this.#frameOpcode = opcode;
    this.#frameLength = length;
    this.#frameFin = fin;
    this.#received = 0;
    if (opcode >= 8) {
      this.#control = undefined;
      return;
    }
    if (opcode === 0) {
      // §5.4: a continuation frame continues a started message…
      if (this.#opcode === 0) throw protocolError('WS_ERR_UNEXPECTED_CONTINUATION', 'continuation frame without a message to continue');
      // …and extensions only flag a message on its first frame (RFC 7692 §6.1).
      if (rsv !== 0) throw protocolError('WS_ERR_UNEXPECTED_RSV', 'reserved bits set on a continuation frame');
    } else {
      // §5.4: the fragments of one message are not interleaved with another data message.
      if (this.#opcode !== 0) throw protocolError('WS_ERR_EXPECTED_CONTINUATION', 'new data frame inside a fragmented message');
      this.#opcode = opcode;
      this.#rsv = rsv;
      this.#fragments = 0;
      this.#size = 0;
      this.#buffered = 0;
      if (this.#pieces !== undefined) this.#pieces.length = 0;
      this.#view = undefined;
      this.#validate = opcode === 1 && rsv === 0;
      if (this.#validate && !fin) (this.#validator ??= new Utf8Validator()).reset();
      else if (this.#validate) this.#validator?.reset();
    }
    if (++this.#fragments > this.#limits.maxFragments) {
      throw protocolError('WS_ERR_TOO_MANY_FRAGMENTS', `message in more than ${this.#limits.maxFragments} fragments`, 1009);
    }
    if (this.#size + length > this.#limits.maxPayload) {
      throw protocolError('WS_ERR_MESSAGE_TOO_BIG', `message exceeds the limit of ${this.#limits.maxPayload} bytes`, 1009);
    }
  }

  onFramePayload(chunk: Uint8Array, start: number, end: number, key: number, phase: number): void {
    const n = end - start;
    if (this.#frameOpcode >= 8) {
      this.#controlPayload(chunk, start, end, key, phase);
      return;
    }
    // The common case: a whole unfragmented message inside one chunk. Unmask
    // in place and keep a view: no allocation beyond the view, no copy.
    if (n === this.#frameLength && this.#frameFin && this.#fragments === 1) {
      const view = chunk.subarray(start, end);
      if (key !== 0) applyMask(view, key, phase);
      if (this.#validate && !isValidUtf8(view)) throw invalidUtf8();
      this.#view = view;
      this.#received = n;
      return;
    }
    this.#received += n;
    if (this.#fragments === 1 && this.#frameFin) {
      // One frame split across chunks: its length is known, so copy it into
      // a buffer of exactly that size, unmasking on the way (one pass).
      const offset = this.#size;
      this.#reserve(offset + n, offset + this.#frameLength - (this.#received - n));
      const buffer = this.#buffer;
      if (key !== 0) copyMasked(chunk.subarray(start, end), buffer, offset, key, phase);
      else buffer.set(chunk.subarray(start, end), offset);
      this.#size = this.#buffered = offset + n;
      if (this.#validate && !(this.#validator ??= new Utf8Validator()).push(buffer, offset, offset + n)) throw invalidUtf8();
      return;
    }
    // A fragmented message: unmask each piece in place and keep the views
    // (as ws does); they are joined once at the end, or coalesced every
    // MAX_PIECES pieces so a message in millions of tiny frames holds a
    // bounded number of views (and of the chunks they pin).
    const view = chunk.subarray(start, end);
    if (key !== 0) applyMask(view, key, phase);
    if (this.#validate && !(this.#validator ??= new Utf8Validator()).push(view)) throw invalidUtf8();
    const pieces = (this.#pieces ??= []);
    pieces.push(view);
    this.#size += n;
    if (pieces.length >= MAX_PIECES) this.#coalesce();
  }

  /** Append the pending pieces to the growing buffer. */
  #coalesce(): void {
    const pieces = this.#pieces!;
    this.#reserve(this.#size, this.#size);
    const buffer = this.#buffer;
    let offset = this.#buffered;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      buffer.set(piece, offset);
      offset += piece.length;
    }
    this.#buffered = offset;
    pieces.length = 0;
  }

  onFrameEnd(): void {
    const opcode = this.#frameOpcode;
    if (opcode >= 8) {
      const payload = this.#control ?? EMPTY;
      this.#control = undefined;
      this.#sink.onControl(opcode, payload);
      return;
    }
    if (!this.#frameFin) return;
    let data: Uint8Array;
    if (this.#view !== undefined) {
      data = this.#view;
      this.#view = undefined;
    } else if (this.#size === 0) {
      data = EMPTY;
    } else {
      const pieces = this.#pieces;
      if (pieces !== undefined && pieces.length > 0) {
        if (this.#buffered === 0 && pieces.length === 1) {
          data = pieces[0]!; // one non-empty fragment: its view, no copy
          pieces.length = 0;
        } else {
          this.#coalesce();
          data = this.#buffer.subarray(0, this.#size);
        }
      } else {
        data = this.#buffer.subarray(0, this.#size);
      }
      if (this.#validate && !this.#validator!.end()) throw invalidUtf8();
    }
    // Release the buffer: it now belongs to the message.
    this.#buffer = EMPTY;
    this.#buffered = 0;
    const messageOpcode = this.#opcode;
    this.#opcode = 0;
    this.#size = 0;
    this.#sink.onMessage(messageOpcode, data, this.#rsv);
  }

  #controlPayload(chunk: Uint8Array, start: number, end: number, key: number, phase: number): void {
    const n = end - start;
    if (n === this.#frameLength) {
      const view = chunk.subarray(start, end);
      if (key !== 0) applyMask(view, key, phase);
      this.#control = view;
    } else {
      // Split control frame (≤ 125 bytes): collect it.
      const control = (this.#control ??= new Uint8Array(this.#frameLength));
      if (key !== 0) copyMasked(chunk.subarray(start, end), control, this.#received, key, phase);
      else control.set(chunk.subarray(start, end), this.#received);
    }
    this.#received += n;
  }

  /**
   * Make room for `needed` bytes. Single-frame messages get exactly their
   * length (known from the header); fragmented ones grow geometrically.
   */
  #reserve(needed: number, frameEnd: number): void {
    const buffer = this.#buffer;
    if (needed <= buffer.length) return;
    let capacity = this.#fragments === 1 && this.#frameFin ? frameEnd : Math.max(needed, frameEnd, buffer.length * 2);
    if (capacity > this.#limits.maxPayload) capacity = Math.max(needed, this.#limits.maxPayload);
    // Not zero-filled: only the bytes written are ever exposed (the message is
    // a subarray of the written length). Zero-filling cost 62 % of the time
    // of a fragmented 64 KiB message in the parse benchmark.
    const grown: Uint8Array = Buffer.allocUnsafeSlow(capacity);
    if (this.#buffered > 0) grown.set(buffer.subarray(0, this.#buffered));
    this.#buffer = grown;
  }
}

function invalidUtf8() {
  return protocolError('WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8', 1007);
}
