/**
 * WebSockets in an Express 5 app (ws4py's CherryPy tool + plugin):
 * `app.ws(path, ...middlewares, handler)` declares a WebSocket route next to
 * the ordinary ones, and one {@link WebSocketManager} per app tracks every
 * connection and closes them with 1001 when the HTTP server closes.
 *
 * An upgrade request goes through the app like any GET: app-level
 * middleware and the route's own middleware run first and may answer it
 * (`res.status(401).send('no')` reaches the client as that HTTP response,
 * and no upgrade happens); a path without a WebSocket route gets Express's
 * own 404. Ordinary requests never see the WebSocket routes. Order counts as
 * for any route: middleware that answers every GET (`express.static` for
 * `/`, an SPA fallback) must come after the WebSocket routes it would shadow.
 *
 * Express is a peer dependency of this entry point only, and only its types
 * are used: nothing here loads `express` at run time.
 *
 * @module
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Express, Request, RequestHandler } from 'express';
import type { Handler } from '../handler.js';
import type { WebSocket } from '../websocket.js';
import type { UpgradeOptions } from './upgrade.js';
import type { WebSocketManager, CloseAllOptions } from './manager.js';
import type { Route } from './routes.js';
import { OptionsChecker, checkHandler, checkServer, checkUpgradeOptions, describe } from '../options.js';
import { RequestRegistry, closeWithServer, isPendingUpgrade, routeUpgrade } from './framework.js';
import { frameworkSetup, routeAcceptor, type FrameworkBounds } from './framework-setup.js';

export type { FrameworkBounds } from './framework-setup.js';

/** A route path as Express takes it. */
export type ExpressPath = string | RegExp | readonly (string | RegExp)[];

/** @deprecated The same as {@link Route}: a handler, or acceptor options with one (the app's manager is always used). */
export type ExpressRoute = Route;

/** The method {@link expressWebSockets} adds to the app. */
export interface WebSocketApplication {
  /**
   * Declare a WebSocket route: upgrade requests for `path` run through the
   * middlewares (any of which may answer and so refuse the upgrade), then
   * the last argument handles the connection. Plain GETs on `path` skip
   * this route entirely.
   */
  ws(path: ExpressPath, ...handlers: [...RequestHandler[], Route]): this;
}

/** Options of {@link expressWebSockets}: acceptor defaults for every route, plus where to listen. */
export interface ExpressWebSocketsOptions extends Partial<Omit<UpgradeOptions, 'handler'>>, FrameworkBounds {
  /** Serve upgrades of this server right away (same as calling `attach(server)`). */
  readonly server?: HttpServer | HttpsServer;
}

/** What {@link expressWebSockets} returns. */
export interface ExpressWebSockets<A extends Express> {
  /** The same app, now with `ws()`. */
  readonly app: A & WebSocketApplication;
  /** Every connection of every route of the app. */
  readonly manager: WebSocketManager;
  /**
   * Route the upgrades of `server` through the app and close its WebSockets
   * (1001) when it closes. Done automatically for servers made by
   * `app.listen()`. Returns a function that undoes it.
   */
  attach(server: HttpServer | HttpsServer): () => void;
  /** The `'upgrade'` listener itself, for servers you wire by hand. */
  readonly handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Uint8Array) => void;
  /** Stop accepting (503), close every connection with 1001 and wait until they are gone. */
  shutdown(options?: CloseAllOptions & { reason?: string }): Promise<void>;
}

const requests = new RequestRegistry<Request>();
const kApplied = Symbol('ws4ts.express');

/**
 * The Express request a connection was upgraded from, with whatever the
 * middlewares put on it (`req.user`, `res.locals` via `req.res`…).
 *
 * @example
 * ```ts
 * app.ws('/chat', authenticate, async (ws: WebSocket) => {
 *   const user = requestOf(ws)?.user;
 *   for await (const message of ws) ws.send(`${user}: ${String(message.data)}`);
 * });
 * ```
 */
export function requestOf(ws: WebSocket): Request | undefined {
  return requests.get(ws);
}

/** Sends plain GETs to the next route, so a WebSocket route's middlewares only see upgrades. */
const onlyUpgrades: RequestHandler = (request, _response, next) => {
  next(isPendingUpgrade(request) ? undefined : 'route');
};

/**
 * Add WebSocket routes to an Express 5 app.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { EchoWebSocket } from 'ws4ts';
 * import { expressWebSockets } from 'ws4ts/express';
 *
 * const { app, manager } = expressWebSockets(express());
 * app.get('/health', (req, res) => { res.send(`${manager.size} connections`); });
 * app.ws('/echo', EchoWebSocket);
 * app.ws('/private', (req, res, next) => (req.get('authorization') ? next() : res.status(401).send('no')), EchoWebSocket);
 * const server = app.listen(9000); // upgrades are routed; server.close() closes every WebSocket with 1001
 * ```
 */
export function expressWebSockets<A extends Express>(app: A, options: ExpressWebSocketsOptions = {}): ExpressWebSockets<A> {
  const where = 'expressWebSockets()';
  const candidate: unknown = app;
  if (typeof candidate !== 'function' || typeof (candidate as { get?: unknown }).get !== 'function' || typeof (candidate as { listen?: unknown }).listen !== 'function') {
    throw new TypeError(`${where}: app must be an Express application (express()), got ${describe(app)}`);
  }
  if (options.server !== undefined) checkServer(where, options.server, 'options.server');
  const { server: initialServer, ...rest } = options;
  const { defaults, manager, routingTimeout, shutdownTimeout } = frameworkSetup(where, rest);
  if ((app as { [kApplied]?: true })[kApplied]) throw new TypeError('expressWebSockets() was already applied to this app');
  const attached = new Map<HttpServer | HttpsServer, () => void>();

  function ws(path: ExpressPath, ...handlers: [...RequestHandler[], Route]): A {
    const route = handlers.pop() as Route | undefined;
    if (route === undefined) throw new TypeError('app.ws(path, ...middlewares, handler) needs a handler');
    if (!isExpressPath(path)) throw new TypeError(`app.ws(): path must be a string, a RegExp or an array of them, got ${describe(path)}`);
    const middlewares = handlers as RequestHandler[];
    middlewares.forEach((middleware, index) => {
      if (typeof middleware !== 'function') throw new TypeError(`app.ws(): middleware ${index + 1} must be a function, got ${describe(middleware)}`);
    });
    if (typeof route === 'object' && route !== null) {
      checkUpgradeOptions('app.ws()', route, { handlerRequired: true, prefix: 'route' });
      if (route.manager !== undefined && route.manager !== manager) {
        throw new TypeError("app.ws(): route.manager is not allowed: every route uses the app's manager (pass it as expressWebSockets(app, { manager }))");
      }
    }
    else checkHandler(new OptionsChecker('app.ws()', { handler: route }, 'arguments'), 'handler', true);
    const routeOptions = typeof route === 'function' ? { handler: route } : route;
    const acceptor = routeAcceptor({ ...defaults, ...routeOptions, manager }, requests);
    // Only upgrades get here (onlyUpgrades).
    const accept: RequestHandler = (request) => acceptor(request, request);
    // Express's typings want a mutable path array; it is only read.
    app.get(path as string, onlyUpgrades, ...middlewares, accept);
    return app;
  }

  const handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Uint8Array): void => {
    routeUpgrade(request, socket, head, app, routingTimeout);
  };

  const attach = (server: HttpServer | HttpsServer): (() => void) => {
    const existing = attached.get(server);
    if (existing !== undefined) return existing;
    server.on('upgrade', handleUpgrade);
    const restoreClose = closeWithServer(server, manager, { timeout: shutdownTimeout });
    const detach = (): void => {
      server.off('upgrade', handleUpgrade);
      restoreClose();
      attached.delete(server);
    };
    attached.set(server, detach);
    return detach;
  };

  // app.listen() creates its server inside; attach it on the way out, before
  // it can accept anything (listening is asynchronous).
  type Listen = (this: A, ...args: unknown[]) => unknown;
  const target = app as unknown as { listen: Listen; ws: typeof ws };
  const originalListen = target.listen;
  target.listen = function (this: A, ...args: unknown[]) {
    const server = originalListen.apply(this, args);
    if (isHttpServer(server)) attach(server);
    return server;
  };
  target.ws = ws;
  Object.defineProperty(app, kApplied, { value: true });
  if (initialServer !== undefined) attach(initialServer);

  return {
    app: app as A & WebSocketApplication,
    manager,
    attach,
    handleUpgrade,
    shutdown: (closeOptions) => manager.shutdown(closeOptions),
  };
}

function isExpressPath(path: unknown): boolean {
  const one = (p: unknown): boolean => typeof p === 'string' || p instanceof RegExp;
  return one(path) || (Array.isArray(path) && path.every(one));
}

function isHttpServer(value: unknown): value is HttpServer {
  return typeof value === 'object' && value !== null && 'on' in value && 'close' in value && 'listen' in value;
}
