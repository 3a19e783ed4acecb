/**
 * The client: `connect(url, options)` for ws:// and wss://.
 *
 * The request goes out through node:http / node:https (certificate
 * verification on by default); the answer is validated strictly — status
 * 101, `Upgrade`/`Connection` token lists, the exact accept key, a protocol
 * among those offered, no extension that was not offered — and a refusal
 * rejects with a {@link HandshakeError} carrying status, headers and body.
 *
 * @module
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { generateKey, validateResponse } from './protocol/handshake.js';
import { serializeExtensions } from './protocol/headers.js';
import { WebSocketError } from './protocol/errors.js';
import type { Extension, ExtensionFactory } from './protocol/extension.js';
import type { HttpHeaders } from './protocol/headers.js';
import { SocketTransport } from './transport/socket.js';
import type { Transport } from './transport/transport.js';
import { defaultExtensions, type DeflateOptions } from './extensions/index.js';
import { DEFAULTS, checkConnectOptions, describe } from './options.js';
import { WebSocket, startWebSocket } from './websocket/websocket.js';
import type { ResponseInfo, WebSocketOptions, WebSocketInit } from './websocket/options.js';
import { HandshakeObservation, observingHandshakes } from './observe/channels.js';

/**
 * A failed opening handshake, with what the server answered: `status` and
 * `headers` of its answer (0 and `{}` when none arrived), and its body.
 *
 * `code` says which: `WS_ERR_HANDSHAKE` for an answer that refused or broke
 * the handshake (a remote error), `WS_ERR_TRANSPORT` when the network failed
 * before any answer (refused connection, DNS, TLS: a local error), both with
 * close code 1006 when no answer came (no close frame was ever exchanged).
 */
export class HandshakeError extends WebSocketError {
  /** HTTP status of the answer (0 when there was none). */
  declare readonly status: number;
  /** Its body (at most 64 KiB), as text. */
  readonly body: string;

  constructor(message: string, status: number, headers: HttpHeaders, body: string, cause?: unknown, code: 'WS_ERR_HANDSHAKE' | 'WS_ERR_TRANSPORT' = 'WS_ERR_HANDSHAKE') {
    super(code, message, {
      side: code === 'WS_ERR_TRANSPORT' ? 'local' : 'remote',
      // §7.4.1: 1006 when the connection ended without a close frame; 1002 is for a peer's protocol error.
      closeCode: status === 0 ? 1006 : 1002,
      status,
      headers,
      cause,
    });
    this.name = 'HandshakeError';
    this.body = body;
  }
}

/** Options of {@link connect}. */
export interface ConnectOptions extends WebSocketOptions {
  /** Subprotocols to offer, preferred first. */
  protocols?: readonly string[];
  /** Extra request headers. */
  headers?: Readonly<Record<string, string>>;
  /** The `Origin` header to send. */
  origin?: string;
  /** Give up on the handshake after this many ms. Default 10,000. */
  timeout?: number;
  /** `ws`'s name for {@link timeout}, accepted so code moved from `ws` keeps its bound; `timeout` wins when both are given. */
  handshakeTimeout?: number;
  /** Abort the handshake. */
  signal?: AbortSignal;
  /**
   * Offer permessage-deflate (default true, as browsers and ws do); `false`
   * turns it off, an object tunes it. Ignored when `extensions` is given.
   */
  deflate?: boolean | DeflateOptions;
  /** Extension factories to offer, in preference order. Default: from `deflate`. */
  extensions?: readonly ExtensionFactory[];
  /** TLS options for wss:// (certificate verification stays on unless you turn it off here). */
  tls?: TlsOptions;
  /** Use this WebSocket subclass for the connection. */
  WebSocketClass?: new (init: WebSocketInit) => WebSocket;
  /**
   * Open the WebSocket over HTTP/2 (RFC 8441): TLS with ALPN `h2` for
   * wss://, cleartext h2c (prior knowledge) for ws://. WebSockets to the same
   * origin (and the same `tls` object) share one session, closed when the
   * last of them ends. Default false (HTTP/1.1 upgrade).
   */
  http2?: boolean;
}

const MAX_BODY = 64 * 1024;

/**
 * Open a WebSocket connection.
 *
 * @example
 * ```ts
 * const ws = await connect('ws://127.0.0.1:9000/');
 * ws.send('hello');
 * const reply = await ws.receive();
 * await ws.close();
 * ```
 */
export function connect(url: string | URL, options: ConnectOptions = {}): Promise<WebSocket> {
  // Wrong arguments reject at once, before anything is sent (as fetch()
  // does, and as an unsupported scheme already did): one way to handle every
  // failure of connect(), `await` or `.catch()`.
  try {
    if (typeof url !== 'string' && !(url instanceof URL)) throw new TypeError(`connect(): url must be a string or a URL, got ${describe(url)}`);
    // An unparsable URL rejects too (a TypeError, as fetch() rejects), not a synchronous throw.
    if (typeof url === 'string' && !URL.canParse(url)) throw new TypeError(`connect(): ${JSON.stringify(url)} is not a valid URL`);
    checkConnectOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  if (!observingHandshakes()) return open(url, options);
  // diagnostics_channel (src/observe): the handshake traced, its outcome published.
  const observation = new HandshakeObservation('client', { method: options.http2 === true ? 'CONNECT' : 'GET', url: String(url), headers: { ...options.headers } });
  const opening = open(url, options);
  observation.syncDone();
  opening.then(
    (ws) => observation.settle({ status: ws.response?.status ?? 101, websocket: ws }),
    (error: unknown) => observation.settle({ status: error instanceof HandshakeError ? error.status : 0, error }),
  );
  return opening;
}

function open(url: string | URL, options: ConnectOptions): Promise<WebSocket> {
  const target = new URL(url);
  if (target.protocol === 'http:') target.protocol = 'ws:';
  if (target.protocol === 'https:') target.protocol = 'wss:';
  if (target.protocol !== 'ws:' && target.protocol !== 'wss:') {
    return Promise.reject(new WebSocketError('WS_ERR_INVALID_ARGUMENT', `unsupported URL scheme ${target.protocol}`, { side: 'local' }));
  }
  if (target.hash) return Promise.reject(new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'a WebSocket URL has no fragment', { side: 'local' }));
  // node:http2 (0.7 MB of heap) loads with the first HTTP/2 connect, not with every server that imports ws4ts.
  if (options.http2 === true) return import('./client-h2.js').then(({ connectHttp2 }) => connectHttp2(target, options));
  const secure = target.protocol === 'wss:';
  const key = generateKey();
  const protocols = options.protocols ?? [];
  const factories = options.extensions ?? defaultExtensions(options.deflate);
  const headers: Record<string, string> = {
    ...options.headers,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
  };
  if (protocols.length > 0) headers['Sec-WebSocket-Protocol'] = protocols.join(', ');
  const offers = factories.flatMap((factory) => factory.offer());
  if (offers.length > 0) headers['Sec-WebSocket-Extensions'] = serializeExtensions(offers);
  if (options.origin !== undefined) headers.Origin = options.origin;

  return new Promise<WebSocket>((resolve, reject) => {
    const hostname = target.hostname.replace(/^\[|\]$/g, '');
    const request = (secure ? httpsRequest : httpRequest)({
      ...(secure ? options.tls : {}),
      hostname,
      port: target.port || (secure ? 443 : 80),
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      headers,
      agent: false,
      // SNI takes host names only (RFC 6066); for an IP the certificate is checked against the IP.
      ...(secure ? { servername: options.tls?.servername ?? (isIP(hostname) === 0 ? hostname : '') } : {}),
    });
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      request.destroy();
      reject(error);
    };
    // Listen for errors first: fail() destroys the request, which emits one.
    request.on('error', (error) => fail(new HandshakeError(`connection failed: ${error.message}`, 0, {}, '', error, 'WS_ERR_TRANSPORT')));
    const timer = setTimeout(() => fail(new HandshakeError('opening handshake timed out', 0, {}, '')), options.timeout ?? options.handshakeTimeout ?? DEFAULTS.connectTimeout);
    const onAbort = (): void => fail(options.signal!.reason instanceof Error ? options.signal!.reason : new Error('aborted'));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('response', (response: IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk.slice(0, MAX_BODY - body.length);
      });
      const done = () => fail(new HandshakeError(`server refused the WebSocket upgrade: ${response.statusCode}`, response.statusCode ?? 0, response.headers, body));
      response.on('end', done);
      response.on('error', done);
    });
    request.on('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      if (settled) {
        socket.destroy();
        return;
      }
      const negotiated = validateResponse({ status: response.statusCode ?? 0, headers: response.headers }, { key, protocols, extensions: factories });
      if (!negotiated.ok) {
        socket.destroy();
        fail(new HandshakeError(negotiated.error.message, response.statusCode ?? 0, response.headers, '', negotiated.error));
        return;
      }
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const answer = { status: response.statusCode ?? 101, headers: response.headers };
      resolve(openClientWebSocket(new SocketTransport(socket), negotiated, answer, options, head.length > 0 ? head : undefined));
    });
    request.end();
  });
}

/**
 * Build and start the WebSocket of a client handshake that succeeded, over
 * HTTP/1.1 (the upgraded socket) or HTTP/2 (the CONNECT stream): both give
 * it the same init, with the negotiated `Sec-WebSocket-Extensions` as one value.
 * @internal
 */
export function openClientWebSocket(
  transport: Transport,
  negotiated: { readonly protocol: string | undefined; readonly extensions: readonly Extension[] },
  response: ResponseInfo,
  options: ConnectOptions,
  head?: Uint8Array,
): WebSocket {
  const extensionsHeader = response.headers['sec-websocket-extensions'];
  const Class = options.WebSocketClass ?? WebSocket;
  const ws = new Class({
    transport,
    role: 'client',
    protocol: negotiated.protocol,
    extensions: negotiated.extensions,
    extensionsHeader: typeof extensionsHeader === 'object' ? extensionsHeader.join(', ') : extensionsHeader,
    response,
    head,
    options,
  });
  startWebSocket(ws);
  return ws;
}
