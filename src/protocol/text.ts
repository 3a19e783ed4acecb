/**
 * UTF-8 encoding and decoding on the hot path.
 *
 * Node's Buffer methods are the fastest UTF-8 coder in Node 20 for the short
 * strings WebSocket traffic is made of; they work on any Uint8Array, so the
 * engine uses them without putting `Buffer` in its public types.
 *
 * @module
 */

import { isAscii, transcode } from 'node:buffer';

// Unbound native methods: `utf8Slice(start, end)`, `utf8Write(string, offset, length)`…
type Slice = (this: Uint8Array, start: number, end: number) => string;
type Utf8Write = (this: Uint8Array, text: string, offset: number, length: number) => number;
const proto = Buffer.prototype as unknown as { utf8Slice: Slice; latin1Slice: Slice; ucs2Slice: Slice; utf8Write: Utf8Write };
const utf8Slice = proto.utf8Slice;
const latin1Slice = proto.latin1Slice;
const ucs2Slice = proto.ucs2Slice;
const utf8Write = proto.utf8Write;

/**
 * Above this size, decoding goes through a faster route than `utf8Slice`,
 * which turns mixed 1–4-byte UTF-8 into a string at only ~100 MB/s.
 */
const LONG_TEXT = 256;

/**
 * Decode bytes already validated as UTF-8. Long text: ASCII is read as
 * Latin-1 (identical for ASCII, and a straight copy), anything else is
 * transcoded to UTF-16 natively and read as such — 10–20× faster on
 * multi-byte text of 64 KiB and up (bench/parse.ts).
 */
export function decodeText(bytes: Uint8Array): string {
  const length = bytes.length;
  if (length < LONG_TEXT) return length === 0 ? '' : utf8Slice.call(bytes, 0, length);
  if (isAscii(bytes)) return latin1Slice.call(bytes, 0, length);
  const utf16 = transcode(bytes, 'utf8', 'utf16le');
  return ucs2Slice.call(utf16, 0, utf16.length);
}

/** Exact UTF-8 length of `text`. */
export function textByteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Write `text` as UTF-8 into `dst` at `offset`; returns the bytes written. */
export function writeText(text: string, dst: Uint8Array, offset: number): number {
  return utf8Write.call(dst, text, offset, dst.length - offset);
}

/** Encode `text` as UTF-8 into a new array. */
export function encodeText(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}
