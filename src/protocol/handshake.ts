/**
 * The opening handshake of RFC 6455 §4, without sockets: the pieces both
 * roles share (key and accept, header helpers), and the two roles' modules
 * re-exported (`handshake-server.ts`, `handshake-client.ts`).
 *
 * Server: {@link validateRequest} checks an upgrade request (§4.2.1) and
 * returns the key, offered subprotocols and extension offers, or the
 * {@link WebSocketError} to answer with (its `status` and `headers`);
 * {@link selectProtocol} and {@link negotiateExtensions} pick what to accept;
 * {@link buildResponse} writes the `101 Switching Protocols` head (§4.2.2).
 *
 * Client: {@link generateKey} and {@link buildRequest} write the request
 * (§4.1); {@link validateResponse} checks the server's answer and builds the
 * negotiated extensions.
 *
 * Both validators follow one convention: they return a result,
 * `{ ok: true, … }` or `{ ok: false, error }` with a remote `WS_ERR_HANDSHAKE`
 * {@link WebSocketError}, and never throw for what the peer sent; the
 * builders throw a local `WS_ERR_INVALID_ARGUMENT` for what our caller passed.
 *
 * Only hashing (`node:crypto` SHA-1) and randomness are used from Node.
 *
 * @module
 */
import * as crypto from 'node:crypto';
import { WebSocketError } from './errors.js';
import { type HttpHeaders, isToken, parseTokenList, parseUpgradeList } from './headers.js';

export * from './handshake-server.js';
export * from './handshake-client.js';

/** The GUID appended to the key before hashing (RFC 6455 §1.3, §4.2.2). */
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64 of SHA-1 of the
 * key followed by {@link GUID} (RFC 6455 §4.2.2 step 5.4).
 *
 * @example
 * ```ts
 * acceptKey('dGhlIHNhbXBsZSBub25jZQ=='); // 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
 * ```
 */
export function acceptKey(key: string): string {
  return sha1Base64(key + GUID);
}

// The one-shot `crypto.hash` (Node ≥ 20.12) skips the Hash object: about 2.5× faster per key
// (bench/micro.ts "accept key"); a namespace lookup, since older Node 20 releases lack it.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;
const sha1Base64: (text: string) => string =
  typeof oneShot === 'function' ? (text) => oneShot('sha1', text, 'base64') : (text) => crypto.createHash('sha1').update(text, 'latin1').digest('base64');

/**
 * A fresh `Sec-WebSocket-Key`: 16 random bytes, base64 (RFC 6455 §4.1).
 *
 * @param random Source of random bytes (default `crypto.getRandomValues`);
 *   inject one for deterministic tests. It must return exactly `n` bytes.
 *
 * @example
 * ```ts
 * generateKey();                                   // e.g. 'x3JJHMbDL1EzLkh9GBhXDw=='
 * generateKey((n) => new Uint8Array(n));           // 'AAAAAAAAAAAAAAAAAAAAAA=='
 * ```
 */
export function generateKey(random?: (n: number) => Uint8Array): string {
  const bytes = random === undefined ? crypto.getRandomValues(new Uint8Array(16)) : random(16);
  if (bytes.length !== 16) throw invalidArgument(`Random source returned ${bytes.length} bytes instead of 16`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('base64');
}

// 1 for the 64 characters of the standard base64 alphabet (RFC 4648 §4), not the URL-safe one.
const BASE64_CHARS = (() => {
  const table = new Uint8Array(128);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') table[c.charCodeAt(0)] = 1;
  return table;
})();

/**
 * True when `key` is base64 of exactly 16 bytes: 22 characters of the
 * standard alphabet followed by `==`. Like ws and python-websockets, the
 * unused low bits of the 22nd character are not required to be zero.
 *
 * @example
 * ```ts
 * isValidKey('dGhlIHNhbXBsZSBub25jZQ=='); // true
 * isValidKey('dGhlIHNhbXBsZSBub25jZQ');   // false
 * ```
 */
export function isValidKey(key: string): boolean {
  if (key.length !== 24 || key.charCodeAt(22) !== 0x3d || key.charCodeAt(23) !== 0x3d) return false;
  for (let i = 0; i < 22; i++) if (BASE64_CHARS[key.charCodeAt(i)] !== 1) return false;
  return true;
}

/** @internal A local `WS_ERR_INVALID_ARGUMENT` (our caller passed something unusable). */
export function invalidArgument(message: string): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_ARGUMENT', message, { side: 'local', closeCode: 1011 });
}

/**
 * @internal
 * Subprotocols a client offers: each a token (RFC 6455 §4.1 item 10), none
 * twice. Throws the `invalidArgument` TypeError otherwise.
 */
export function checkProtocols(protocols: readonly string[]): void {
  const seen = new Set<string>();
  for (const protocol of protocols) {
    if (!isToken(protocol)) throw invalidArgument(`Invalid subprotocol ${JSON.stringify(protocol)}`);
    if (seen.has(protocol)) throw invalidArgument(`Duplicate subprotocol ${JSON.stringify(protocol)}`);
    seen.add(protocol);
  }
}

/**
 * @internal A header that must appear once: `undefined` when absent, `null` when
 * repeated (an array of several values, or a value joined with ", " — no
 * single-valued handshake header may contain a comma), else the value without
 * surrounding OWS.
 */
export function single(headers: HttpHeaders, name: string): string | undefined | null {
  let value = headers[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length === 0) return undefined;
    if (value.length > 1) return null;
    value = value[0];
  }
  if (value.includes(',')) return null;
  return value.trim();
}

/** @internal True when `list` contains `wanted`, compared ASCII case-insensitively. */
export function hasToken(list: readonly string[], wanted: string): boolean {
  for (const item of list) if (item.toLowerCase() === wanted) return true;
  return false;
}

/**
 * @internal The `Upgrade` and `Connection` checks both roles make (RFC 6455
 * §4.1 client steps 2–3, §4.2.1 items 3–4): `Upgrade` lists `websocket`,
 * `Connection` lists `upgrade`, ASCII case-insensitively. Returns what is
 * wrong, or `undefined`.
 */
export function upgradeProblem(headers: HttpHeaders): { message: string; cause?: unknown } | undefined {
  let list: string[];
  try {
    list = parseUpgradeList(headers.upgrade ?? '');
  } catch (cause) {
    return { message: 'Invalid Upgrade header', cause };
  }
  if (!hasToken(list, 'websocket')) return { message: 'Invalid Upgrade header' };
  try {
    list = parseTokenList(headers.connection ?? '', 'Connection');
  } catch (cause) {
    return { message: 'Invalid Connection header', cause };
  }
  if (!hasToken(list, 'upgrade')) return { message: 'Invalid Connection header' };
  return undefined;
}

/** @internal Reject what would split or corrupt the head: CR, LF, NUL (RFC 7230 §3.2). */
export function checkValue(name: string, value: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x0d || code === 0x0a || code === 0) {
      throw invalidArgument(`Invalid character in ${name} header value`);
    }
  }
  return value;
}

/** @internal Extra request/response header lines, refusing bad names, CR/LF and the handshake's own headers. */
export function extraHeaders(headers: Readonly<Record<string, string>> | undefined, reserved: ReadonlySet<string>): string {
  let out = '';
  if (headers === undefined) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (!isToken(name)) throw invalidArgument(`Invalid header name ${JSON.stringify(name)}`);
    if (reserved.has(name.toLowerCase())) throw invalidArgument(`The ${name} header is set by the handshake`);
    out += `${name}: ${checkValue(name, value)}\r\n`;
  }
  return out;
}
