/**
 * The envelope a message travels in between processes: a fixed 26-byte
 * header, then the payload bytes as they are (text as UTF-8, binary as is:
 * no JSON, no base64).
 *
 * ```
 * 0      1      2          10         18         26
 * | 0x57 | kind | node id  | sequence | time     | payload …
 *   'W'    0 text, 1 binary  8 bytes    uint64 BE  float64 BE (ms since the epoch)
 * ```
 *
 * The node id lets a process drop its own echoes; the sequence number (per
 * publisher and channel, from 1) lets a receiver drop duplicates and notice
 * gaps; the time is when it was published (gap bounds, latency figures).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { SendData } from '../websocket.js';

const MAGIC = 0x57;
/** Bytes before the payload. */
export const HEADER_BYTES = 26;

/** A decoded envelope; `payload` is a view into the received buffer. */
export interface Envelope {
  /** The publisher's node id, as 16 hex digits. */
  readonly node: string;
  readonly seq: number;
  readonly time: number;
  readonly binary: boolean;
  readonly payload: Buffer;
}

/** A fresh random node id (8 bytes). */
export function newNodeId(): Buffer {
  return randomBytes(8);
}

/** Encode `data` published by `node` as message number `seq`. */
export function encodeEnvelope(node: Buffer, seq: number, data: SendData, time = Date.now()): Buffer {
  let out: Buffer;
  if (typeof data === 'string') {
    out = Buffer.allocUnsafe(HEADER_BYTES + Buffer.byteLength(data));
    out[1] = 0;
    out.write(data, HEADER_BYTES, 'utf8');
  } else {
    const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    out = Buffer.allocUnsafe(HEADER_BYTES + bytes.byteLength);
    out[1] = 1;
    out.set(bytes, HEADER_BYTES);
  }
  out[0] = MAGIC;
  node.copy(out, 2, 0, 8);
  // Two 32-bit halves: exact up to 2^53 without BigInt on the hot path.
  out.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 10);
  out.writeUInt32BE(seq >>> 0, 14);
  out.writeDoubleBE(time, 18);
  return out;
}

/** Decode an envelope, or return `undefined` for bytes that are not one (a foreign publisher on our channel). */
export function decodeEnvelope(bytes: Buffer): Envelope | undefined {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC || bytes[1]! > 1) return undefined;
  return {
    node: bytes.toString('hex', 2, 10),
    seq: bytes.readUInt32BE(10) * 0x1_0000_0000 + bytes.readUInt32BE(14),
    time: bytes.readDoubleBE(18),
    binary: bytes[1] === 1,
    payload: bytes.subarray(HEADER_BYTES),
  };
}

/** The payload as the data to send on: a string for text, bytes for binary. */
export function envelopeData(envelope: Envelope): SendData {
  return envelope.binary ? envelope.payload : envelope.payload.toString('utf8');
}
