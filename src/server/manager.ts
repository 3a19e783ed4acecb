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
import { kOnceClosed, prepareMessage, type PreparedMessage, type SendData, type WebSocket } from '../websocket.js';
import { ManagerCounters, type CountersSnapshot } from '../observe/counters.js';

/** What to do with a connection whose `bufferedAmount` is over the limit. */
export type SlowConsumerPolicy = 'skip' | 'close';

/** Options of {@link WebSocketManager.broadcast}. */
export interface BroadcastOptions {
  /** Only this process's connections: do not hand the message to the bus. Default false. */
  localOnly?: boolean;
  /** Send only to connections for which this returns true (in this process). */
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
  /** Slow consumers skipped (or closed, with policy `close`) in this process. */
  readonly slow: readonly WebSocket[];
  /** Connections where sending threw, with the error. */
  readonly failed: readonly { readonly ws: WebSocket; readonly error: unknown }[];
  /** With a bus that reaches other processes: what became of the copy sent to them. */
  readonly remote?: Promise<PublishOutcome>;
}

/**
 * What became of a message handed to a bus for other processes: `sent` once
 * the engine accepted it, `dropped` when the bus could not keep it (its
 * bounded buffer was full while the engine was unreachable, or the bus was
 * closed). Receivers learn of a dropped message as a {@link BusGap}.
 */
export type PublishOutcome = 'sent' | 'dropped';

/**
 * Messages other processes published may be missing between `since` and
 * `until` (milliseconds since the epoch). Emitted by the manager as `gap`.
 *
 * - `disconnected`: the bus lost its subscriber connection and restored every
 *   subscription at `until`; whatever was published in between was missed
 *   (pub/sub keeps no history).
 * - `sequence`: a publisher's sequence numbers jumped (`missed` messages from
 *   `publisher` never arrived: dropped by that publisher's full buffer, or
 *   lost while this process was away).
 * - `trimmed`: resumable mode, the history needed to resume was gone (trimmed
 *   past the last id seen, or the engine restarted without persistence);
 *   `lastId` is the last stream id this process saw.
 */
export interface BusGap {
  readonly reason: 'disconnected' | 'sequence' | 'trimmed';
  readonly since: number;
  readonly until: number;
  /** Topics that may have missed messages. */
  readonly topics: readonly string[];
  /** Whether `broadcast()` messages may be missing too. */
  readonly broadcast: boolean;
  /** `sequence`: the publishing process (its node id). */
  readonly publisher?: string;
  /** `sequence`: how many messages are known to be missing. */
  readonly missed?: number;
  /** `trimmed`: the last stream id seen before the gap. */
  readonly lastId?: string;
}

/** Where a bus hands what it receives, besides topic messages. */
export interface BusEvents {
  /** A `broadcast()` from another process: send to every local connection. */
  broadcast(data: SendData): void;
  /** Messages may have been missed. */
  gap(gap: BusGap): void;
  /** Something went wrong inside the bus (never thrown into user code). */
  error(error: unknown): void;
}

/** Extra facts about a delivered topic message. */
export interface DeliveryInfo {
  /** Resumable mode: the stream id of the message (a client can resume after it). */
  readonly id?: string;
}

/**
 * Carries topic messages. The default bus delivers in-process; an adapter for
 * an external engine implements the same two methods, and the optional ones
 * to carry broadcasts, follow local interest in topics, and report gaps.
 */
export interface BroadcastBus {
  /** Deliver `data` to every subscriber of `topic` (in every process the bus reaches). */
  publish(topic: string, data: SendData): void | Promise<PublishOutcome | void>;
  /** Register the local delivery function (and event sinks); called once by the manager. */
  listen(deliver: (topic: string, data: SendData, info?: DeliveryInfo) => void, events?: BusEvents): void;
  /** Carry a `manager.broadcast()` to the other processes (local delivery is the manager's). */
  broadcast?(data: SendData): Promise<PublishOutcome>;
  /** The first local subscriber of `topic` arrived; resolves once the bus carries it here. */
  subscribe?(topic: string): Promise<void>;
  /** The last local subscriber of `topic` left. */
  unsubscribe?(topic: string): void;
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

/** Events of {@link WebSocketManager.on}. */
export interface ManagerEvents {
  /** Messages from other processes may have been missed (see {@link BusGap}). */
  gap: (gap: BusGap) => void;
  /** The bus reported a problem (the engine unreachable, a malformed message): informational. */
  busError: (error: unknown) => void;
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
  #gaps: Subject<BusGap> | undefined;
  readonly #listeners: { [K in keyof ManagerEvents]: Set<ManagerEvents[K]> } = { gap: new Set(), busError: new Set() };
  #accepting = true;
  #shutdownReason = '';
  #stopHooks: (() => void | Promise<void>)[] = [];
  #drained: (() => void)[] = [];
  readonly #remove = (ws: WebSocket): void => this.remove(ws);
  readonly #counters = new ManagerCounters();

  constructor(options: ManagerOptions = {}) {
    this.#maxBuffered = options.maxBufferedAmount ?? 4 * 1024 * 1024;
    this.#bus = options.bus ?? new LocalBus();
    this.#bus.listen((topic, data, info) => this.#deliverTopic(topic, data, info), {
      broadcast: (data) => void this.#sendTo(this.#connections, prepareMessage(data), {}),
      gap: (gap) => {
        this.#gaps?.next(gap);
        for (const listener of this.#listeners.gap) safely(listener, gap);
      },
      error: (error) => {
        for (const listener of this.#listeners.busError) safely(listener, error);
      },
    });
  }

  /** The bus topics and broadcasts travel on. */
  get bus(): BroadcastBus {
    return this.#bus;
  }

  /** Gaps reported by the bus, as they happen (the `gap` event as an observable). */
  get gaps$(): Observable<BusGap> {
    return (this.#gaps ??= new Subject<BusGap>()).asObservable();
  }

  /** Listen to `gap` and `busError`. A listener that throws is reported to the console, never to the bus. */
  on<K extends keyof ManagerEvents>(event: K, listener: ManagerEvents[K]): this {
    const set = this.#listeners[event] as Set<ManagerEvents[K]> | undefined;
    if (set === undefined) throw new TypeError(`WebSocketManager.on: unknown event ${JSON.stringify(event)}`);
    set.add(listener);
    return this;
  }

  /** Stop listening. */
  off<K extends keyof ManagerEvents>(event: K, listener: ManagerEvents[K]): this {
    (this.#listeners[event] as Set<ManagerEvents[K]> | undefined)?.delete(listener);
    return this;
  }

  /**
   * Counters of every connection this manager has tracked, as one snapshot:
   * connections active and total, messages and bytes each way, close codes seen.
   */
  stats(): CountersSnapshot {
    return this.#counters.snapshot(this.#connections, this.#connections.size);
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
    this.#counters.added();
    ws[kOnceClosed](this.#remove);
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
    this.#counters.removed(ws);
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
    const result = this.#sendTo(this.#connections, prepareMessage(data), options);
    if (options.localOnly === true || this.#bus.broadcast === undefined) return result;
    return { ...result, remote: this.#bus.broadcast(data) };
  }

  /**
   * Subscribe `ws` to `topic` (chat rooms, channels). Resolves once the bus
   * carries `topic` to this process (at once in-process; with an external
   * bus, when the engine confirmed the subscription). Never rejects.
   */
  subscribe(ws: WebSocket, topic: string): Promise<void> {
    if (!this.#connections.has(ws)) this.add(ws);
    let members = this.#topics.get(topic);
    if (members === undefined) this.#topics.set(topic, (members = new Set()));
    members.add(ws);
    let topics = this.#subscriptions.get(ws);
    if (topics === undefined) this.#subscriptions.set(ws, (topics = new Set()));
    topics.add(topic);
    return this.#bus.subscribe?.(topic).catch(() => {}) ?? Promise.resolve();
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
  publish(topic: string, data: SendData): void | Promise<PublishOutcome | void> {
    return this.#bus.publish(topic, data);
  }

  #deliverTopic(topic: string, data: SendData, _info?: DeliveryInfo): void {
    const members = this.#topics.get(topic);
    if (members === undefined || members.size === 0) return;
    this.#sendTo(members, prepareMessage(data), {});
  }

  #unsubscribeOne(ws: WebSocket, topic: string): void {
    const members = this.#topics.get(topic);
    if (members === undefined) return;
    members.delete(ws);
    if (members.size === 0) {
      this.#topics.delete(topic);
      this.#bus.unsubscribe?.(topic);
    }
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

/** Run an application listener; what it throws is reported, never thrown into the bus that called it. */
function safely<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    console.error('ws4ts: a WebSocketManager listener threw', error);
  }
}

function isWebSocketLike(value: unknown): value is WebSocket {
  return typeof value === 'object' && value !== null && 'sendPrepared' in value;
}
