/**
 * Routing upgrades to handlers, shared by `attach` and `serve`.
 *
 * @module
 */
import {
  handshakeAcceptor,
  upgradeListener,
  type HandshakeAcceptor,
  type UpgradeListener,
  type UpgradeOptions,
  type UpgradeRequest,
} from './upgrade.js';
import type { Handler } from '../handler.js';

/**
 * A route, for every server of the family (`serve`, `upgradeHandler` routes,
 * Express's `app.ws`): a handler, or the full acceptor options for that path.
 * Where the server owns the manager (Express), a route gives no `manager`.
 */
export type Route = Handler | UpgradeOptions;
/** Routes by exact path (`/chat`), or a function choosing a route per request. */
export type Routes = Readonly<Record<string, Route>> | ((request: UpgradeRequest) => Route | undefined);

/** The path of a request target: origin-form or absolute-form, without the query. */
export function pathOf(url: string | undefined): string {
  let path = url ?? '/';
  const scheme = path.indexOf('://');
  if (scheme !== -1) {
    const slash = path.indexOf('/', scheme + 3);
    path = slash === -1 ? '/' : path.slice(slash);
  }
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

/** The route for `request`, or undefined (answer 404). A routes function may throw. */
export function findRoute(routes: Routes, request: UpgradeRequest): Route | undefined {
  if (typeof routes === 'function') return routes(request);
  const path = pathOf(request.url);
  return Object.hasOwn(routes, path) ? routes[path] : undefined;
}

/**
 * One acceptor per route, built on first use and kept as long as the route
 * object lives (a routes function returning a fresh object each time gets a
 * fresh acceptor, which the garbage collector reclaims with it).
 */
export class Acceptors {
  readonly #defaults: Partial<UpgradeOptions>;
  readonly #built = new WeakMap<Route, { core: HandshakeAcceptor; upgrade: UpgradeListener }>();

  constructor(defaults: Partial<UpgradeOptions>) {
    this.#defaults = defaults;
  }

  #build(route: Route): { core: HandshakeAcceptor; upgrade: UpgradeListener } {
    let built = this.#built.get(route);
    if (built === undefined) {
      const core = handshakeAcceptor(typeof route === 'function' ? { ...this.#defaults, handler: route } : { ...this.#defaults, ...route });
      built = { core, upgrade: upgradeListener(core) };
      this.#built.set(route, built);
    }
    return built;
  }

  /** The HTTP/1.1 acceptor for `route`. */
  for(route: Route): UpgradeListener {
    return this.#build(route).upgrade;
  }

  /** The acceptor core for `route` (HTTP/2 streams use it with their own carrier). */
  core(route: Route): HandshakeAcceptor {
    return this.#build(route).core;
  }
}
