/**
 * WebSockets in a Fastify 5 app (ws4py's CherryPy tool + plugin): register
 * {@link ws4tsFastify} once, then declare routes with `{ websocket: true }`
 * and any ws4ts handler. The plugin decorates `fastify.websocketManager`,
 * one {@link WebSocketManager} for the whole app, and `fastify.close()`
 * closes every connection with 1001 before the server stops.
 *
 * An upgrade request goes through Fastify's router like any GET, so the
 * route's `onRequest`/`preValidation`/`preHandler` hooks (and those of its
 * plugins) run first and may answer it — `reply.code(401).send('no')`
 * reaches the client as that HTTP response and no upgrade happens; a path
 * without a route gets Fastify's 404. A plain GET on a WebSocket route is
 * answered 426, or by the route's `httpHandler`.
 *
 * Fastify is a peer dependency of this entry point only, and only its types
 * are used: nothing here loads `fastify` at run time (the plugin opts out of
 * encapsulation with the `skip-override` symbol instead of `fastify-plugin`).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContextConfigDefault, FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, FastifySchema, RouteGenericInterface, RouteHandlerMethod } from 'fastify';
import type { Handler } from '../handler.js';
import type { WebSocket } from '../websocket.js';
import type { UpgradeOptions } from './upgrade.js';
import type { WebSocketManager } from './manager.js';
import { OptionsChecker, checkHandler, checkUpgradeOptions } from '../options.js';
import { RequestRegistry, isPendingUpgrade, routeUpgrade } from './framework.js';
import { frameworkSetup, routeAcceptor, type FrameworkBounds, type FrameworkSetup } from './framework-setup.js';

/** What a plain (non-upgrade) request to a WebSocket route gets instead of 426. */
export type HttpFallback = RouteHandlerMethod;
export type { FrameworkBounds } from './framework-setup.js';

/** Per-route acceptor options: `{ websocket: { protocols: ['chat'] } }` (the app's manager is always used). */
export interface WebSocketRouteOptions extends Partial<Omit<UpgradeOptions, 'handler' | 'manager'>> {
  /** Answers plain GETs on this route. Default: the plugin's, else 426 Upgrade Required. */
  readonly httpHandler?: HttpFallback;
}

/** Options of {@link ws4tsFastify}: acceptor defaults for every WebSocket route. */
export interface FastifyWebSocketOptions extends Partial<Omit<UpgradeOptions, 'handler'>>, FrameworkBounds {
  /** Answers plain GETs on WebSocket routes. Default: 426 Upgrade Required. */
  readonly httpHandler?: HttpFallback;
}

// An augmentation names only the type parameters its members use: TypeScript
// merges it with Fastify's declaration, whose constraints and defaults apply.
declare module 'fastify' {
  interface FastifyInstance {
    /** Every WebSocket connection of the app (added by ws4ts's Fastify plugin). */
    websocketManager: WebSocketManager;
  }

  interface RouteShorthandOptions {
    /** Make this GET route a WebSocket endpoint whose handler is a ws4ts handler (needs ws4ts's Fastify plugin). */
    websocket?: boolean | WebSocketRouteOptions;
  }

  interface RouteShorthandMethod<RawServer, RawRequest, RawReply, TypeProvider, Logger> {
    /** A WebSocket route: `fastify.get('/chat', { websocket: true }, EchoWebSocket)`. */
    <RouteGeneric extends RouteGenericInterface = RouteGenericInterface, ContextConfig = ContextConfigDefault, const SchemaCompiler extends FastifySchema = FastifySchema>(
      path: string,
      opts: RouteShorthandOptions<RawServer, RawRequest, RawReply, RouteGeneric, ContextConfig, SchemaCompiler, TypeProvider, Logger> & {
        websocket: true | WebSocketRouteOptions;
      },
      handler: Handler,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;
  }
}

const requests = new RequestRegistry<FastifyRequest>();

/**
 * The Fastify request a connection was upgraded from, with whatever hooks
 * and decorators put on it.
 *
 * @example
 * ```ts
 * fastify.get('/me', { websocket: true, preHandler: authenticate }, async (ws: WebSocket) => {
 *   ws.send(`hello ${requestOf(ws)?.user}`);
 * });
 * ```
 */
export function requestOf(ws: WebSocket): FastifyRequest | undefined {
  return requests.get(ws);
}

function upgradeRequired(_request: FastifyRequest, reply: FastifyReply): void {
  // RFC 9110 §15.5.22: a 426 names the protocol to switch to.
  void reply.code(426).header('Upgrade', 'websocket').type('text/plain; charset=utf-8').send('This is a WebSocket endpoint: upgrade required\n');
}

/**
 * The Fastify plugin. Not encapsulated: `websocketManager` and the
 * `{ websocket: true }` routes work app-wide. Register it (and await that,
 * or register your routes in a later plugin) before declaring WebSocket
 * routes, as with any `onRoute`-based plugin.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { EchoWebSocket, type WebSocket } from 'ws4ts';
 * import { ws4tsFastify } from 'ws4ts/fastify';
 *
 * const fastify = Fastify();
 * await fastify.register(ws4tsFastify);
 * fastify.get('/health', async () => ({ connections: fastify.websocketManager.size }));
 * fastify.get('/echo', { websocket: true }, EchoWebSocket);
 * fastify.get('/shout', { websocket: true, onRequest: checkToken }, async (ws: WebSocket) => {
 *   for await (const message of ws) ws.send(String(message.data).toUpperCase());
 * });
 * await fastify.listen({ port: 9000 }); // fastify.close() closes every WebSocket with 1001
 * ```
 */
export const ws4tsFastify: FastifyPluginCallback<FastifyWebSocketOptions> = (fastify, options, done) => {
  let setup: FrameworkSetup<Omit<FastifyWebSocketOptions, 'httpHandler' | keyof FrameworkBounds>>;
  let defaultHttpHandler: HttpFallback | undefined;
  try {
    new OptionsChecker('ws4tsFastify', options).function('httpHandler');
    const { httpHandler, ...rest } = options;
    setup = frameworkSetup('ws4tsFastify', rest);
    defaultHttpHandler = httpHandler;
  } catch (error) {
    // A plugin reports through done(): register() then rejects with the error.
    done(error as Error);
    return;
  }
  const { defaults, manager, routingTimeout, shutdownTimeout } = setup;
  fastify.decorate('websocketManager', manager);

  fastify.addHook('onRoute', (routeOptions) => {
    const websocket = routeOptions.websocket;
    if (websocket === undefined || websocket === false) return;
    const where = `${routeOptions.method} ${routeOptions.url}`;
    if (websocket !== true) {
      checkUpgradeOptions(where, websocket, { prefix: 'websocket' });
      new OptionsChecker(where, websocket, 'websocket').function('httpHandler');
    }
    checkHandler(new OptionsChecker(where, { handler: routeOptions.handler }, 'route'), 'handler', true);
    const routeDefaults: WebSocketRouteOptions = websocket === true ? {} : websocket;
    const { httpHandler = defaultHttpHandler ?? upgradeRequired, ...acceptorOptions } = routeDefaults;
    // The declared handler is a ws4ts handler, not a Fastify one (see the RouteShorthandMethod overload).
    const handler = routeOptions.handler as unknown as Handler;
    const acceptor = routeAcceptor({ ...defaults, ...acceptorOptions, handler, manager }, requests);
    routeOptions.handler = function (this: FastifyInstance, request, reply) {
      const raw: IncomingMessage = request.raw;
      if (!isPendingUpgrade(raw)) return httpHandler.call(this, request, reply);
      // Fastify must not answer or run its response hooks: the socket is ours now.
      void reply.hijack();
      acceptor(raw, request);
    };
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Uint8Array): void => {
    routeUpgrade(request, socket, head, fastify.routing, routingTimeout);
  };
  fastify.server.on('upgrade', onUpgrade);
  // preClose runs before Fastify closes its server, which would otherwise
  // wait for every WebSocket to end by itself. Upgrades arriving from now on
  // get Fastify's 503 (the router is already closing).
  fastify.addHook('preClose', async () => {
    await manager.closeAll(1001, 'server closing', shutdownTimeout === undefined ? {} : { timeout: shutdownTimeout });
  });
  fastify.addHook('onClose', async () => {
    fastify.server.off('upgrade', onUpgrade);
  });
  done();
};
// Not encapsulated (what fastify-plugin does): the decorator and onRoute hook
// apply to the whole app.
Object.assign(ws4tsFastify, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'ws4ts',
  [Symbol.for('plugin-meta')]: { name: 'ws4ts', fastify: '5.x' },
});

/** Same plugin, as the default export (`fastify.register(import('ws4ts/fastify'))`). */
export default ws4tsFastify;
