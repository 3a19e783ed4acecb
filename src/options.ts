/**
 * Options checking for every public entry (`connect`, `serve`, `attach`,
 * `upgradeHandler`, the Express and Fastify integrations, the manager,
 * permessage-deflate), and the defaults of those entries in one place.
 *
 * Each checker runs before any I/O and throws a `TypeError` (wrong type) or
 * a `RangeError` (a number out of range) whose message names the option,
 * the value it got and what is accepted:
 * `connect(): options.timeout must be a number of ms > 0, got "5000" (a string)`.
 * Unknown keys are left alone (options objects are shared between layers
 * and often spread into one another). `undefined` always means "default".
 * The checker itself is in `src/protocol/check.ts` (pure, so every layer
 * may use it); the deflate options' in `src/extensions/deflate-options.ts`.
 *
 * @module
 */
import { OptionsChecker, describe } from './protocol/check.js';
import { checkDeflateOptions } from './extensions/deflate-options.js';
import { DEFAULT_LIMITS } from './protocol/message.js';
import { WebSocket } from './websocket/websocket.js';

export { OptionsChecker, describe, checkDeflateOptions };

/** Defaults of the public entries (the WebSocket's own live in `src/websocket`, the protocol limits in `DEFAULT_LIMITS`). */
export const DEFAULTS = Object.freeze({
  /** `connect()`: opening handshake timeout (ms). */
  connectTimeout: 10_000,
  /** Servers: time `verify` has to answer before the upgrade is refused with 408 (ms). */
  verifyTimeout: 10_000,
  /** `serve()`: time a client has to send its whole upgrade request (and finish TLS) before it is dropped (ms). */
  headerTimeout: 10_000,
  /** Express and Fastify: time the framework has to route an upgrade to a WebSocket route or answer it (ms). */
  routingTimeout: 10_000,
  /** @deprecated The old name of `headerTimeout` and `verifyTimeout` (both 10 s). */
  handshakeTimeout: 10_000,
  /** Servers: keepalive ping interval (ms); clients have none by default. */
  serverPingInterval: 20_000,
  /** `serve()`: TCP port when neither `port` nor `path` is given. */
  port: 9000,
  /** `serve()`: interface to bind. */
  host: '127.0.0.1',
  /** The manager: slow-consumer threshold of broadcasts (bytes). */
  maxBufferedAmount: 4 * 1024 * 1024,
  /** The protocol limits (`maxPayload`, `maxFragments`). */
  limits: DEFAULT_LIMITS,
});

/** True for `WebSocket` and its subclasses. */
function isWebSocketClass(value: unknown): boolean {
  return value === WebSocket || (typeof value === 'function' && value.prototype instanceof WebSocket);
}

const HANDLER = 'a handler: a WebSocket subclass, a function (ws) => …, or an observable function (messages$, ws) => …';

/** A handler (any of the three shapes); a class must extend WebSocket. */
export function checkHandler(c: OptionsChecker, name = 'handler', required = false): void {
  const value = c.value(name);
  if (value === undefined && !required) return;
  if (typeof value !== 'function') throw new TypeError(`${c.path(name)} must be ${HANDLER}, got ${describe(value)}`);
  // A class that is not a WebSocket would be called as a function and throw on every connection.
  if (!isWebSocketClass(value) && /^class[\s{]/.test(Function.prototype.toString.call(value))) {
    throw new TypeError(`${c.path(name)} is a class that does not extend WebSocket: ${describe(value)}`);
  }
}

/** The options every WebSocket takes (`WebSocketOptions` and the protocol limits). */
export function checkWebSocketOptions(c: OptionsChecker): void {
  c.count('maxPayload', 'bytes');
  c.count('maxFragments', 'frames');
  c.duration('pingInterval', { nullable: true });
  c.duration('pongTimeout');
  c.duration('idleTimeout', { nullable: true });
  c.duration('closeTimeout');
  c.count('highWaterMark', 'messages');
  c.count('highWaterMarkBytes', 'bytes');
  c.count('writeHighWaterMark', 'bytes', 0);
  if (c.value('maxBufferedAmount') !== null) c.count('maxBufferedAmount', 'bytes'); // null: unbounded
  c.boolean('autoPong');
}

/** `deflate`: a boolean, or {@link checkDeflateOptions} options. */
function checkDeflate(c: OptionsChecker, where: string): void {
  const value = c.value('deflate');
  if (value === undefined || typeof value === 'boolean') return;
  c.object('deflate', 'true, false or an object of permessage-deflate options');
  checkDeflateOptions(where, value, 'options.deflate');
}

function checkExtensions(c: OptionsChecker): void {
  c.array(
    'extensions',
    (f) => typeof f === 'object' && f !== null && typeof (f as { offer?: unknown }).offer === 'function' && typeof (f as { accept?: unknown }).accept === 'function',
    'an array of extension factories (such as permessageDeflate())',
  );
}

/** Options of `connect(url, options)`. */
export function checkConnectOptions(options: unknown, where = 'connect()'): void {
  const c = new OptionsChecker(where, options);
  checkWebSocketOptions(c);
  c.protocols();
  c.headers();
  c.string('origin');
  c.duration('timeout');
  c.duration('handshakeTimeout');
  c.instance('signal', AbortSignal, 'an AbortSignal');
  checkDeflate(c, where);
  checkExtensions(c);
  c.object('tls', 'an object of TLS options');
  const Class = c.value('WebSocketClass');
  if (Class !== undefined && !isWebSocketClass(Class)) {
    throw new TypeError(`${where}: options.WebSocketClass must be WebSocket or a subclass, got ${describe(Class)}`);
  }
}

/** A manager, recognised by shape (this layer does not import the server's). */
function checkManager(c: OptionsChecker): void {
  const value = c.value('manager') as { add?: unknown; remove?: unknown } | undefined;
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || typeof value.add !== 'function' || typeof value.remove !== 'function') {
    throw new TypeError(`${c.path('manager')} must be a WebSocketManager, got ${describe(value)}`);
  }
}

/** Options of the acceptor (`upgradeHandler`, and the defaults of every server). */
export function checkUpgradeOptions(where: string, options: unknown, { handlerRequired = false, prefix = 'options' } = {}): void {
  const c = new OptionsChecker(where, options, prefix);
  checkWebSocketOptions(c);
  checkHandler(c, 'handler', handlerRequired);
  c.protocols('protocols', { orFunction: true });
  if (typeof c.value('origins') !== 'function') c.array('origins', (o) => typeof o === 'string', 'an array of origins (strings), or a function');
  c.function('verify');
  checkDeflate(c, where);
  checkExtensions(c);
  c.headers();
  c.duration('verifyTimeout');
  c.duration('handshakeTimeout');
  c.function('onConnection');
  checkManager(c);
}

/** A routes object (every value a handler or acceptor options with one) or a routes function. */
export function checkRoutes(where: string, routes: unknown, name = 'routes'): void {
  if (typeof routes === 'function') return;
  if (typeof routes !== 'object' || routes === null || Array.isArray(routes)) {
    throw new TypeError(`${where}: ${name} must be an object of paths to handlers, or a function of the request, got ${describe(routes)}`);
  }
  const c = new OptionsChecker(where, routes, name);
  for (const [path, route] of Object.entries(routes)) {
    if (typeof route === 'function') checkHandler(c, path, true);
    else if (typeof route === 'object' && route !== null && !Array.isArray(route)) checkUpgradeOptions(where, route, { handlerRequired: true, prefix: `${name}[${JSON.stringify(path)}]` });
    else throw new TypeError(`${c.path(path)} must be ${HANDLER}, or options with one, got ${describe(route)}`);
  }
}

/** Options of `serve()`. */
export function checkServeOptions(options: unknown): void {
  const where = 'serve()';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where}: options must be an object with a handler or routes, got ${describe(options)}`);
  checkUpgradeOptions(where, options);
  const c = new OptionsChecker(where, options);
  c.number('port', 'an integer port from 0 to 65535', { min: 0, max: 65535, integer: true });
  c.string('host');
  c.string('path');
  c.object('tls', 'an object of TLS options ({ key, cert } at least)');
  const { handler, routes } = options as { handler?: unknown; routes?: unknown };
  if (handler === undefined && routes === undefined) throw new TypeError(`${where}: options need a handler or routes`);
  if (handler !== undefined && routes !== undefined) throw new TypeError(`${where}: options take a handler or routes, not both (routes would win and the handler never run)`);
  if (routes !== undefined) checkRoutes(where, routes, 'options.routes');
  c.count('maxHeaderBytes', 'bytes');
  c.count('maxHeaderCount', 'header fields');
  c.duration('headerTimeout');
  c.function('onRequest');
  c.boolean('http2');
  c.function('onStream');
}

/** Options of `new WebSocketManager(options)`. */
export function checkManagerOptions(options: unknown): void {
  const where = 'new WebSocketManager()';
  const c = new OptionsChecker(where, options);
  c.count('maxBufferedAmount', 'bytes', 0);
  const bus = c.value('bus') as { publish?: unknown; listen?: unknown } | undefined;
  if (bus !== undefined && (typeof bus !== 'object' || bus === null || typeof bus.publish !== 'function' || typeof bus.listen !== 'function')) {
    throw new TypeError(`${where}: options.bus must be a BroadcastBus (an object with publish() and listen()), got ${describe(bus)}`);
  }
}

/** A node:http / node:https server (anything with `on` and `close`). */
export function checkServer(where: string, server: unknown, name = 'server'): void {
  const s = server as { on?: unknown; close?: unknown } | null | undefined;
  if (typeof s !== 'object' || s === null || typeof s.on !== 'function' || typeof s.close !== 'function') {
    throw new TypeError(`${where}: ${name} must be a node:http or node:https server, got ${describe(server)}`);
  }
}
