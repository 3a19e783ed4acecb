/**
 * What `send()` accepts, decided once: a string or bytes is one message, a
 * real (async) iterable is a stream, anything else is a `TypeError` thrown
 * at once, naming what was passed.
 *
 * @module
 */
import { describe } from './outbox.js';

const ACCEPTED = 'a string, an ArrayBuffer, an ArrayBufferView (Uint8Array, Buffer…), or an (async) iterable of strings or Uint8Arrays';

/**
 * The message payload of `data`; `undefined` when `data` is a stream
 * (iterable or async iterable, but not a string or bytes). Throws a
 * `TypeError` for anything else.
 */
export function toPayload(data: unknown): string | Uint8Array | undefined {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (isStream(data)) return undefined;
  throw new TypeError(`send() takes ${ACCEPTED}; got ${describe(data)}`);
}

/**
 * The payload of one whole message (broadcasts, prepared messages: no
 * streams). Throws a `TypeError` whose message starts with `caller`, the
 * public function the data was given to.
 */
export function toMessagePayload(data: unknown, caller: string): string | Uint8Array {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`${caller} takes a string, an ArrayBuffer or an ArrayBufferView (Uint8Array, Buffer…); got ${isStream(data) ? 'a stream' : describe(data)}`);
}

function isStream(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  return typeof d[Symbol.asyncIterator] === 'function' || typeof d[Symbol.iterator] === 'function';
}
