/**
 * `serve(options)`: the standalone server (ws4py's asyncio server) on
 * node:net / node:tls. It reads the HTTP/1.1 upgrade request itself with a
 * strict parser — no node:http — with limits on header bytes and count and a
 * handshake timeout that drops clients who never finish their headers
 * (slowloris). Then the shared acceptor takes over.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions, type TLSSocket } from 'node:tls';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { WebSocketError } from '../protocol/errors.js';
import { RequestHeadParser, type ParsedRequest } from './http-request.js';
import type { UpgradeOptions, UpgradeRequest } from './upgrade.js';
import { WebSocketManager, type CloseAllOptions } from './manager.js';
import { Acceptors, findRoute, type Route, type Routes } from './routes.js';
import type { Handler } from '../handler.js';
import { DEFAULTS, checkServeOptions } from '../options.js';
import { Http2Acceptor, http2Front, isHttp2Preface } from './http2.js';
import { refuse } from './refuse.js';

/** Options of {@link serve}, each with its default. */
export interface ServeOptions extends Partial<Omit<UpgradeOptions, 'handler'>> {
  /** TCP port (0: any free port). Default 9000 unless `path` is given. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Listen on a Unix domain socket at this path instead of TCP. */
  path?: string;
  /** Serve wss:// with these TLS options (`{ key, cert }` at least). */
  tls?: TlsOptions;
  /** The handler for every path (when `routes` is not given). */
  handler?: Handler;
  /** Handlers by exact path, or a function of the request; unknown paths get 404. */
  routes?: Routes;
  /** Largest request head in bytes (431 beyond). Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Most header fields (431 beyond). Default 100. */
  maxHeaderCount?: number;
  /**
   * Drop a client that has not sent its whole upgrade request (and, with
   * `tls`, finished the TLS handshake; with `http2`, opened a stream) after
   * this many ms: slowloris protection. Default 10,000.
   */
  headerTimeout?: number;
  /**
   * Ordinary (non-upgrade) HTTP requests. Default: answer 426 with a short
   * text. The callback owns the socket and must answer and end it.
   */
  onRequest?: (request: ParsedRequest, socket: Duplex) => void;
  /** The manager to track connections in. Default: a new one. */
  manager?: WebSocketManager;
  /**
   * Also serve WebSockets over HTTP/2 (RFC 8441) on the same port: with
   * `tls`, ALPN offers `h2` and `http/1.1`; without, cleartext h2c clients
   * (prior knowledge) are told apart from HTTP/1.1 by the connection preface.
   * Routes, rules, limits and the manager are the same. Default false.
   */
  http2?: boolean;
  /**
   * Ordinary (non-WebSocket) HTTP/2 requests, with `http2: true`. Default:
   * answer 426 with a short text, as for HTTP/1.1. The callback must answer the stream.
   */
  onStream?: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;
}

/**
 * A running standalone server.
 *
 * A listen error (port in use, no permission…) rejects {@link listening}
 * and is emitted as `'error'`, the Node way: with no `'error'` listener,
 * and nobody having read `listening` to await it, it is thrown (an
 * uncaught exception, as node:http does), never swallowed. Other errors of
 * the listening socket are emitted as `'error'` too.
 */
export interface WebSocketServer {
  /** Resolves once listening; rejects if the address cannot be bound. */
  readonly listening: Promise<void>;
  /** Listen for errors of the listening socket (a failed listen, accept errors). */
  on(event: 'error', listener: (error: Error) => void): this;
  /** Like {@link on}, for one error. */
  once(event: 'error', listener: (error: Error) => void): this;
  /** Remove a listener added with {@link on} or {@link once}. */
  off(event: 'error', listener: (error: Error) => void): this;
  /** The live connections. */
  readonly manager: WebSocketManager;
  /** The bound address (TCP) or path (Unix socket). */
  address(): AddressInfo | string | null;
  /** With `http2: true`: the sessions and WebSocket streams seen over HTTP/2. */
  readonly http2: Http2Acceptor | undefined;
  /** Listen again after {@link close} (same options). */
  listen(): Promise<void>;
  /**
   * Stop accepting, close every connection with 1001 (waiting for the close
   * handshakes, terminating stragglers after `timeout`), and resolve once
   * every socket is gone.
   */
  close(options?: CloseAllOptions): Promise<void>;
  /** `await using server = serve(…)`: {@link close} at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

function isUpgradeRequest(request: ParsedRequest): boolean {
  return request.headers.upgrade !== undefined;
}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}

function destroyThis(this: Duplex): void {
  this.destroy();
}


/**
 * Start a standalone WebSocket server.
 *
 * @example
 * ```ts
 * const server = serve({ port: 9000, handler: EchoWebSocket });
 * await server.listening;
 * // …
 * await server.close();
 * ```
 */
export function serve(options: ServeOptions): WebSocketServer {
  checkServeOptions(options);
  const manager = options.manager ?? new WebSocketManager();
  const { handler, routes, tls, onRequest, http2, onStream, ...shared } = options;
  const defaults: Partial<UpgradeOptions> = { ...shared, manager };
  const acceptors = new Acceptors(defaults);
  const limits = {
    ...(options.maxHeaderBytes !== undefined ? { maxHeaderBytes: options.maxHeaderBytes } : {}),
    ...(options.maxHeaderCount !== undefined ? { maxHeaderCount: options.maxHeaderCount } : {}),
  };
  const headerTimeout = options.headerTimeout ?? options.handshakeTimeout ?? DEFAULTS.headerTimeout;
  const sockets = new Set<Duplex>(); // sockets still in their HTTP handshake
  // Sockets past their head but not WebSockets: ordinary requests handed to
  // `onRequest`, and error answers draining. The manager does not know them,
  // so close() must, or server.close() would wait for their clients forever.
  const others = new Set<Duplex>();
  const keep = (socket: Duplex): void => {
    others.add(socket);
    socket.once('close', () => others.delete(socket));
  };
  // A throwing callback (routes function, onRequest) fails its request, never the process.
  const failed = (socket: Socket, what: string, error: unknown): void => {
    console.error(`ws4ts: ${what} threw:`, error);
    if (socket.destroyed) return;
    // Half an answer may be out already: then only closing is safe.
    if (socket.bytesWritten > 0 || socket.writableLength > 0 || socket.writableEnded) socket.destroy();
    else refuse(socket, new WebSocketError('WS_ERR_HANDSHAKE', 'Internal server error', { status: 500 }));
  };

  const route = (request: UpgradeRequest): Route | undefined => (routes === undefined ? handler : findRoute(routes, request));
  const h2 = http2 === true ? http2Front(new Http2Acceptor(acceptors, route), { ...limits, headerTimeout, onStream }) : undefined;

  const onConnection = (socket: Socket): void => {
    // ALPN chose HTTP/2: the session is node:http2's, its streams ours.
    if (h2 !== undefined && (socket as TLSSocket).alpnProtocol === 'h2') return h2.take(socket);
    sockets.add(socket);
    // Released by done(): a live WebSocket keeps none of its handshake state
    // (the closures' shared context outlives the handshake; its slots need not).
    let parser: RequestHeadParser | undefined = new RequestHeadParser(limits);
    // Cast: with the DOM lib also loaded, the three-argument call would pick its `number` overload.
    let timer: NodeJS.Timeout | undefined = setTimeout(destroySocket, headerTimeout, socket) as unknown as NodeJS.Timeout;
    timer.unref();
    const done = (): void => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      parser = undefined;
      sockets.delete(socket);
      socket.off('data', onData);
      socket.off('close', done);
    };
    let first = true;
    const onData = (chunk: Buffer): void => {
      if (parser === undefined) return;
      const wasFirst = first;
      first = false;
      if (h2 !== undefined && wasFirst && isHttp2Preface(chunk)) {
        // Cleartext h2c with prior knowledge: give the bytes back and hand the socket over.
        done();
        socket.pause();
        socket.unshift(chunk);
        h2.take(socket);
        return;
      }
      let request: ParsedRequest | undefined;
      try {
        request = parser.push(chunk);
      } catch (error) {
        done();
        keep(socket);
        refuse(socket, error instanceof WebSocketError ? error : new WebSocketError('WS_ERR_HANDSHAKE', 'Bad request', { status: 400 }));
        return;
      }
      if (request === undefined) return;
      const trailing = parser.trailing;
      done();
      if (!isUpgradeRequest(request)) {
        keep(socket);
        if (onRequest === undefined) {
          refuse(socket, new WebSocketError('WS_ERR_HANDSHAKE', 'This server only speaks WebSocket', { status: 426, headers: { Upgrade: 'websocket' } }));
          return;
        }
        try {
          onRequest(request, socket);
        } catch (error) {
          failed(socket, 'onRequest', error);
        }
        return;
      }
      let chosen: Route | undefined;
      try {
        chosen = route(request);
      } catch (error) {
        keep(socket);
        failed(socket, 'the routes function', error);
        return;
      }
      if (chosen === undefined) {
        keep(socket);
        refuse(socket, new WebSocketError('WS_ERR_HANDSHAKE', 'No WebSocket endpoint at this path', { status: 404 }));
        return;
      }
      // The acceptor resumes reading through the WebSocket's transport.
      socket.pause();
      try {
        acceptors.for(chosen)(request, socket, trailing);
      } catch (error) {
        keep(socket);
        failed(socket, 'the upgrade handler', error);
      }
    };
    socket.on('error', destroyThis);
    socket.on('close', done);
    socket.on('data', onData);
  };

  const server: NetServer = tls
    ? createTlsServer({ ...(h2 !== undefined ? { ALPNProtocols: ['h2', 'http/1.1'] } : {}), ...tls, handshakeTimeout: headerTimeout }, onConnection)
    : createNetServer({ noDelay: true }, onConnection);
  if (tls) server.on('tlsClientError', (_error, socket) => socket.destroy());

  // Errors of the listening socket go to the WebSocketServer's 'error'
  // listeners. Emitting with none throws, as node:http does; but a failed
  // listen that someone is awaiting (they read `listening`, or called
  // listen()) is theirs to handle, through the rejection.
  const events = new EventEmitter();
  let awaited = false;
  let rejectListen: ((error: Error) => void) | undefined;
  server.on('error', (error: Error) => {
    const reject = rejectListen;
    rejectListen = undefined;
    reject?.(error);
    if (reject === undefined || !awaited || events.listenerCount('error') > 0) events.emit('error', error);
  });
  const listen = (): Promise<void> => {
    const promise = new Promise<void>((resolve, reject) => {
      rejectListen = reject;
      const ready = (): void => {
        rejectListen = undefined;
        resolve();
      };
      if (options.path !== undefined) server.listen(options.path, ready);
      else server.listen(options.port ?? DEFAULTS.port, options.host ?? DEFAULTS.host, ready);
    });
    // The error is reported through 'error' when nobody awaits the promise:
    // no unhandled rejection on top of it.
    promise.catch(() => {});
    return promise;
  };

  let listening = listen();
  /**
   * Stop accepting; drop the sockets still in their HTTP handshake; give the
   * other non-WebSocket sockets `grace` ms to finish, then destroy them. The
   * WebSockets are the manager's to close. Resolves once every socket is gone.
   */
  const stopListening = (grace = 5_000): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      const timer = setTimeout(() => {
        for (const socket of others) socket.destroy();
      }, grace);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const socket of sockets) socket.destroy();
      // GOAWAY: no new streams; the WebSocket streams the manager is closing finish first.
      void h2?.acceptor.closeSessions();
    });
  manager.onShutdown(() => stopListening());

  const self: WebSocketServer = {
    get listening() {
      awaited = true;
      return listening;
    },
    on(event, listener) {
      events.on(event, listener);
      return self;
    },
    once(event, listener) {
      events.once(event, listener);
      return self;
    },
    off(event, listener) {
      events.off(event, listener);
      return self;
    },
    manager,
    http2: h2?.acceptor,
    address: () => server.address(),
    listen: () => {
      awaited = true;
      listening = listen();
      return listening;
    },
    close: async (closeOptions?: CloseAllOptions) => {
      const stopped = stopListening(closeOptions?.timeout);
      await manager.closeAll(1001, 'server closing', closeOptions);
      await stopped;
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  return self;
}
