/**
 * The server's side of the opening handshake (RFC 6455 §4.2): validate the
 * request, select a subprotocol, negotiate extensions, build the response.
 *
 * {@link validateRequest} returns `{ ok: true, … }` or `{ ok: false, error }`
 * (the convention of `handshake.ts`), the error carrying the HTTP status
 * and headers to answer with.
 *
 * @module
 */
import { WebSocketError } from './errors.js';
import type { Extension, ExtensionFactory, ExtensionOffer } from './extension.js';
import { type HttpHeaders, isToken, parseExtensions, parseTokenList, serializeExtensions } from './headers.js';
import { acceptKey, checkValue, extraHeaders, invalidArgument, isValidKey, single, upgradeProblem } from './handshake.js';

/**
 * An HTTP upgrade request: the parts the handshake, `verify` and routing
 * look at. node:http's `IncomingMessage` fits, an HTTP/2 extended CONNECT is
 * presented as one, and the standalone server's parsed request
 * (`ParsedRequest`) and a connection's `ws.request` (`RequestInfo`) extend it.
 */
export interface UpgradeRequest {
  /** Request method; must be `GET`. */
  readonly method?: string | undefined;
  /** Request target, e.g. `/chat?room=1` (not checked here; routing is the server's business). */
  readonly url?: string | undefined;
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

/** A refused request: the remote handshake error to answer with. */
function refusal(status: number, message: string, headers?: Record<string, string>): { readonly ok: false; readonly error: WebSocketError } {
  const error = new WebSocketError('WS_ERR_HANDSHAKE', message, {
    side: 'remote',
    status,
    ...(headers === undefined ? {} : { headers }),
  });
  return { ok: false, error };
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
 * remote `WS_ERR_HANDSHAKE` {@link WebSocketError} whose `status`,
 * `headers` and message make the HTTP answer (`error.httpResponse()`):
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
  if (request.method !== 'GET') return refusal(405, 'Invalid HTTP method', { Allow: 'GET' });

  const version = parseVersion(request.httpVersion);
  if (version === undefined || version[0] < 1 || (version[0] === 1 && version[1] < 1)) {
    return refusal(400, 'Invalid HTTP version');
  }

  const host = single(headers, 'host');
  if (host === null) return refusal(400, 'Repeated Host header');
  if (host === undefined || host === '') return refusal(400, 'Missing Host header');

  const upgrade = upgradeProblem(headers);
  if (upgrade !== undefined) return refusal(400, upgrade.message);

  const key = single(headers, 'sec-websocket-key');
  if (key === null) return refusal(400, 'Repeated Sec-WebSocket-Key header');
  if (key === undefined || !isValidKey(key)) return refusal(400, 'Missing or invalid Sec-WebSocket-Key header');

  const wsVersion = single(headers, 'sec-websocket-version');
  if (wsVersion === null) return refusal(400, 'Repeated Sec-WebSocket-Version header');
  if (wsVersion !== '13') {
    // RFC 6455 §4.4: say which version we speak so the client may retry with it.
    return refusal(426, 'Missing or unsupported Sec-WebSocket-Version header', { 'Sec-WebSocket-Version': '13' });
  }

  const offers = readOffers(headers);
  return offers.ok ? { ok: true, key, protocols: offers.protocols, extensions: offers.extensions, origin: offers.origin } : offers;
}

/**
 * @internal
 * The offers of an opening handshake, shared by HTTP/1.1 upgrades and
 * RFC 8441 extended CONNECT (which carries the same headers): subprotocols
 * (RFC 6455 §4.2.1 item 8), extensions (item 9) and the Origin (§10.2), or
 * the 400 refusal for a malformed or ambiguous header.
 */
export function readOffers(
  headers: HttpHeaders,
): { readonly ok: true; readonly protocols: string[]; readonly extensions: ExtensionOffer[]; readonly origin: string | undefined } | { readonly ok: false; readonly error: WebSocketError } {
  let protocols: string[] = [];
  const protocolHeader = headers['sec-websocket-protocol'];
  if (protocolHeader !== undefined) {
    try {
      protocols = parseTokenList(protocolHeader, 'Sec-WebSocket-Protocol');
    } catch {
      return refusal(400, 'Invalid Sec-WebSocket-Protocol header');
    }
    // 1#token: a present header must name at least one subprotocol.
    if (protocols.length === 0) return refusal(400, 'Invalid Sec-WebSocket-Protocol header');
  }

  let extensions: ExtensionOffer[] = [];
  const extensionHeader = headers['sec-websocket-extensions'];
  if (extensionHeader !== undefined) {
    try {
      extensions = parseExtensions(extensionHeader);
    } catch {
      return refusal(400, 'Invalid Sec-WebSocket-Extensions header');
    }
  }

  // An ambiguous Origin would let an origin check look at the wrong value.
  const origin = single(headers, 'origin');
  if (origin === null) return refusal(400, 'Repeated Origin header');
  return { ok: true, protocols, extensions, origin };
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
