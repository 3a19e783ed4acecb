/**
 * What the Express and Fastify integrations share: routing an HTTP upgrade
 * through the framework's own router (so its middleware and hooks run and
 * may answer), and closing WebSockets when the HTTP server closes.
 *
 * Node's `'upgrade'` event hands over a bare socket with no response object.
 * {@link routeUpgrade} builds a `ServerResponse` on that socket and lets the
 * framework handle the request like any other: whatever it answers (a 401
 * from an auth middleware, its 404 for an unknown path, a 500 for an error)
 * goes out on the socket as a normal HTTP response, after which the socket
 * is closed. A WebSocket route instead {@link claimUpgrade | claims} the
 * socket, detaching it from the response, and gives it to the acceptor.
 *
 * No framework is imported here: only node:http.
 *
 * @module
 * @internal
 */
import { ServerResponse, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketError } from '../protocol/errors.js';
import type { WebSocket } from '../websocket.js';
import type { WebSocketManager } from './manager.js';
import { reportCallbackError } from './upgrade.js';
import { refuse } from './refuse.js';

const kUpgrade = Symbol('ws4ts.upgrade');

/** An upgrade request on its way through a framework's router. */
interface PendingUpgrade {
  readonly socket: Duplex;
  readonly head: Uint8Array;
  readonly response: ServerResponse;
  timer: ReturnType<typeof setTimeout> | undefined;
  claimed: boolean;
}

type Marked = IncomingMessage & { [kUpgrade]?: PendingUpgrade };

/** The socket and early bytes of an upgrade a WebSocket route has claimed. */
export interface ClaimedUpgrade {
  readonly socket: Duplex;
  readonly head: Uint8Array;
}

/** Default time (ms) the framework has to route an upgrade to a WebSocket route or answer it. */
export const DEFAULT_ROUTING_TIMEOUT = 10_000;

function ignore(): void {}

/**
 * Close `socket` after what was written has been sent. The reader is resumed
 * so the client's FIN is seen; the timer stops a client that never closes
 * from holding the socket (and `server.close()`) for long.
 */
function endSocket(socket: Duplex): void {
  if (socket.destroyed) return;
  socket.resume();
  socket.end();
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** End the routing of `pending`: whoever calls this owns the socket. False if it was already over. */
function settle(pending: PendingUpgrade): boolean {
  if (pending.claimed) return false;
  pending.claimed = true;
  clearTimeout(pending.timer);
  pending.timer = undefined;
  if (pending.response.socket === pending.socket) pending.response.detachSocket(pending.socket as Socket);
  return true;
}

/**
 * Route the upgrade `request` through `dispatch` (the framework's request
 * handler) with a response written to `socket`. Anything the framework
 * answers ends the socket; a WebSocket route calls {@link claimUpgrade}.
 * If neither happens within `timeout` ms the client gets 408.
 */
export function routeUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  head: Uint8Array,
  dispatch: (request: IncomingMessage, response: ServerResponse) => void,
  timeout: number = DEFAULT_ROUTING_TIMEOUT,
): void {
  socket.on('error', ignore);
  const response = new ServerResponse(request);
  // Whatever the framework answers is the last thing on this socket: there
  // is no HTTP parser behind it any more to read a next request.
  response.shouldKeepAlive = false;
  const pending: PendingUpgrade = { socket, head, response, timer: undefined, claimed: false };
  try {
    // ServerResponse only needs write/cork/uncork/on('close'), which every
    // socket node:http hands to 'upgrade' has. It refuses a socket that
    // still carries another response (a pipelined request).
    response.assignSocket(socket as Socket);
  } catch {
    socket.destroy();
    return;
  }
  pending.timer = setTimeout(() => {
    if (response.headersSent || !settle(pending)) return;
    // The socket is taken back first, so a late answer from the framework goes nowhere.
    if (socket.destroyed) return;
    socket.resume(); // see the client's FIN
    refuse(socket, new WebSocketError('WS_ERR_HANDSHAKE', 'Handshake timeout', { status: 408 }));
  }, timeout);
  // Unref'd: a pending upgrade must not keep the process alive; when the
  // socket closes first, the timer finds it destroyed and does nothing.
  pending.timer.unref();
  (request as Marked)[kUpgrade] = pending;
  response.once('finish', () => {
    if (settle(pending)) endSocket(socket);
  });
  try {
    dispatch(request, response);
  } catch (error) {
    // A framework that throws synchronously has answered nothing we can
    // trust; the error is reported, not lost.
    reportCallbackError('the framework router', error);
    settle(pending);
    socket.destroy();
  }
}

/** True when `request` is an upgrade routed by {@link routeUpgrade} that nobody has claimed yet. */
export function isPendingUpgrade(request: IncomingMessage): boolean {
  const pending = (request as Marked)[kUpgrade];
  return pending !== undefined && !pending.claimed;
}

/**
 * Take the socket of an upgrade request away from its response, for the
 * acceptor. Returns undefined when `request` is not a pending upgrade, or it
 * was already answered (the response's headers went out) or timed out.
 */
export function claimUpgrade(request: IncomingMessage): ClaimedUpgrade | undefined {
  const pending = (request as Marked)[kUpgrade];
  if (pending === undefined || pending.response.headersSent || !settle(pending)) return undefined;
  const { socket, head } = pending;
  socket.off('error', ignore);
  // A client that hung up while the framework was routing: its end of
  // stream has been read already and a WebSocket would never hear of it.
  if (socket.destroyed || socket.readableEnded) {
    socket.destroy();
    return undefined;
  }
  return { socket, head };
}

type Close = (this: unknown, callback?: (error?: Error) => void) => unknown;

/**
 * Make `server.close()` also close every connection of `manager` with 1001.
 * net.Server counts upgraded sockets as its connections, so without this
 * `close()` would wait for every WebSocket to end by itself; there is no
 * "closing" event, so the method is wrapped. Connections still open after
 * `timeout` ms (default: the manager's 5,000) are terminated. Returns a
 * function that restores it.
 */
export function closeWithServer(
  server: HttpServer | HttpsServer | { close: unknown },
  manager: WebSocketManager,
  { timeout, then }: { timeout?: number | undefined; then?: () => void } = {},
): () => void {
  const target = server as unknown as { close: Close };
  const originalClose = target.close;
  const wrappedClose: Close = function (this: unknown, callback) {
    // `then` runs once the connections are closed (attach: the HTTP/2 sessions go after their streams).
    void manager
      .closeAll(1001, 'server closing', timeout === undefined ? {} : { timeout })
      .then(then)
      .catch(() => {});
    return originalClose.call(this, callback);
  };
  target.close = wrappedClose;
  return () => {
    if (target.close === wrappedClose) target.close = originalClose;
  };
}

/**
 * Remembers the framework request each connection came from, so handlers
 * can read what middleware put on it. The key is the request's `headers`
 * object, which the acceptor passes on as `ws.request.headers`: the entry is
 * made before the handler starts and lives exactly as long as the connection.
 */
export class RequestRegistry<R extends object> {
  readonly #requests = new WeakMap<object, R>();

  /** Remember `request` for the connection that will be made from `raw`. */
  set(raw: IncomingMessage, request: R): void {
    this.#requests.set(raw.headers, request);
  }

  /** The framework request `ws` was upgraded from, if it came through this integration. */
  get(ws: WebSocket): R | undefined {
    const headers = ws.request?.headers;
    return headers === undefined ? undefined : this.#requests.get(headers);
  }
}
