/**
 * `attach(server, routes)`: WebSockets on an existing node:http / node:https
 * server (ws4py's wsgiref server). Upgrades are routed by path, or by a
 * function of the request; unknown paths get 404; ordinary HTTP requests are
 * left alone.
 *
 * @module
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { Duplex } from 'node:stream';
import { WebSocketError } from '../protocol/errors.js';
import { reportCallbackError, type UpgradeOptions, type UpgradeRequest } from './upgrade.js';
import { Acceptors, findRoute, type Routes } from './routes.js';
import { WebSocketManager, type CloseAllOptions } from './manager.js';
import { checkRoutes, checkServer, checkUpgradeOptions } from '../options.js';
import { attachStreams, isHttp2Server, type Http2Acceptor } from './http2.js';
import { refuse } from './refuse.js';
import { closeWithServer } from './framework.js';

/** What {@link attach} returns. */
export interface Attachment {
  /** The connections of every route. */
  readonly manager: WebSocketManager;
  /** Stop handling upgrades on the server (open connections are not touched). */
  detach(): void;
  /** Stop accepting, close every connection with 1001 and wait until they are gone. */
  shutdown(options?: CloseAllOptions): Promise<void>;
}

/** What {@link attach} returns for a node:http2 server: also the HTTP/2 (RFC 8441) side and its counters. */
export interface Http2Attachment extends Attachment {
  /** Sessions and WebSocket streams seen over HTTP/2. */
  readonly http2: Http2Acceptor;
}

/**
 * Serve WebSockets on `server`.
 *
 * @example
 * ```ts
 * const server = http.createServer((req, res) => res.end('hello'));
 * attach(server, { '/echo': EchoWebSocket, '/chat': async (ws) => { for await (const m of ws) ws.send(m.data); } });
 * server.listen(9000);
 * ```
 *
 * On a node:http2 server (`http2.createSecureServer({ allowHTTP1: true })`,
 * or `http2.createServer()` for cleartext h2c) it also answers RFC 8441
 * extended CONNECT streams, with the same routes, rules and manager.
 */
export function attach(server: Http2SecureServer | Http2Server, routes: Routes, options?: Partial<UpgradeOptions>): Http2Attachment;
export function attach(server: HttpServer | HttpsServer, routes: Routes, options?: Partial<UpgradeOptions>): Attachment;
export function attach(server: HttpServer | HttpsServer | Http2SecureServer | Http2Server, routes: Routes, options: Partial<UpgradeOptions> = {}): Attachment {
  checkServer('attach()', server);
  checkRoutes('attach()', routes);
  checkUpgradeOptions('attach()', options);
  const manager = options.manager ?? new WebSocketManager();
  const defaults: Partial<UpgradeOptions> = { ...options, manager };
  const acceptors = new Acceptors(defaults);
  const streams = isHttp2Server(server) ? attachStreams(server, routes, acceptors) : undefined;
  const onUpgrade = (request: UpgradeRequest, socket: Duplex, head: Uint8Array): void => {
    const answer = (status: number, reason: string): void => refuse(socket, new WebSocketError('WS_ERR_HANDSHAKE', reason, { status }));
    // A throwing routes function, route options that fail their check, or a
    // throwing onConnection fail this request (500, reported), never the
    // process: this runs inside node:http's 'upgrade' event.
    let route: ReturnType<typeof findRoute>;
    try {
      route = findRoute(routes, request);
    } catch (error) {
      reportCallbackError('the routes function', error);
      return answer(500, 'Internal server error');
    }
    if (route === undefined) return answer(404, 'No WebSocket endpoint at this path');
    try {
      acceptors.for(route)(request, socket, head);
    } catch (error) {
      reportCallbackError('the upgrade handler', error);
      if (socket.destroyed) return;
      // Half an answer may be out already (onConnection runs after the 101): then only closing is safe.
      if ((socket as { bytesWritten?: number }).bytesWritten || socket.writableLength > 0 || socket.writableEnded) socket.destroy();
      else answer(500, 'Internal server error');
    }
  };
  server.on('upgrade', onUpgrade);
  // When the HTTP server closes, its WebSockets go too (1001), then, over
  // HTTP/2, the sessions once their WebSocket streams are closed (restored by `detach`).
  const restoreClose = closeWithServer(server, manager, { then: () => streams?.acceptor.closeSessions() });
  const stopHook = streams === undefined ? undefined : manager.onShutdown(() => streams.acceptor.closeSessions());
  return {
    manager,
    ...(streams === undefined ? {} : { http2: streams.acceptor }),
    detach: () => {
      server.off('upgrade', onUpgrade);
      streams?.detach();
      stopHook?.();
      restoreClose();
    },
    shutdown: (closeOptions) => manager.shutdown(closeOptions),
  };
}
