/**
 * UTF-8 encoding and decoding on the hot path.
 *
 * Node's Buffer methods are the fastest UTF-8 coder in Node 20 for the short
 * strings WebSocket traffic is made of; they work on any Uint8Array, so the
 * engine uses them without putting `Buffer` in its public types.
 *
 * @module
 */

// Unbound native methods: `utf8Slice(start, end)`, `utf8Write(string, offset, length)`.
type Utf8Slice = (this: Uint8Array, start: number, end: number) => string;
type Utf8Write = (this: Uint8Array, text: string, offset: number, length: number) => number;
const proto = Buffer.prototype as unknown as { utf8Slice: Utf8Slice; utf8Write: Utf8Write };
const utf8Slice = proto.utf8Slice;
const utf8Write = proto.utf8Write;

/** Decode bytes already validated as UTF-8. */
export function decodeText(bytes: Uint8Array): string {
  return bytes.length === 0 ? '' : utf8Slice.call(bytes, 0, bytes.length);
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
