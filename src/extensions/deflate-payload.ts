/**
 * The bytes of a permessage-deflate payload (RFC 7692 §7.2) and the errors
 * that close a connection over one: the sync-flush trailer stripped when
 * sending and restored when receiving, the empty message, output buffer
 * sizing, and the close codes of bad compressed data (1007) or a failed
 * compression (1011).
 *
 * Split from `deflate-codec.ts`, which holds the per-connection zlib state
 * (context takeover, lanes, the sync and async paths): everything here is
 * stateless, so it is tested on its own (tests/extensions/deflate-payload.test.ts).
 *
 * @module
 */
import { WebSocketError } from '../protocol/errors.js';

/** The empty stored block a sync flush ends with; stripped when sending, appended when receiving (§7.2.1, §7.2.2). */
export const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/**
 * An empty message: the first byte of an empty stored block, which the
 * receiver's appended trailer completes (§7.2.3.6). zlib itself emits
 * nothing for a sync flush with no new input, and an empty payload would
 * leave a stream decoder reading the trailer as a block header.
 */
export const EMPTY_MESSAGE = Buffer.from([0x00]);

/**
 * Bad compressed data: close 1007, "data within a message that was not
 * consistent with the type of the message" (RFC 6455 §7.4.1), as ws does.
 * RFC 7692 only says "fail the connection"; python-websockets uses 1002.
 */
export function invalidData(cause: unknown): WebSocketError {
  const detail = cause instanceof Error ? cause.message.slice(0, 60) : 'unknown error';
  return new WebSocketError('WS_ERR_EXTENSION_FAILED', `invalid compressed data (${detail})`, {
    closeCode: 1007,
    side: 'remote',
    cause,
  });
}

/** Our compression failed: close 1011, a local error (the zlib error kept as its cause). */
export function deflateFailed(cause: unknown): WebSocketError {
  return new WebSocketError('WS_ERR_EXTENSION_FAILED', 'compression failed', { closeCode: 1011, side: 'local', cause });
}

/** A message to decode after the codec was disposed: the connection is gone. */
export function closedError(): WebSocketError {
  return new WebSocketError('WS_ERR_CLOSED', 'permessage-deflate was disposed', { closeCode: 1011, side: 'local' });
}

/** An inflate stream's error: our own limit errors (1009) as they are, zlib's as bad data (1007). */
export function mapInflateError(error: Error): WebSocketError {
  return error instanceof WebSocketError ? error : invalidData(error);
}

/** Remove the 00 00 ff ff a sync flush ends with (RFC 7692 §7.2.1 step 2). */
export function stripTrailer(out: Buffer): Buffer {
  const n = out.length;
  if (n >= 4 && out[n - 4] === 0 && out[n - 3] === 0 && out[n - 2] === 0xff && out[n - 1] === 0xff) {
    return out.subarray(0, n - 4);
  }
  return out;
}

/** A power of two between 1 KiB and 64 KiB near `estimate`: one output chunk for most messages. */
export function chunkSizeFor(estimate: number): number {
  let size = 1024;
  while (size < estimate && size < 64 * 1024) size <<= 1;
  return size;
}

/**
 * A decoded message that is a small view into a large zlib output chunk gets
 * its own buffer: apps may keep messages. (Views into Node's 8 KiB buffer
 * pool are left alone.)
 */
export function compact(out: Buffer): Buffer {
  const slack = out.buffer.byteLength - out.length;
  return slack > 8192 && out.length < slack ? Buffer.from(out) : out;
}
