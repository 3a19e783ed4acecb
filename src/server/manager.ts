/**
 * `WebSocketManager`: the live connections of a server (ws4py's manager,
 * rebuilt). Every server owns one; connections join when open and leave
 * when closed.
 *
 * Broadcasts frame the message once and write the same bytes to every
 * connection; per-connection failures are reported, never swallowed; a slow
 * consumer (one whose `bufferedAmount` is over a limit) is skipped or closed
 * rather than allowed to stall the others or grow memory. Topics give
 * chat-room fan-out. Publishing goes through a {@link BroadcastBus}, so an
 * adapter for an external engine (Redis pub/sub) can carry it across
 * processes and hosts later without changing callers.
 *
 * @module
 */
import { Subject, type Observable } from 'rxjs';
import { WebSocketError } from '../protocol/errors.js';
import { ReadyState } from '../protocol/connection.js';
import { DEFAULTS, checkManagerOptions } from '../options.js';
import { prepareMessage, type PreparedMessage, type SendData, type WebSocket } from '../websocket.js';

/** What to do with a connection whose `bufferedAmount` is over the limit. */
export type SlowConsumerPolicy = 'skip' | 'close';

/** Options of {@link WebSocketManager.broadcast}. */
export interface BroadcastOptions {
  /** Send only to connections for which this returns true. */
  filter?: (ws: WebSocket) => boolean;
  /** Do not send to this connection (usually the sender) or these. */
  except?: WebSocket | Iterable<WebSocket>;
  /**
   * A connection with more than this many bytes buffered is a slow consumer.
   * Default: the manager's `maxBufferedAmount` (4 MiB).
   */
  maxBufferedAmount?: number;
  /** Skip a slow consumer (default) or close it with 1008. */
  slowConsumer?: SlowConsumerPolicy;
}

/** What a broadcast did, connection by connection. */
export interface BroadcastResult {
  /** Connections the message was queued on. */
  readonly sent: number;
  /** Slow consumers skipped (or closed, with policy `close`). */
  readonly slow: readonly WebSocket[];
  /** Connections where sending threw, with the error. */
  readonly failed: readonly { readonly ws: WebSocket; readonly error: unknown }[];
}

/**
 * Carries topic messages. The default bus delivers in-process; an adapter for
 * an external engine implements the same two methods.
 */
export interface BroadcastBus {
  /** Deliver `data` to every subscriber of `topic` (in every process the bus reaches). */
  publish(topic: string, data: SendData): void | Promise<void>;
  /** Register the local delivery function; called once by the manager. */
  listen(deliver: (topic: string, data: SendData) => void): void;
}

/** The in-process bus: publish delivers at once to this process's subscribers. */
export class LocalBus implements BroadcastBus {
  #deliver: ((topic: string, data: SendData) => void) | undefined;
  publish(topic: string, data: SendData): void {
    this.#deliver?.(topic, data);
  }
  listen(deliver: (topic: string, data: SendData) => void): void {
    this.#deliver = deliver;
  }
}

/** Options of {@link WebSocketManager}. */
export interface ManagerOptions {
  /** Default slow-consumer threshold for broadcasts, in bytes. Default 4 MiB. */
  maxBufferedAmount?: number;
  /** The bus topics travel on. Default {@link LocalBus}. */
  bus?: BroadcastBus;
}

/** Options of {@link WebSocketManager.closeAll}. */
export interface CloseAllOptions {
  /** Terminate connections whose close handshake is not over after this many ms. Default 5,000. */
  timeout?: number;
}

/**
 * The set of live connections of a server.
 *
 * @example
 * ```ts
 * const manager = server.manager;
 * manager.broadcast('server restarting');
 * await manager.closeAll(1001, 'bye');
 * ```
 */
export class WebSocketManager implements Iterable<WebSocket> {
  readonly #connections = new Set<WebSocket>();
  readonly #topics = new Map<string, Set<WebSocket>>();
  readonly #subscriptions = new Map<WebSocket, Set<string>>();
  readonly #maxBuffered: number;
  readonly #bus: BroadcastBus;
  #added: Subject<WebSocket> | undefined;
  #accepting = true;
  #shutdownReason = '';
  #stopHooks: (() => void | Promise<void>)[] = [];
  #drained: (() => void)[] = [];
  readonly #remove = (ws: WebSocket): void => this.remove(ws);

  constructor(options: ManagerOptions = {}) {
    checkManagerOptions(options);
    this.#maxBuffered = options.maxBufferedAmount ?? DEFAULTS.maxBufferedAmount;
    this.#bus = options.bus ?? new LocalBus();
    this.#bus.listen((topic, data) => this.#deliverTopic(topic, data));
  }

  /** Number of live connections. */
  get size(): number {
    return this.#connections.size;
  }

  [Symbol.iterator](): Iterator<WebSocket> {
    return this.#connections[Symbol.iterator]();
  }

  /** New connections, as they open. */
  get connections$(): Observable<WebSocket> {
    return (this.#added ??= new Subject<WebSocket>()).asObservable();
  }

  /** Track `ws` until it closes. Servers call this for every connection. */
  add(ws: WebSocket): void {
    if (ws.readyState === ReadyState.CLOSED || this.#connections.has(ws)) return;
    this.#connections.add(ws);
    ws.onceClosed(this.#remove);
    if (!this.#accepting) {
      // Accepted during a shutdown (its upgrade was decided after the
      // shutdown began, e.g. by an async `verify`): closeAll has already
      // gone by, so close it here, or the shutdown would wait for it forever.
      ws.close(1001, this.#shutdownReason).catch(() => {});
      return;
    }
    this.#added?.next(ws);
  }

  /** Stop tracking `ws` (done automatically when it closes). */
  remove(ws: WebSocket): void {
    if (!this.#connections.delete(ws)) return;
    const topics = this.#subscriptions.get(ws);
    if (topics !== undefined) {
      for (const topic of topics) this.#unsubscribeOne(ws, topic);
      this.#subscriptions.delete(ws);
    }
    if (this.#connections.size === 0) {
      const drained = this.#drained;
      this.#drained = [];
      for (const resolve of drained) resolve();
    }
  }

  /**
   * Send `data` to every open connection (or those `filter` keeps), framed
   * once. Returns what happened per connection.
   */
  broadcast(data: SendData, options: BroadcastOptions = {}): BroadcastResult {
    return this.#sendTo(this.#connections, prepareMessage(data), options);
  }

  /** Subscribe `ws` to `topic` (chat rooms, channels). */
  subscribe(ws: WebSocket, topic: string): void {
    if (!this.#connections.has(ws)) this.add(ws);
    let members = this.#topics.get(topic);
    if (members === undefined) this.#topics.set(topic, (members = new Set()));
    members.add(ws);
    let topics = this.#subscriptions.get(ws);
    if (topics === undefined) this.#subscriptions.set(ws, (topics = new Set()));
    topics.add(topic);
  }

  /** Unsubscribe `ws` from `topic`. */
  unsubscribe(ws: WebSocket, topic: string): void {
    this.#unsubscribeOne(ws, topic);
    this.#subscriptions.get(ws)?.delete(topic);
  }

  /** Subscribers of `topic` in this process. */
  subscribers(topic: string): ReadonlySet<WebSocket> {
    return this.#topics.get(topic) ?? new Set();
  }

  /** Publish `data` to every subscriber of `topic`, through the bus. */
  publish(topic: string, data: SendData): void | Promise<void> {
    return this.#bus.publish(topic, data);
  }

  #deliverTopic(topic: string, data: SendData): void {
    const members = this.#topics.get(topic);
    if (members === undefined || members.size === 0) return;
    this.#sendTo(members, prepareMessage(data), {});
  }

  #unsubscribeOne(ws: WebSocket, topic: string): void {
    const members = this.#topics.get(topic);
    if (members === undefined) return;
    members.delete(ws);
    if (members.size === 0) this.#topics.delete(topic);
  }

  #sendTo(targets: Iterable<WebSocket>, prepared: PreparedMessage, options: BroadcastOptions): BroadcastResult {
    const limit = options.maxBufferedAmount ?? this.#maxBuffered;
    const policy = options.slowConsumer ?? 'skip';
    const filter = options.filter;
    const except = options.except;
    const excluded =
      except === undefined ? undefined : isWebSocketLike(except) ? new Set([except]) : new Set(except as Iterable<WebSocket>);
    let sent = 0;
    const slow: WebSocket[] = [];
    const failed: { ws: WebSocket; error: unknown }[] = [];
    for (const ws of targets) {
      if (ws.readyState !== ReadyState.OPEN) continue;
      if (excluded?.has(ws) || (filter !== undefined && !filter(ws))) continue;
      if (ws.bufferedAmount > limit) {
        slow.push(ws);
        if (policy === 'close') ws.close(1008, 'slow consumer').catch(() => {});
        continue;
      }
      try {
        ws.sendPrepared(prepared);
        sent++;
      } catch (error) {
        failed.push({ ws, error });
      }
    }
    return { sent, slow, failed };
  }

  /**
   * Close every connection (default 1001 "going away") and wait for their
   * close handshakes; connections still open after `timeout` are terminated.
   * Messages already queued are sent before the close frame.
   */
  async closeAll(code = 1001, reason = '', options: CloseAllOptions = {}): Promise<void> {
    if (this.#connections.size === 0) return;
    const done = new Promise<void>((resolve) => this.#drained.push(resolve));
    for (const ws of [...this.#connections]) {
      try {
        ws.close(code, reason).catch(() => {});
      } catch (error) {
        // An invalid code is the caller's mistake: report it, do not half-close.
        if (error instanceof WebSocketError && error.side === 'local') throw error;
        ws.terminate();
      }
    }
    const timer = setTimeout(() => {
      for (const ws of this.#connections) ws.terminate();
    }, options.timeout ?? 5_000);
    timer.unref();
    await done;
    clearTimeout(timer);
  }
  /** False while a shutdown is under way: servers answer new upgrades with 503. */
  get accepting(): boolean {
    return this.#accepting;
  }

  /**
   * Register what "stop accepting" means for a server using this manager
   * (closing its listener); run by {@link shutdown}. Returns an unregister function.
   */
  onShutdown(hook: () => void | Promise<void>): () => void {
    this.#stopHooks.push(hook);
    return () => {
      this.#stopHooks = this.#stopHooks.filter((h) => h !== hook);
    };
  }

  /**
   * Graceful shutdown: stop accepting (servers answer 503 and close their
   * listeners), close every connection with 1001 after the messages already
   * queued, wait until every socket is gone (terminating stragglers after
   * `timeout`), then accept again — a server can listen anew afterwards.
   */
  async shutdown(options: CloseAllOptions & { reason?: string } = {}): Promise<void> {
    this.#accepting = false;
    this.#shutdownReason = options.reason ?? 'server shutting down';
    try {
      const hooks = this.#stopHooks.map((hook) => hook());
      await this.closeAll(1001, this.#shutdownReason, options);
      await Promise.all(hooks);
    } finally {
      this.#accepting = true;
    }
  }

  /**
   * Opt-in: run {@link shutdown} on SIGTERM/SIGINT, then exit the process
   * (unless `exit` is false). Returns a function that removes the handlers.
   */
  handleSignals(options: { signals?: readonly NodeJS.Signals[]; exit?: boolean; timeout?: number } = {}): () => void {
    const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
    const onSignal = (): void => {
      this.shutdown({ timeout: options.timeout ?? 5_000 }).finally(() => {
        if (options.exit ?? true) process.exit(0);
      });
    };
    for (const signal of signals) process.once(signal, onSignal);
    return () => {
      for (const signal of signals) process.off(signal, onSignal);
    };
  }
}

function isWebSocketLike(value: unknown): value is WebSocket {
  return typeof value === 'object' && value !== null && 'sendPrepared' in value;
}
