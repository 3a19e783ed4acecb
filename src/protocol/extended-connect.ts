/**
 * The opening handshake of RFC 8441 (WebSockets over HTTP/2), for both
 * roles, without sockets or streams.
 *
 * Over HTTP/2 the upgrade is an extended CONNECT (§4): `:method CONNECT`,
 * `:protocol websocket`, `:scheme`, `:path`, `:authority`, and the RFC 6455
 * headers that still mean something (`sec-websocket-version`, `-protocol`,
 * `-extensions`, `origin`). There is no key and no accept (the `:protocol`
 * pseudo-header replaces them, §5), no `Upgrade`/`Connection` (HTTP/2 has no
 * connection-specific headers), and success is `:status 200`, not 101.
 *
 * Subprotocol and extension grammar, selection and negotiation are the same
 * as over HTTP/1.1 (`headers.ts`, `selectProtocol`, `negotiateExtensions`).
 *
 * @module
 */
import { WebSocketError } from './errors.js';
import { acceptKey, checkProtocols, isValidKey, single } from './handshake.js';
import { readOffers } from './handshake-server.js';
import { checkAnswers } from './handshake-client.js';
import type { Extension, ExtensionFactory, ExtensionOffer } from './extension.js';
import { type HttpHeaders, isToken } from './headers.js';

/** What an extended CONNECT asked for, or why it is refused. */
export type ConnectCheck =
  | {
      readonly ok: true;
      /** Offered subprotocols in the client's order (empty when none). */
      readonly protocols: string[];
      /** Extension offers in the client's order (empty when none). */
      readonly extensions: ExtensionOffer[];
      /** The `origin` header, if any. */
      readonly origin: string | undefined;
      /**
       * A valid `sec-websocket-key`, if the client sent one anyway. RFC 8441
       * does not use it, but undici 7's experimental HTTP/2 WebSocket sends
       * one and fails without the matching accept: answering it costs nothing.
       */
      readonly key: string | undefined;
    }
  | { readonly ok: false; readonly error: WebSocketError };

function refuse(status: number, message: string, headers?: Record<string, string>): ConnectCheck {
  return {
    ok: false,
    error: new WebSocketError('WS_ERR_HANDSHAKE', message, { side: 'remote', status, ...(headers ? { headers } : {}) }),
  };
}


/** True when the HTTP/2 request headers are an RFC 8441 WebSocket request (`CONNECT` + `:protocol websocket`). */
export function isExtendedConnect(headers: HttpHeaders): boolean {
  return headers[':method'] === 'CONNECT' && typeof headers[':protocol'] === 'string' && headers[':protocol'].toLowerCase() === 'websocket';
}

/**
 * Check an extended CONNECT request (RFC 8441 §4–5) given its HTTP/2
 * headers (pseudo-headers included, as node:http2 delivers them):
 *
 * - not `CONNECT` with `:protocol websocket` → 400 (a plain CONNECT is not ours);
 * - `:path` missing or not starting with `/`, `:authority` missing → 400;
 * - `sec-websocket-version` other than `13` → 426 with `sec-websocket-version: 13`
 *   (absent is accepted: RFC 8441 makes no use of it, browsers send it anyway);
 * - a malformed `sec-websocket-protocol` / `sec-websocket-extensions`, a repeated `origin` → 400.
 *
 * A `sec-websocket-key` is not required (§5: superseded by `:protocol`); a
 * valid one is returned so the answer can carry its accept (see `key`).
 *
 * @example
 * ```ts
 * session.on('stream', (stream, headers) => {
 *   const check = validateConnectRequest(headers);
 *   if (!check.ok) stream.respond({ ':status': check.error.status });
 * });
 * ```
 */
export function validateConnectRequest(headers: HttpHeaders): ConnectCheck {
  if (!isExtendedConnect(headers)) return refuse(400, 'Not an extended CONNECT for websocket');
  const path = headers[':path'];
  if (typeof path !== 'string' || path.charCodeAt(0) !== 0x2f) return refuse(400, 'Missing or invalid :path');
  const authority = headers[':authority'];
  if (typeof authority !== 'string' || authority === '') return refuse(400, 'Missing :authority');

  const version = single(headers, 'sec-websocket-version');
  if (version === null || (version !== undefined && version !== '13')) {
    return refuse(426, 'Unsupported Sec-WebSocket-Version header', { 'sec-websocket-version': '13' });
  }

  const offers = readOffers(headers);
  if (!offers.ok) return offers;
  const key = single(headers, 'sec-websocket-key');
  return { ok: true, protocols: offers.protocols, extensions: offers.extensions, origin: offers.origin, key: typeof key === 'string' && isValidKey(key) ? key : undefined };
}

/** HTTP/2 header names a caller may not set: the handshake or HTTP/2 itself owns them. */
const RESERVED = new Set([
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'sec-websocket-version',
  'sec-websocket-key',
  'sec-websocket-accept',
  'connection',
  'upgrade',
  'origin',
]);

function invalidArgument(message: string): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_ARGUMENT', message, { side: 'local', closeCode: 1011 });
}

/**
 * Extra headers for an HTTP/2 request or response, lower-cased (HTTP/2
 * requires it, RFC 9113 §8.2.1) and checked: token names, no pseudo-header,
 * none of the handshake's own, no CR/LF/NUL in values.
 */
export function extraHttp2Headers(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!isToken(name)) throw invalidArgument(`Invalid header name ${JSON.stringify(name)}`);
    if (RESERVED.has(lower) || lower === 'host') throw invalidArgument(`The ${name} header is set by the handshake`);
    if (/[\r\n\0]/.test(value)) throw invalidArgument(`Invalid character in ${name} header value`);
    out[lower] = value;
  }
  return out;
}

/**
 * The HTTP/2 headers of a client's extended CONNECT (RFC 8441 §4–5).
 *
 * @example
 * ```ts
 * session.request(connectRequestHeaders({ scheme: 'https', authority: 'example.com', path: '/chat', protocols: ['chat'] }), { endStream: false });
 * ```
 */
export function connectRequestHeaders(options: {
  scheme: 'http' | 'https';
  authority: string;
  path: string;
  protocols?: readonly string[];
  extensions?: string;
  origin?: string;
  headers?: Readonly<Record<string, string>>;
}): Record<string, string> {
  const { path, protocols } = options;
  if (path.length === 0 || path.charCodeAt(0) !== 0x2f) throw invalidArgument('The request path must start with "/"');
  const out: Record<string, string> = {
    ...extraHttp2Headers(options.headers),
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': options.scheme,
    ':authority': options.authority,
    ':path': path,
    'sec-websocket-version': '13',
  };
  if (protocols !== undefined && protocols.length > 0) {
    checkProtocols(protocols);
    out['sec-websocket-protocol'] = protocols.join(', ');
  }
  if (options.extensions !== undefined) out['sec-websocket-extensions'] = options.extensions;
  if (options.origin !== undefined) out.origin = options.origin;
  return out;
}

/**
 * The HTTP/2 response headers accepting an extended CONNECT: `:status 200`
 * plus the selected subprotocol and the negotiated extensions (RFC 8441 §5).
 */
export function connectResponseHeaders(options: {
  protocol?: string | undefined;
  extensions?: string | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
  /** The client's (optional, see {@link ConnectCheck}) key: its accept is added. */
  key?: string | undefined;
}): Record<string, string | number> {
  const out: Record<string, string | number> = { ...extraHttp2Headers(options.headers), ':status': 200 };
  if (options.key !== undefined) out['sec-websocket-accept'] = acceptKey(options.key);
  if (options.protocol !== undefined) {
    if (!isToken(options.protocol)) throw invalidArgument(`Invalid subprotocol ${JSON.stringify(options.protocol)}`);
    out['sec-websocket-protocol'] = options.protocol;
  }
  if (options.extensions !== undefined) out['sec-websocket-extensions'] = options.extensions;
  return out;
}

function failed(message: string, cause?: unknown): WebSocketError {
  return new WebSocketError('WS_ERR_HANDSHAKE', message, { side: 'remote', ...(cause === undefined ? {} : { cause }) });
}

/**
 * Check the server's answer to an extended CONNECT: any 2xx is success
 * (RFC 8441 §5 says 200; RFC 9113 §8.5 lets any 2xx open a CONNECT tunnel),
 * then the subprotocol and extensions as over HTTP/1.1 (one subprotocol
 * among those offered; only offered extensions, each once, no RSV bit twice).
 *
 * @throws {WebSocketError} `WS_ERR_HANDSHAKE` (remote), with built extensions disposed.
 */
export function validateConnectResponse(
  response: { status: number; headers: HttpHeaders },
  expected: { protocols: readonly string[]; extensions: readonly ExtensionFactory[] },
): { protocol: string | undefined; extensions: Extension[] } {
  const { headers } = response;
  if (response.status < 200 || response.status > 299) throw failed(`Unexpected server response: ${response.status}`);

  const answers = checkAnswers(headers, expected);
  if (!answers.ok) throw answers.error;
  return { protocol: answers.protocol, extensions: answers.extensions };
}
