/**
 * The frame encoder (RFC 6455 §5.2): headers for every length form, masked
 * and unmasked payloads.
 *
 * Small frames are written as one buffer (header and payload together: one
 * allocation, one entry in the write batch). Large unmasked payloads stay
 * separate from their header so they are never copied; masked payloads are
 * masked while being copied, because user data must not be mutated.
 *
 * @module
 */
import { copyMasked, applyMask } from './mask.js';
import { textByteLength, writeText } from './text.js';
import type { Frame } from './frame.js';

/** Payloads up to this size are copied next to their header; larger ones are sent as views. */
export const MERGE_THRESHOLD = 1024;

/** Length of a header for a payload of `length` bytes. */
export function headerSize(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Write a frame header into `dst` at `offset`; returns the offset after it.
 * `b0` is the first byte (FIN | RSV | opcode); `key` the mask key packed
 * little-endian as in mask.ts, or `undefined` for an unmasked frame.
 */
export function writeHeader(dst: Uint8Array, offset: number, b0: number, length: number, key: number | undefined): number {
  const maskBit = key === undefined ? 0 : 0x80;
  dst[offset++] = b0;
  if (length < 126) {
    dst[offset++] = maskBit | length;
  } else if (length < 0x10000) {
    dst[offset++] = maskBit | 126;
    dst[offset++] = length >>> 8;
    dst[offset++] = length & 0xff;
  } else {
    dst[offset++] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    dst[offset++] = high >>> 24;
    dst[offset++] = (high >>> 16) & 0xff;
    dst[offset++] = (high >>> 8) & 0xff;
    dst[offset++] = high & 0xff;
    dst[offset++] = length >>> 24;
    dst[offset++] = (length >>> 16) & 0xff;
    dst[offset++] = (length >>> 8) & 0xff;
    dst[offset++] = length & 0xff;
  }
  if (key !== undefined) {
    dst[offset++] = key & 0xff;
    dst[offset++] = (key >>> 8) & 0xff;
    dst[offset++] = (key >>> 16) & 0xff;
    dst[offset++] = key >>> 24;
  }
  return offset;
}

function alloc(size: number): Uint8Array {
  // allocUnsafe draws small buffers from Node's shared pool: much cheaper than `new Uint8Array`.
  return Buffer.allocUnsafe(size);
}

/**
 * Encode a frame whose payload is bytes, appending its buffers to `out`.
 * Returns the number of bytes appended.
 */
export function encodeBinaryFrame(out: Uint8Array[], b0: number, payload: Uint8Array, key: number | undefined): number {
  const length = payload.length;
  const head = headerSize(length, key !== undefined);
  if (key !== undefined) {
    const frame = alloc(head + length);
    const at = writeHeader(frame, 0, b0, length, key);
    copyMasked(payload, frame, at, key, 0);
    out.push(frame);
    return frame.length;
  }
  if (length <= MERGE_THRESHOLD) {
    const frame = alloc(head + length);
    frame.set(payload, writeHeader(frame, 0, b0, length, undefined));
    out.push(frame);
    return frame.length;
  }
  const header = alloc(head);
  writeHeader(header, 0, b0, length, undefined);
  out.push(header, payload);
  return head + length;
}

/**
 * Encode a frame whose payload is `text` as UTF-8, straight into the frame
 * buffer (no intermediate payload buffer). Returns the bytes appended.
 */
export function encodeTextFrame(out: Uint8Array[], b0: number, text: string, key: number | undefined): number {
  const masked = key !== undefined;
  let length: number;
  let frame: Uint8Array;
  let at: number;
  if (text.length <= 41) {
    // At most 123 UTF-8 bytes (3 per UTF-16 unit): a 2-byte length form for
    // sure, so write first and measure after, skipping a byteLength scan.
    frame = alloc(2 + (masked ? 4 : 0) + text.length * 3);
    at = 2 + (masked ? 4 : 0);
    length = writeText(text, frame, at);
    writeHeader(frame, 0, b0, length, key);
    frame = frame.subarray(0, at + length);
  } else {
    length = textByteLength(text);
    frame = alloc(headerSize(length, masked) + length);
    at = writeHeader(frame, 0, b0, length, key);
    writeText(text, frame, at);
  }
  if (masked && key !== 0) applyMask(frame.subarray(at), key, 0);
  out.push(frame);
  return frame.length;
}

/**
 * Encode one {@link Frame} into a single new buffer, masked with `key` when
 * given. The general-purpose encoder, used by tests and tools.
 *
 * @example
 * ```ts
 * const bytes = encodeFrame({ opcode: Opcode.Text, fin: true, rsv: 0, payload: new TextEncoder().encode('Hello') });
 * // 81 05 48 65 6c 6c 6f (RFC 6455 §5.7)
 * ```
 */
export function encodeFrame(frame: Frame, key?: number): Uint8Array {
  const b0 = (frame.fin ? 0x80 : 0) | (frame.rsv & 0x70) | frame.opcode;
  const length = frame.payload.length;
  const out = new Uint8Array(headerSize(length, key !== undefined) + length);
  const at = writeHeader(out, 0, b0, length, key);
  if (key !== undefined) copyMasked(frame.payload, out, at, key, 0);
  else out.set(frame.payload, at);
  return out;
}
