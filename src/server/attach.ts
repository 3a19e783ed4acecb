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
import type { Duplex } from 'node:stream';
import { WebSocketError } from '../protocol/errors.js';
import { reportCallbackError, type UpgradeOptions, type UpgradeRequestLike } from './upgrade.js';
import { Acceptors, findRoute, type Routes } from './routes.js';
import { WebSocketManager, type CloseAllOptions } from './manager.js';
import { checkRoutes, checkServer, checkUpgradeOptions } from '../options.js';

/** What {@link attach} returns. */
export interface Attachment {
  /** The connections of every route. */
  readonly manager: WebSocketManager;
  /** Stop handling upgrades on the server (open connections are not touched). */
  detach(): void;
  /** Stop accepting, close every connection with 1001 and wait until they are gone. */
  shutdown(options?: CloseAllOptions): Promise<void>;
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
 */
export function attach(server: HttpServer | HttpsServer, routes: Routes, options: Partial<UpgradeOptions> = {}): Attachment {
  checkServer('attach()', server);
  checkRoutes('attach()', routes);
  checkUpgradeOptions('attach()', options);
  const manager = options.manager ?? new WebSocketManager();
  const defaults: Partial<UpgradeOptions> = { ...options, manager };
  const acceptors = new Acceptors(defaults);
  const onUpgrade = (request: UpgradeRequestLike, socket: Duplex, head: Uint8Array): void => {
    const answer = (status: number, reason: string): void => {
      socket.on('error', () => {});
      socket.end(new WebSocketError('WS_ERR_HANDSHAKE', reason, { httpStatus: status }).httpResponse());
    };
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
  // When the HTTP server closes, its WebSockets go too (1001). net.Server
  // counts upgraded sockets as connections, so `close()` would otherwise wait
  // for every WebSocket to end by itself; there is no "closing" event, so the
  // method is wrapped (and restored by `detach`).
  type Close = (this: unknown, callback?: (error?: Error) => void) => unknown;
  const target = server as unknown as { close: Close };
  const originalClose = target.close;
  const wrappedClose: Close = function (this: unknown, callback) {
    void manager.closeAll(1001, 'server closing');
    return originalClose.call(this, callback);
  };
  target.close = wrappedClose;
  return {
    manager,
    detach: () => {
      server.off('upgrade', onUpgrade);
      if (target.close === wrappedClose) target.close = originalClose;
    },
    shutdown: (closeOptions) => manager.shutdown(closeOptions),
  };
}
