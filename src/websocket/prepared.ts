/**
 * Messages framed once for many connections (broadcasts).
 *
 * @module
 */
import { encodeBinaryFrame, encodeTextFrame } from '../protocol/encoder.js';
import type { SendData } from './options.js';
import { toMessagePayload } from './payload.js';

/** A message framed once, to send to many server connections. */
export interface PreparedMessage {
  /** The original data (used where the frame does not fit a connection). */
  readonly data: string | Uint8Array;
  /** The complete unmasked frame. */
  readonly frame: Uint8Array;
}

/**
 * Frame `data` once for {@link WebSocket.sendPrepared} on many connections.
 * Throws a `TypeError` for anything that is not data (its message names
 * `caller`, the public function that was given the data).
 *
 * @example
 * ```ts
 * const prepared = prepareMessage('tick');
 * for (const ws of manager) ws.sendPrepared(prepared);
 * ```
 */
export function prepareMessage(data: SendData, caller = 'prepareMessage()'): PreparedMessage {
  const payload = toMessagePayload(data, caller);
  const out: Uint8Array[] = [];
  if (typeof payload === 'string') encodeTextFrame(out, 0x81, payload, undefined);
  else encodeBinaryFrame(out, 0x82, payload, undefined);
  return { data: payload, frame: out.length === 1 ? out[0]! : Buffer.concat(out) };
}
