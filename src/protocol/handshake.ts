/**
 * The opening handshake of RFC 6455 §4, for both roles, without sockets.
 *
 * Server: {@link validateRequest} checks an upgrade request (§4.2.1) and
 * returns the key, offered subprotocols and extension offers, or the
 * {@link WebSocketError} to answer with (its `httpStatus` and `httpHeaders`);
 * {@link selectProtocol} and {@link negotiateExtensions} pick what to accept;
 * {@link buildResponse} writes the `101 Switching Protocols` head (§4.2.2).
 *
 * Client: {@link generateKey} and {@link buildRequest} write the request
 * (§4.1); {@link validateResponse} checks the server's answer and builds the
 * negotiated extensions.
 *
 * Only hashing (`node:crypto` SHA-1) and randomness are used from Node.
 *
 * @module
 */
import * as crypto from 'node:crypto';
import { WebSocketError } from './errors.js';
import type { Extension, ExtensionFactory, ExtensionOffer } from './extension.js';
import {
  type HttpHeaders,
  isToken,
  parseExtensions,
  parseTokenList,
  parseUpgradeList,
  serializeExtensions,
} from './headers.js';

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

/** The parts of an HTTP upgrade request the handshake looks at (node:http's `IncomingMessage` fits). */
export interface UpgradeRequest {
  /** Request method; must be `GET`. */
  readonly method: string;
  /** Request target, e.g. `/chat?room=1` (not checked here; routing is the server's business). */
  readonly url?: string;
  /** HTTP version without the `HTTP/` prefix, e.g. `1.1`. */
  readonly httpVersion: string;
  /** Headers with lower-case names. */
  readonly headers: HttpHeaders;
}

/** Result of {@link validateRequest}: what the client asked for, or why it is refused. */
export type RequestCheck =
  | {
      readonly ok: true;
      /** The `Sec-WebSocket-Key`, to pass to {@link buildResponse}. */
      readonly key: string;
      /** Offered subprotocols in the client's order (empty when none). */
      readonly protocols: string[];
      /** Extension offers in the client's order (empty when none). */
      readonly extensions: ExtensionOffer[];
      /** The `Origin` header, if any (RFC 6455 §4.2.1 step 7, §10.2). */
      readonly origin: string | undefined;
    }
  | { readonly ok: false; readonly error: WebSocketError };

function reject(httpStatus: number, message: string, httpHeaders?: Record<string, string>): RequestCheck {
  const error = new WebSocketError('WS_ERR_HANDSHAKE', message, {
    side: 'remote',
    httpStatus,
    ...(httpHeaders === undefined ? {} : { httpHeaders }),
  });
  return { ok: false, error };
}

function invalidArgument(message: string): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_ARGUMENT', message, { side: 'local', closeCode: 1011 });
}

/**
 * A header that must appear once: `undefined` when absent, `null` when
 * repeated (an array of several values, or a value joined with ", " — no
 * single-valued handshake header may contain a comma), else the value without
 * surrounding OWS.
 */
function single(headers: HttpHeaders, name: string): string | undefined | null {
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

/** True when `list` contains `wanted`, compared ASCII case-insensitively. */
function hasToken(list: readonly string[], wanted: string): boolean {
  for (const item of list) if (item.toLowerCase() === wanted) return true;
  return false;
}

/** `major.minor` of an HTTP version such as `1.1`, or `undefined` when it is not two digit runs. */
function parseVersion(version: string): [number, number] | undefined {
  const dot = version.indexOf('.');
  if (dot <= 0 || dot === version.length - 1) return undefined;
  for (let i = 0; i < version.length; i++) {
    const code = version.charCodeAt(i);
    if (i !== dot && (code < 0x30 || code > 0x39)) return undefined;
  }
  return [Number(version.slice(0, dot)), Number(version.slice(dot + 1))];
}

/**
 * Check a client's opening handshake (RFC 6455 §4.2.1). Every rejection is a
 * remote `WS_ERR_HANDSHAKE` {@link WebSocketError} whose `httpStatus`,
 * `httpHeaders` and message make the HTTP answer (`error.httpResponse()`):
 *
 * - method not `GET` → 405 with `Allow: GET`;
 * - HTTP version below 1.1, missing or repeated `Host` → 400;
 * - `Upgrade` without the token `websocket`, `Connection` without `upgrade` → 400;
 * - `Sec-WebSocket-Key` missing, repeated or not base64 of 16 bytes → 400;
 * - `Sec-WebSocket-Version` repeated → 400, not `13` → 426 with `Sec-WebSocket-Version: 13`;
 * - a malformed `Sec-WebSocket-Protocol` or `Sec-WebSocket-Extensions`, or a repeated `Origin` → 400.
 *
 * @example
 * ```ts
 * const check = validateRequest(req); // a node:http IncomingMessage fits
 * if (!check.ok) { socket.end(check.error.httpResponse()); return; }
 * const protocol = selectProtocol(check.protocols, ['chat']);
 * socket.write(buildResponse({ key: check.key, protocol }));
 * ```
 */
export function validateRequest(request: UpgradeRequest): RequestCheck {
  const { headers } = request;
  if (request.method !== 'GET') return reject(405, 'Invalid HTTP method', { Allow: 'GET' });

  const version = parseVersion(request.httpVersion);
  if (version === undefined || version[0] < 1 || (version[0] === 1 && version[1] < 1)) {
    return reject(400, 'Invalid HTTP version');
  }

  const host = single(headers, 'host');
  if (host === null) return reject(400, 'Repeated Host header');
  if (host === undefined || host === '') return reject(400, 'Missing Host header');

  let list: string[];
  try {
    list = parseUpgradeList(headers.upgrade ?? '');
  } catch {
    return reject(400, 'Invalid Upgrade header');
  }
  if (!hasToken(list, 'websocket')) return reject(400, 'Invalid Upgrade header');

  try {
    list = parseTokenList(headers.connection ?? '', 'Connection');
  } catch {
    return reject(400, 'Invalid Connection header');
  }
  if (!hasToken(list, 'upgrade')) return reject(400, 'Invalid Connection header');

  const key = single(headers, 'sec-websocket-key');
  if (key === null) return reject(400, 'Repeated Sec-WebSocket-Key header');
  if (key === undefined || !isValidKey(key)) return reject(400, 'Missing or invalid Sec-WebSocket-Key header');

  const wsVersion = single(headers, 'sec-websocket-version');
  if (wsVersion === null) return reject(400, 'Repeated Sec-WebSocket-Version header');
  if (wsVersion !== '13') {
    // RFC 6455 §4.4: say which version we speak so the client may retry with it.
    return reject(426, 'Missing or unsupported Sec-WebSocket-Version header', { 'Sec-WebSocket-Version': '13' });
  }

  let protocols: string[] = [];
  const protocolHeader = headers['sec-websocket-protocol'];
  if (protocolHeader !== undefined) {
    try {
      protocols = parseTokenList(protocolHeader, 'Sec-WebSocket-Protocol');
    } catch {
      return reject(400, 'Invalid Sec-WebSocket-Protocol header');
    }
    // 1#token: a present header must name at least one subprotocol.
    if (protocols.length === 0) return reject(400, 'Invalid Sec-WebSocket-Protocol header');
  }

  let extensions: ExtensionOffer[] = [];
  const extensionHeader = headers['sec-websocket-extensions'];
  if (extensionHeader !== undefined) {
    try {
      extensions = parseExtensions(extensionHeader);
    } catch {
      return reject(400, 'Invalid Sec-WebSocket-Extensions header');
    }
  }

  // An ambiguous Origin would let an origin check look at the wrong value.
  const origin = single(headers, 'origin');
  if (origin === null) return reject(400, 'Repeated Origin header');

  return { ok: true, key, protocols, extensions, origin };
}

/**
 * Choose the subprotocol to answer with (RFC 6455 §4.2.2 step 5.4).
 *
 * Given a list, the server's preference wins: the first of `supported` that the
 * client offered (python-websockets' rule). Given a function, it is called with
 * the offers (only when there are some) and must return one of them or
 * `undefined`.
 *
 * @throws {WebSocketError} `WS_ERR_INVALID_ARGUMENT` (local) when the function
 *   returns a subprotocol the client did not offer.
 *
 * @example
 * ```ts
 * selectProtocol(['chat', 'superchat'], ['superchat', 'chat']); // 'superchat'
 * selectProtocol(['chat'], (offered) => offered[0]);            // 'chat'
 * ```
 */
export function selectProtocol(
  offered: readonly string[],
  supported: readonly string[] | ((offered: readonly string[]) => string | undefined),
): string | undefined {
  if (offered.length === 0) return undefined;
  if (typeof supported === 'function') {
    const chosen = supported(offered);
    if (chosen !== undefined && !offered.includes(chosen)) {
      throw invalidArgument(`Selected subprotocol ${JSON.stringify(chosen)} was not offered by the client`);
    }
    return chosen;
  }
  for (const protocol of supported) if (offered.includes(protocol)) return protocol;
  return undefined;
}

/**
 * Server side of extension negotiation (RFC 6455 §9.1). In the order of
 * `factories` (server preference), each factory is given every offer of its
 * name and may accept one. An accepted extension whose RSV bits overlap an
 * earlier one's is disposed and skipped: two extensions cannot share a bit.
 * Errors a factory throws (e.g. a malformed parameter) propagate.
 *
 * @returns The accepted extensions in application order and the response
 *   header value, or `undefined` when nothing was accepted.
 *
 * @example
 * ```ts
 * const { extensions, header } = negotiateExtensions(check.extensions, [deflate]);
 * socket.write(buildResponse({ key: check.key, extensions: header }));
 * ```
 */
export function negotiateExtensions(
  offers: readonly ExtensionOffer[],
  factories: readonly ExtensionFactory[],
): { extensions: Extension[]; header: string | undefined } {
  const extensions: Extension[] = [];
  const responses: ExtensionOffer[] = [];
  let usedRsv = 0;
  for (const factory of factories) {
    const mine = offers.filter((offer) => offer.name === factory.name);
    if (mine.length === 0) continue;
    const accepted = factory.accept(mine);
    if (accepted === undefined) continue;
    if ((accepted.extension.rsvMask & usedRsv) !== 0) {
      accepted.extension.dispose();
      continue;
    }
    usedRsv |= accepted.extension.rsvMask;
    extensions.push(accepted.extension);
    responses.push(accepted.response);
  }
  return { extensions, header: responses.length === 0 ? undefined : serializeExtensions(responses) };
}

// Header names a caller may not pass in `headers`: the handshake writes them itself.
const RESERVED_RESPONSE = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);
const RESERVED_REQUEST = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'origin',
]);

/** Reject what would split or corrupt the head: CR, LF, NUL (RFC 7230 §3.2). */
function checkValue(name: string, value: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x0d || code === 0x0a || code === 0) {
      throw invalidArgument(`Invalid character in ${name} header value`);
    }
  }
  return value;
}

function extraHeaders(headers: Readonly<Record<string, string>> | undefined, reserved: ReadonlySet<string>): string {
  let out = '';
  if (headers === undefined) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (!isToken(name)) throw invalidArgument(`Invalid header name ${JSON.stringify(name)}`);
    if (reserved.has(name.toLowerCase())) throw invalidArgument(`The ${name} header is set by the handshake`);
    out += `${name}: ${checkValue(name, value)}\r\n`;
  }
  return out;
}

/**
 * The server's `101 Switching Protocols` response head (RFC 6455 §4.2.2),
 * ending with the blank line.
 *
 * @param options.key The client's `Sec-WebSocket-Key` (validated by {@link validateRequest}).
 * @param options.protocol The selected subprotocol, if any (must be a token).
 * @param options.extensions The `Sec-WebSocket-Extensions` value from {@link negotiateExtensions}.
 * @param options.headers Extra headers; they may not repeat the handshake's own.
 * @throws {WebSocketError} `WS_ERR_INVALID_ARGUMENT` (local) for CR/LF in a value or a bad name.
 *
 * @example
 * ```ts
 * buildResponse({ key: 'dGhlIHNhbXBsZSBub25jZQ==', protocol: 'chat' });
 * // 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
 * // 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n'
 * ```
 */
export function buildResponse(options: {
  key: string;
  protocol?: string;
  extensions?: string;
  headers?: Record<string, string>;
}): string {
  let head =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptKey(checkValue('Sec-WebSocket-Key', options.key))}\r\n`;
  if (options.protocol !== undefined) {
    if (!isToken(options.protocol)) throw invalidArgument(`Invalid subprotocol ${JSON.stringify(options.protocol)}`);
    head += `Sec-WebSocket-Protocol: ${options.protocol}\r\n`;
  }
  if (options.extensions !== undefined) {
    head += `Sec-WebSocket-Extensions: ${checkValue('Sec-WebSocket-Extensions', options.extensions)}\r\n`;
  }
  return `${head}${extraHeaders(options.headers, RESERVED_RESPONSE)}\r\n`;
}

/**
 * The client's opening handshake request head (RFC 6455 §4.1), ending with
 * the blank line.
 *
 * @param options.host The `Host` value (`host` or `host:port`).
 * @param options.path The request target (`/path?query`), starting with `/`.
 * @param options.key From {@link generateKey}.
 * @param options.protocols Subprotocols to offer: tokens, no duplicates.
 * @param options.extensions A `Sec-WebSocket-Extensions` value (see {@link serializeExtensions}).
 * @throws {WebSocketError} `WS_ERR_INVALID_ARGUMENT` (local) for an invalid key, path,
 *   subprotocol or header value.
 *
 * @example
 * ```ts
 * const key = generateKey();
 * socket.write(buildRequest({ host: 'example.com', path: '/chat', key, protocols: ['chat'] }));
 * ```
 */
export function buildRequest(options: {
  host: string;
  path: string;
  key: string;
  protocols?: readonly string[];
  extensions?: string;
  origin?: string;
  headers?: Record<string, string>;
}): string {
  const { path, key, protocols } = options;
  if (path.length === 0 || path.charCodeAt(0) !== 0x2f) throw invalidArgument('The request path must start with "/"');
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    // A request-target has no whitespace or control characters (RFC 7230 §5.3).
    if (code <= 0x20 || code === 0x7f) throw invalidArgument('Invalid character in the request path');
  }
  if (!isValidKey(key)) throw invalidArgument('Invalid Sec-WebSocket-Key');
  if (options.host.length === 0) throw invalidArgument('Missing host');

  let head =
    `GET ${path} HTTP/1.1\r\nHost: ${checkValue('Host', options.host)}\r\n` +
    `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
  if (protocols !== undefined && protocols.length > 0) {
    const seen = new Set<string>();
    for (const protocol of protocols) {
      if (!isToken(protocol)) throw invalidArgument(`Invalid subprotocol ${JSON.stringify(protocol)}`);
      if (seen.has(protocol)) throw invalidArgument(`Duplicate subprotocol ${JSON.stringify(protocol)}`);
      seen.add(protocol);
    }
    head += `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n`;
  }
  if (options.extensions !== undefined) {
    head += `Sec-WebSocket-Extensions: ${checkValue('Sec-WebSocket-Extensions', options.extensions)}\r\n`;
  }
  if (options.origin !== undefined) head += `Origin: ${checkValue('Origin', options.origin)}\r\n`;
  return `${head}${extraHeaders(options.headers, RESERVED_REQUEST)}\r\n`;
}

function failed(message: string, cause?: unknown): WebSocketError {
  return new WebSocketError('WS_ERR_HANDSHAKE', message, {
    side: 'remote',
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Check the server's answer to our opening handshake (RFC 6455 §4.1, client
 * steps 1–6) and build the negotiated extensions with each factory's
 * `complete()`. A `Sec-WebSocket-Protocol` the server leaves out means no
 * subprotocol (as browsers and python-websockets read it).
 *
 * @throws {WebSocketError} `WS_ERR_HANDSHAKE` (remote) when the status is not
 *   101, `Upgrade`/`Connection` are wrong, `Sec-WebSocket-Accept` does not
 *   match, or the subprotocol or an extension was not offered (also for an
 *   extension named twice or two extensions claiming the same RSV bit).
 *
 * @example
 * ```ts
 * const { protocol, extensions } = validateResponse(
 *   { status: res.statusCode, headers: res.headers },
 *   { key, protocols: ['chat'], extensions: [deflate] },
 * );
 * ```
 */
export function validateResponse(
  response: { status: number; headers: HttpHeaders },
  expected: { key: string; protocols: readonly string[]; extensions: readonly ExtensionFactory[] },
): { protocol: string | undefined; extensions: Extension[] } {
  const { headers } = response;
  if (response.status !== 101) throw failed(`Unexpected server response: ${response.status}`);

  let list: string[];
  try {
    list = parseUpgradeList(headers.upgrade ?? '');
  } catch (error) {
    throw failed('Invalid Upgrade header', error);
  }
  if (!hasToken(list, 'websocket')) throw failed('Invalid Upgrade header');
  try {
    list = parseTokenList(headers.connection ?? '', 'Connection');
  } catch (error) {
    throw failed('Invalid Connection header', error);
  }
  if (!hasToken(list, 'upgrade')) throw failed('Invalid Connection header');

  const accept = single(headers, 'sec-websocket-accept');
  if (accept === null) throw failed('Repeated Sec-WebSocket-Accept header');
  if (accept === undefined) throw failed('Missing Sec-WebSocket-Accept header');
  if (accept !== acceptKey(expected.key)) throw failed('Invalid Sec-WebSocket-Accept header');

  let protocol: string | undefined;
  const protocolHeader = headers['sec-websocket-protocol'];
  if (protocolHeader !== undefined) {
    let protocols: string[];
    try {
      protocols = parseTokenList(protocolHeader, 'Sec-WebSocket-Protocol');
    } catch (error) {
      throw failed('Invalid Sec-WebSocket-Protocol header', error);
    }
    if (protocols.length !== 1) throw failed('Invalid Sec-WebSocket-Protocol header');
    protocol = protocols[0];
    if (!expected.protocols.includes(protocol)) {
      throw failed(`Server sent a subprotocol that was not offered: ${protocol}`);
    }
  }

  const extensions: Extension[] = [];
  const extensionHeader = headers['sec-websocket-extensions'];
  if (extensionHeader !== undefined) {
    let answers: ExtensionOffer[];
    try {
      answers = parseExtensions(extensionHeader);
    } catch (error) {
      throw failed('Invalid Sec-WebSocket-Extensions header', error);
    }
    try {
      let usedRsv = 0;
      const seen = new Set<string>();
      for (const answer of answers) {
        const factory = expected.extensions.find((f) => f.name === answer.name);
        if (factory === undefined) throw failed(`Server sent an extension that was not offered: ${answer.name}`);
        if (seen.has(answer.name)) throw failed(`Server sent the ${answer.name} extension twice`);
        seen.add(answer.name);
        const extension = factory.complete(answer);
        extensions.push(extension);
        if ((extension.rsvMask & usedRsv) !== 0) throw failed(`Extensions claim the same RSV bit: ${answer.name}`);
        usedRsv |= extension.rsvMask;
      }
    } catch (error) {
      // Built extensions may hold resources (zlib); nobody else will dispose them.
      for (const extension of extensions) extension.dispose();
      throw error;
    }
  }
  return { protocol, extensions };
}
