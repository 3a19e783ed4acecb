/**
 * The argument rules of the WHATWG WebSocket interface (HTML standard,
 * "The WebSocket interface") and of `WebSocketStream`'s close (whatwg/websockets
 * PR #48), each throwing the `DOMException` the standard names. Pure
 * functions: no socket, no state.
 *
 * @module
 */
import { isToken } from '../protocol/headers.js';

function syntaxError(message: string): DOMException {
  return new DOMException(message, 'SyntaxError');
}

/**
 * Parse a WebSocket URL: `http:` becomes `ws:`, `https:` becomes `wss:`;
 * anything unparsable (there is no base URL in Node, so relative URLs too),
 * another scheme, or a fragment (even an empty `#`) is a `SyntaxError`.
 */
export function parseWebSocketUrl(url: unknown): URL {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw syntaxError(`'${String(url)}' is not a valid URL`);
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw syntaxError(`the URL's scheme must be ws, wss, http or https, not '${parsed.protocol.slice(0, -1)}'`);
  }
  // `hash` is '' for both "no fragment" and an empty one; the serialisation tells them apart.
  if (parsed.hash !== '' || parsed.href.includes('#')) throw syntaxError(`a WebSocket URL has no fragment: '${parsed.href}'`);
  return parsed;
}

/**
 * The `protocols` argument: a string or a sequence of strings (WebIDL
 * `(DOMString or sequence<DOMString>)`, so any other value is turned into a
 * string). Each must be an RFC 7230 token, and none may repeat, compared
 * case-insensitively (WPT Create-protocols-repeated-case-insensitive).
 */
export function parseProtocols(protocols: unknown): string[] {
  let list: string[];
  if (protocols === undefined) list = [];
  else if (typeof protocols === 'object' && protocols !== null && Symbol.iterator in protocols) list = Array.from(protocols as Iterable<unknown>, String);
  else list = [String(protocols)];
  const seen = new Set<string>();
  for (const protocol of list) {
    if (!isToken(protocol)) throw syntaxError(`'${protocol}' is not a valid subprotocol name`);
    const key = protocol.toLowerCase();
    if (seen.has(key)) throw syntaxError(`the subprotocol '${protocol}' is given more than once`);
    seen.add(key);
  }
  return list;
}

/** WebIDL `[Clamp] unsigned short`. */
function clampUnsignedShort(value: unknown): number {
  const n = Number(value);
  if (Number.isNaN(n)) return 0;
  const clamped = Math.min(Math.max(n, 0), 0xffff);
  // Round half to even, as WebIDL says.
  const floor = Math.floor(clamped);
  const fraction = clamped - floor;
  if (fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1)) return floor + 1;
  return floor;
}

/**
 * The arguments of `close(code?, reason?)`: a code other than 1000 or
 * 3000–4999 is an `InvalidAccessError`, a reason over 123 bytes of UTF-8 a
 * `SyntaxError`. Returns the code to send (1005: send none, when both are
 * absent; 1000 when only a reason is given) and the reason.
 */
export function closeArguments(code: unknown, reason: unknown): { code: number; reason: string } {
  let sent = 1005;
  if (code !== undefined) {
    sent = clampUnsignedShort(code);
    if (sent !== 1000 && (sent < 3000 || sent > 4999)) {
      throw new DOMException(`close code must be 1000 or in 3000-4999, not ${String(code)}`, 'InvalidAccessError');
    }
  }
  let text = '';
  if (reason !== undefined) {
    // Unpaired surrogates count (and go out) as U+FFFD, 3 bytes: USVString.
    text = String(reason);
    if (Buffer.byteLength(text) > 123) throw syntaxError(`the close reason must be at most 123 bytes of UTF-8, not ${Buffer.byteLength(text)}`);
    if (code === undefined) sent = 1000;
  }
  return { code: sent, reason: text };
}

/** WebIDL `USVString`: unpaired surrogates become U+FFFD. */
function usvString(value: unknown): string {
  return String(value).replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** WebIDL `[EnforceRange] unsigned short`. */
function enforceUnsignedShort(value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`closeCode must be a finite number, not ${String(value)}`);
  const integer = Math.trunc(n);
  if (integer < 0 || integer > 0xffff) throw new TypeError(`closeCode must be in 0-65535, not ${String(value)}`);
  return integer;
}

/**
 * `WebSocketStream`'s `close(info)` and `new WebSocketError(message, info)`:
 * the WebIDL `WebSocketCloseInfo` dictionary, then the proposal's
 * "validate close code and reason": a code other than 1000 or 3000–4999 is
 * an `InvalidAccessError`, a reason over 123 bytes a `SyntaxError`, a reason
 * without a code means 1000. `code` is `null` for "send no code".
 */
export function closeInfo(info: unknown): { code: number | null; reason: string } {
  if (info !== undefined && info !== null && typeof info !== 'object' && typeof info !== 'function') {
    throw new TypeError('the close info must be an object like { closeCode, reason }');
  }
  const dictionary = (info ?? {}) as { closeCode?: unknown; reason?: unknown };
  const rawCode = dictionary.closeCode;
  let code = rawCode === undefined ? null : enforceUnsignedShort(rawCode);
  const reason = dictionary.reason === undefined ? '' : usvString(dictionary.reason);
  if (code !== null && code !== 1000 && (code < 3000 || code > 4999)) {
    throw new DOMException(`close code must be 1000 or in 3000-4999, not ${code}`, 'InvalidAccessError');
  }
  const bytes = Buffer.byteLength(reason);
  if (bytes > 123) throw new DOMException(`the close reason must be at most 123 bytes of UTF-8, not ${bytes}`, 'SyntaxError');
  if (reason !== '' && code === null) code = 1000;
  return { code, reason };
}

/** What `send()` accepts, after the WebIDL conversion. */
export type WebSendData = string | Uint8Array | Blob;

/**
 * WebIDL `(BufferSource or Blob or USVString)`: buffers and views as bytes,
 * a Blob as itself, anything else as a string (so `send(null)` sends "null").
 */
export function sendArgument(data: unknown): WebSendData {
  if (typeof data === 'string') return data; // lone surrogates go out as U+FFFD (USVString)
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer)) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof Blob) return data;
  return String(data);
}

/** Bytes `data` adds to `bufferedAmount` (UTF-8 length for text). */
export function sendSize(data: WebSendData): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Blob ? data.size : data.byteLength;
}
