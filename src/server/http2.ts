/**
 * WebSockets over HTTP/2 (RFC 8441) on the server side: extended CONNECT
 * streams go through the same acceptor core as HTTP/1.1 upgrades
 * (shutdown, origin, subprotocol, `verify`, permessage-deflate), answered
 * with `:status 200` on success and the acceptor's status otherwise.
 *
 * `attach()` wires it into an existing `http2.createSecureServer()` (with
 * `allowHTTP1: true` HTTP/1.1 upgrades work on the same port) or
 * `http2.createServer()` (cleartext h2c with prior knowledge: node:http2 has
 * no `Upgrade: h2c`); `serve({ http2: true })` feeds it sessions of its own.
 *
 * The server must advertise `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1` (§3) and
 * never take it back: it is set in the server's settings for new sessions
 * and on sessions already open when first seen; `detach()` leaves it on.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import {
  constants,
  createServer as createHttp2Server,
  type Http2SecureServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { WebSocketError } from '../protocol/errors.js';
import { isExtendedConnect, validateConnectRequest, connectResponseHeaders } from '../protocol/extended-connect.js';
import { Http2StreamTransport } from '../transport/http2-stream.js';
import { observeServerHandshake, observingHandshakes, settleServerHandshake } from '../observe/channels.js';
import type { HandshakeCarrier, UpgradeOptions, UpgradeRequest } from './upgrade.js';
import { Acceptors, findRoute, type Route, type Routes } from './routes.js';

/** The HTTP/2 settings a WebSocket server needs (RFC 8441 §3). */
export const WEBSOCKET_SETTINGS = { enableConnectProtocol: true } as const;

// Connection-specific headers are forbidden in HTTP/2 (RFC 9113 §8.2.2); node:http2 throws on them.
const CONNECTION_HEADERS = new Set(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

function ignore(): void {}

/** Answer a refused extended CONNECT on its stream: status, headers, a short text reason. */
export function refuseStream(stream: ServerHttp2Stream, error: WebSocketError): void {
  settleServerHandshake(stream, { status: error.status ?? 400, error });
  if (stream.destroyed || stream.closed) return;
  if (!stream.headersSent) {
    const headers: Record<string, string | string[] | number> = {
      ':status': error.status ?? 400,
      'content-type': 'text/plain; charset=utf-8',
    };
    for (const [name, value] of Object.entries(error.headers)) {
      const lower = name.toLowerCase();
      if (value !== undefined && !CONNECTION_HEADERS.has(lower)) headers[lower] = typeof value === 'string' ? value : [...value];
    }
    try {
      stream.respond(headers);
    } catch {
      stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
  }
  stream.end(`${error.message}\n`);
  // The client may keep its half open: do not wait for it forever (as on HTTP/1.1).
  setTimeout(() => {
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
  }, 1000).unref();
}

/** The request as routes, `verify` and `ws.request` see it: `:path` as the URL, `host` filled from `:authority`. */
export function streamRequest(headers: IncomingHttpHeaders): UpgradeRequest {
  const authority = headers[':authority'];
  const withHost = headers.host === undefined && typeof authority === 'string' ? { ...headers, host: authority } : headers;
  return { method: 'CONNECT', url: headers[':path'] ?? '/', httpVersion: '2.0', headers: withHost };
}

/** The carrier of one extended CONNECT: answers on its stream, runs the WebSocket over it. */
function streamCarrier(stream: ServerHttp2Stream, key: string | undefined): HandshakeCarrier {
  return {
    subject: stream,
    acceptStatus: 200,
    get gone() {
      return stream.destroyed || stream.closed;
    },
    refuse: (error) => refuseStream(stream, error),
    pause: () => stream.pause(),
    open: (answer) => {
      stream.respond(connectResponseHeaders({ ...answer, key }));
      stream.off('error', ignore);
      // Early DATA waits in the stream's buffer: the transport reads it on attach.
      return { transport: new Http2StreamTransport(stream), head: undefined };
    },
  };
}

/**
 * Routes RFC 8441 streams of HTTP/2 sessions to acceptors: one per server.
 * It counts what went over HTTP/2 (`streams`, `sessions`), so a test or a
 * dashboard can tell an h2 WebSocket from an HTTP/1.1 one.
 */
export class Http2Acceptor {
  readonly #acceptors: Acceptors;
  readonly #route: (request: UpgradeRequest) => Route | undefined;
  readonly #sessions = new Set<Http2Session>();
  #streams = 0;
  #sessionCount = 0;

  /** @internal Built by attach() and serve(). */
  constructor(acceptors: Acceptors, route: (request: UpgradeRequest) => Route | undefined) {
    this.#acceptors = acceptors;
    this.#route = route;
  }

  /** WebSocket streams (RFC 8441 requests) seen so far, accepted or not. */
  get streams(): number {
    return this.#streams;
  }

  /** HTTP/2 sessions seen so far. */
  get sessionCount(): number {
    return this.#sessionCount;
  }

  /** Sessions open now. */
  get sessions(): ReadonlySet<Http2Session> {
    return this.#sessions;
  }

  /** Track a session (for `closeSessions`) and make sure it advertises extended CONNECT. */
  addSession(session: ServerHttp2Session): void {
    if (this.#sessions.has(session)) return;
    this.#sessionCount++;
    this.#sessions.add(session);
    session.once('close', () => this.#sessions.delete(session));
    // A session opened before attach: enabling is allowed (0 → 1), only 1 → 0 is not (§3).
    if (!session.localSettings.enableConnectProtocol && !session.destroyed) session.settings(WEBSOCKET_SETTINGS);
  }

  /**
   * Handle `stream` if it is an RFC 8441 WebSocket request; returns false
   * (leaving it alone) for every other request.
   */
  handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean {
    if (!isExtendedConnect(headers)) return false;
    this.#streams++;
    // diagnostics_channel (src/observe), as for HTTP/1.1 upgrades: one check when nobody listens.
    if (!observingHandshakes()) {
      this.#handle(stream, headers);
      return true;
    }
    const observation = observeServerHandshake(stream, { method: 'CONNECT', url: headers[':path'] ?? '/', headers });
    try {
      this.#handle(stream, headers);
    } finally {
      observation.syncDone();
    }
    return true;
  }

  #handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', ignore);
    const check = validateConnectRequest(headers);
    if (!check.ok) {
      refuseStream(stream, check.error);
      return;
    }
    const request = streamRequest(headers);
    let route: Route | undefined;
    try {
      route = this.#route(request);
    } catch (error) {
      console.error('ws4ts: the routes function threw:', error);
      refuseStream(stream, new WebSocketError('WS_ERR_HANDSHAKE', 'Internal server error', { status: 500 }));
      return;
    }
    if (route === undefined) {
      refuseStream(stream, new WebSocketError('WS_ERR_HANDSHAKE', 'No WebSocket endpoint at this path', { status: 404 }));
      return;
    }
    try {
      this.#acceptors.core(route)(request, check, streamCarrier(stream, check.key));
    } catch (error) {
      console.error('ws4ts: the upgrade handler threw:', error);
      if (!stream.headersSent) refuseStream(stream, new WebSocketError('WS_ERR_HANDSHAKE', 'Internal server error', { status: 500 }));
      else stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
  }

  /**
   * Close every session gracefully (GOAWAY: no new streams; open ones, the
   * WebSockets the manager is closing, finish first). Resolves when all are closed.
   */
  closeSessions(): Promise<void> {
    const closing = [...this.#sessions].map(
      (session) =>
        new Promise<void>((resolve) => {
          if (session.closed || session.destroyed) return resolve();
          session.close(() => resolve());
        }),
    );
    return Promise.all(closing).then(() => {});
  }
}

/** The HTTP/2 half of `attach()` on a node:http2 server. @internal */
export interface StreamAttachment {
  readonly acceptor: Http2Acceptor;
  detach(): void;
}

/** True for servers from `http2.createServer()` / `http2.createSecureServer()`. */
export function isHttp2Server(server: object): server is Http2Server | Http2SecureServer {
  return typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
}

/**
 * Answer RFC 8441 streams on an existing node:http2 server (`attach()` calls
 * it; HTTP/1.1 upgrades of an `allowHTTP1` server go through `attach`'s
 * `'upgrade'` listener). Ordinary requests stay the server's: its
 * `'request'` / `'stream'` handlers see everything but the WebSocket streams.
 * @internal
 */
export function attachStreams(server: Http2Server | Http2SecureServer, routes: Routes, acceptors: Acceptors): StreamAttachment {
  const h2 = new Http2Acceptor(acceptors, (request) => findRoute(routes, request));
  server.updateSettings(WEBSOCKET_SETTINGS);
  const onSession = (session: ServerHttp2Session): void => h2.addSession(session);
  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    h2.addSession(stream.session as ServerHttp2Session);
    h2.handle(stream, headers);
  };
  // node:http2's compatibility layer (active once the server has a 'request'
  // listener) answers every CONNECT with 405 unless someone listens for
  // 'connect': claim the WebSocket ones; answer the others 405 as it would,
  // unless the application has a 'connect' listener of its own.
  const onConnect = (request: { headers: IncomingHttpHeaders }, response: { statusCode: number; end(): void }): void => {
    if (isExtendedConnect(request.headers)) return;
    if (server.listenerCount('connect') === 1) {
      response.statusCode = 405;
      response.end();
    }
  };
  server.on('session', onSession);
  server.on('stream', onStream);
  server.on('connect', onConnect);
  return {
    acceptor: h2,
    // The setting stays on (RFC 8441 §3: never back to 0); WebSocket streams
    // then get the server's own answer (405 from the compatibility layer).
    detach: () => {
      server.off('session', onSession);
      server.off('stream', onStream);
      server.off('connect', onConnect);
    },
  };
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * True when `chunk` starts like the HTTP/2 connection preface (RFC 9113
 * §3.4). Four bytes (`PRI `) decide: no HTTP/1.1 request starts so, since
 * `PRI` is reserved for the preface (RFC 9113 §11.6).
 */
export function isHttp2Preface(chunk: Uint8Array): boolean {
  const n = Math.min(chunk.length, PREFACE.length);
  if (n < 4) return false;
  for (let i = 0; i < n; i++) if (chunk[i] !== PREFACE[i]) return false;
  return true;
}

/** `serve()`'s HTTP/2 side: a node:http2 server that never listens, fed the sockets that speak h2. @internal */
export interface Http2Front {
  readonly acceptor: Http2Acceptor;
  /** Run an HTTP/2 session on `socket` (TLS with ALPN h2, or cleartext after the preface). */
  take(socket: Duplex): void;
}

/** Build `serve()`'s HTTP/2 side with its limits. @internal */
export function http2Front(
  acceptor: Http2Acceptor,
  options: {
    maxHeaderBytes?: number;
    maxHeaderCount?: number;
    headerTimeout: number;
    onStream: ((stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void) | undefined;
  },
): Http2Front {
  const server = createHttp2Server({
    // The same limits as the HTTP/1.1 head parser: header bytes and fields.
    maxHeaderListPairs: options.maxHeaderCount ?? 100,
    settings: { ...WEBSOCKET_SETTINGS, maxHeaderListSize: options.maxHeaderBytes ?? 16 * 1024 },
  });
  server.on('session', (session: ServerHttp2Session) => {
    acceptor.addSession(session);
    // Slowloris over HTTP/2: a session that opens no stream in time is dropped.
    const timer = setTimeout(() => {
      if (!session.destroyed) session.destroy();
    }, options.headerTimeout);
    timer.unref();
    session.once('stream', () => clearTimeout(timer));
    session.once('close', () => clearTimeout(timer));
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    if (acceptor.handle(stream, headers)) return;
    stream.on('error', ignore);
    if (options.onStream === undefined) {
      refuseStream(stream, new WebSocketError('WS_ERR_HANDSHAKE', 'This server only speaks WebSocket', { status: 426 }));
      return;
    }
    try {
      options.onStream(stream, headers);
    } catch (error) {
      console.error('ws4ts: onStream threw:', error);
      if (!stream.headersSent) refuseStream(stream, new WebSocketError('WS_ERR_HANDSHAKE', 'Internal server error', { status: 500 }));
      else stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
  });
  return {
    acceptor,
    take: (socket) => {
      socket.on('error', ignore);
      server.emit('connection', socket);
    },
  };
}
