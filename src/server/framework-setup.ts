/**
 * The acceptor set-up the Express and Fastify integrations share: checking
 * and splitting their options (the acceptor defaults every route inherits,
 * the one manager, the routing and shutdown bounds), and the per-route
 * acceptor that takes over an upgrade the framework routed to it.
 *
 * @module
 * @internal
 */
import type { IncomingMessage } from 'node:http';
import { OptionsChecker, checkUpgradeOptions } from '../options.js';
import { upgradeHandler, type UpgradeOptions } from './upgrade.js';
import { WebSocketManager } from './manager.js';
import { DEFAULT_ROUTING_TIMEOUT, claimUpgrade, type RequestRegistry } from './framework.js';

/** The options a framework integration takes besides the acceptor defaults. */
export interface FrameworkBounds {
  /** When the server closes: ms the close handshakes may take before stragglers are dropped. Default 5,000. */
  readonly shutdownTimeout?: number;
  /**
   * Time (ms) the app's middleware has to route an upgrade to a WebSocket
   * route or answer it; after that the socket is refused. Default 10,000.
   */
  readonly routingTimeout?: number;
}

/** What {@link frameworkSetup} gives an integration. */
export interface FrameworkSetup<D> {
  /** The acceptor defaults every route inherits (the options minus the integration's own). */
  readonly defaults: D;
  /** The manager of every connection of every route. */
  readonly manager: WebSocketManager;
  /** The bound on routing an upgrade (`routingTimeout`, or the deprecated `handshakeTimeout`). */
  readonly routingTimeout: number;
  readonly shutdownTimeout: number | undefined;
}

/** Check an integration's options (throws TypeError/RangeError) and split them. */
export function frameworkSetup<O extends Partial<Omit<UpgradeOptions, 'handler'>> & FrameworkBounds>(
  where: string,
  options: O,
): FrameworkSetup<Omit<O, keyof FrameworkBounds>> {
  checkUpgradeOptions(where, options);
  const checker = new OptionsChecker(where, options);
  checker.duration('shutdownTimeout', { zero: true });
  checker.duration('routingTimeout');
  const { shutdownTimeout, routingTimeout, ...defaults } = options;
  return {
    defaults,
    manager: options.manager ?? new WebSocketManager(),
    routingTimeout: routingTimeout ?? options.handshakeTimeout ?? DEFAULT_ROUTING_TIMEOUT,
    shutdownTimeout,
  };
}

/**
 * One acceptor for one route, built once (not per upgrade). The returned
 * function takes an upgrade the framework routed here: unless it was
 * answered meanwhile or timed out, it claims the socket, remembers the
 * framework's request for `requestOf(ws)`, and opens the WebSocket.
 */
export function routeAcceptor<R extends object>(options: UpgradeOptions, registry: RequestRegistry<R>): (raw: IncomingMessage, request: R) => void {
  const acceptor = upgradeHandler(options);
  return (raw, request) => {
    const claimed = claimUpgrade(raw);
    if (claimed === undefined) return;
    registry.set(raw, request);
    acceptor(raw, claimed.socket, claimed.head);
  };
}
