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
 * processes and hosts later without changing callers. Ending the
 * connections (`closeAll`, `shutdown`, signals) is `shutdown.ts`'s.
 *
 * @module
 */
import type { Observable, Subject } from 'rxjs';
import { rxjs } from '../lazy.js';
import { ReadyState } from '../protocol/connection.js';
import { DEFAULTS, checkManagerOptions } from '../options.js';
import { kOnceClosed, prepareMessage, type PreparedMessage, type SendData, type WebSocket } from '../websocket.js';
import { toMessagePayload } from '../websocket/payload.js';
import { ManagerCounters, type CountersSnapshot } from '../observe/counters.js';
import { Shutdown } from './shutdown.js';
import { LocalBus, type BroadcastBus, type BusEvents, type BusGap, type BusHistory, type DeliveryInfo, type PublishOutcome } from './bus.js';

export { LocalBus, type BroadcastBus, type BusEvents, type BusGap, type BusHistory, type DeliveryInfo, type PublishOutcome } from './bus.js';
import { type SlowConsumerPolicy, type BroadcastOptions, type BroadcastResult, type ManagerEvents, type ManagerOptions, type ResumeResult, type CloseAllOptions } from './manager-options.js';

export { type SlowConsumerPolicy, type BroadcastOptions, type BroadcastResult, type ManagerEvents, type ManagerOptions, type ResumeResult, type CloseAllOptions } from './manager-options.js';

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
  readonly #withId: ((data: SendData, id: string, topic: string) => SendData) | undefined;
  /** Connections being resumed: their live topic messages wait here until the replay is sent. */
  readonly #holding = new Map<WebSocket, { topic: string; data: SendData; id: string | undefined }[]>();
  /** Resumed connections: live messages up to this id of this topic were in their replay already. */
  readonly #replayedUpTo = new Map<WebSocket, { topic: string; id: string }>();
  #added: Subject<WebSocket> | undefined;
  #gaps: Subject<BusGap> | undefined;
  readonly #listeners: { [K in keyof ManagerEvents]: Set<ManagerEvents[K]> } = { gap: new Set(), busError: new Set() };
  readonly #shutdown = new Shutdown(this, this.#connections);
  readonly #remove = (ws: WebSocket): void => this.remove(ws);
  readonly #counters = new ManagerCounters();

  constructor(options: ManagerOptions = {}) {
    checkManagerOptions(options);
    this.#maxBuffered = options.maxBufferedAmount ?? DEFAULTS.maxBufferedAmount;
    this.#bus = options.bus ?? new LocalBus();
    this.#withId = options.withId;
    if (this.#withId !== undefined && typeof this.#withId !== 'function') throw new TypeError('WebSocketManager: withId must be a function');
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
    return (this.#gaps ??= new (rxjs().Subject)<BusGap>()).asObservable();
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
    return (this.#added ??= new (rxjs().Subject)<WebSocket>()).asObservable();
  }

  /** Track `ws` until it closes. Servers call this for every connection. */
  add(ws: WebSocket): void {
    if (ws.readyState === ReadyState.CLOSED || this.#connections.has(ws)) return;
    this.#connections.add(ws);
    this.#counters.added();
    ws[kOnceClosed](this.#remove);
    if (!this.#shutdown.accepting) {
      // Accepted during a shutdown (its upgrade was decided after the
      // shutdown began, e.g. by an async `verify`): closeAll has already
      // gone by, so close it here, or the shutdown would wait for it forever.
      ws.close(1001, this.#shutdown.reason).catch(() => {});
      return;
    }
    this.#added?.next(ws);
  }

  /** Stop tracking `ws` (done automatically when it closes). */
  remove(ws: WebSocket): void {
    if (!this.#connections.delete(ws)) return;
    this.#holding.delete(ws);
    this.#replayedUpTo.delete(ws);
    this.#counters.removed(ws);
    const topics = this.#subscriptions.get(ws);
    if (topics !== undefined) {
      for (const topic of topics) this.#unsubscribeOne(ws, topic);
      this.#subscriptions.delete(ws);
    }
    this.#shutdown.left();
  }

  /**
   * Send `data` to every open connection (or those `filter` keeps), framed
   * once. Returns what happened per connection.
   */
  broadcast(data: SendData, options: BroadcastOptions = {}): BroadcastResult {
    const result = this.#sendTo(this.#connections, prepareMessage(data, 'manager.broadcast()'), options);
    if (options.localOnly === true || this.#bus.broadcast === undefined) return result;
    return { ...result, remote: this.#bus.broadcast(data) };
  }

  /**
   * Subscribe `ws` to `topic` (chat rooms, channels). Resolves once the bus
   * carries `topic` to this process (at once in-process; with an external
   * bus, when the engine confirmed the subscription). Never rejects.
   */
  subscribe(ws: WebSocket, topic: string): Promise<void> {
    checkTopic('subscribe', topic);
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
    checkTopic('publish', topic);
    // Checked here, not where the bus delivers it (maybe in another process).
    toMessagePayload(data, 'manager.publish()');
    return this.#bus.publish(topic, data);
  }

  /**
   * Subscribe `ws` to `topic` and send it first what it missed after
   * `lastId` (the last id it saw, e.g. sent by a reconnecting client), from
   * the bus's retained history, then the live messages, with none lost or
   * repeated in between. Needs a resumable bus (`RedisStreamBus`); pair it
   * with the `withId` option so that clients learn ids.
   */
  async resume(ws: WebSocket, topic: string, lastId: string): Promise<ResumeResult> {
    const readAfter = this.#bus.readAfter?.bind(this.#bus);
    if (readAfter === undefined) throw new TypeError('WebSocketManager.resume: the bus keeps no history (use RedisStreamBus)');
    const held: { topic: string; data: SendData; id: string | undefined }[] = [];
    this.#holding.set(ws, held);
    let history: BusHistory;
    try {
      await this.subscribe(ws, topic);
      history = await readAfter(topic, lastId);
    } catch (error) {
      this.#holding.delete(ws);
      for (const message of held) this.#sendOne(ws, message.topic, message.data, message.id);
      throw error;
    }
    const replayed = new Set<string>();
    for (const entry of history.entries) {
      replayed.add(entry.id);
      this.#sendOne(ws, topic, entry.data, entry.id);
    }
    this.#holding.delete(ws);
    // Live messages that arrived meanwhile: those the replay already covered are skipped,
    // and so are those the bus has yet to deliver live (its reader may be behind the replay).
    for (const message of held) if (!(message.topic === topic && message.id !== undefined && replayed.has(message.id))) this.#sendOne(ws, message.topic, message.data, message.id);
    const last = history.entries.at(-1)?.id;
    if (last !== undefined) this.#replayedUpTo.set(ws, { topic, id: last });
    return { replayed: history.entries.length, complete: history.complete };
  }

  #sendOne(ws: WebSocket, topic: string, data: SendData, id: string | undefined): void {
    if (ws.readyState !== ReadyState.OPEN) return;
    try {
      ws.send(id !== undefined && this.#withId !== undefined ? this.#withId(data, id, topic) : data);
    } catch {
      // closed meanwhile: nothing to deliver to
    }
  }

  #deliverTopic(topic: string, data: SendData, info?: DeliveryInfo): void {
    const members = this.#topics.get(topic);
    if (members === undefined || members.size === 0) return;
    let targets: Iterable<WebSocket> = members;
    const id = info?.id;
    if (this.#holding.size > 0 || this.#replayedUpTo.size > 0) {
      const live: WebSocket[] = [];
      for (const ws of members) {
        const held = this.#holding.get(ws);
        if (held !== undefined) {
          held.push({ topic, data, id });
          continue;
        }
        const upTo = this.#replayedUpTo.get(ws);
        if (upTo !== undefined && upTo.topic === topic && id !== undefined) {
          if (compareStreamIds(id, upTo.id) <= 0) continue; // sent in the replay
          this.#replayedUpTo.delete(ws);
        }
        live.push(ws);
      }
      targets = live;
    }
    this.#sendTo(targets, prepareMessage(id !== undefined && this.#withId !== undefined ? this.#withId(data, id, topic) : data, 'manager.publish()'), {});
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
        // false: closing meanwhile, or the connection's own maxBufferedAmount cap closed it (1008).
        if (ws.sendPrepared(prepared)) sent++;
        else slow.push(ws);
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
  closeAll(code = 1001, reason = '', options: CloseAllOptions = {}): Promise<void> {
    return this.#shutdown.closeAll(code, reason, options);
  }

  /** False while a shutdown is under way: servers answer new upgrades with 503. */
  get accepting(): boolean {
    return this.#shutdown.accepting;
  }

  /**
   * Register what "stop accepting" means for a server using this manager
   * (closing its listener); run by {@link shutdown}. Returns an unregister function.
   */
  onShutdown(hook: () => void | Promise<void>): () => void {
    return this.#shutdown.onShutdown(hook);
  }

  /**
   * Graceful shutdown: stop accepting (servers answer 503 and close their
   * listeners), close every connection with 1001 after the messages already
   * queued, wait until every socket is gone (terminating stragglers after
   * `timeout`), then accept again — a server can listen anew afterwards.
   */
  shutdown(options: CloseAllOptions & { reason?: string } = {}): Promise<void> {
    return this.#shutdown.shutdown(options);
  }

  /**
   * Opt-in: run {@link shutdown} on SIGTERM/SIGINT, then exit the process
   * (unless `exit` is false). Returns a function that removes the handlers.
   */
  handleSignals(options: { signals?: readonly NodeJS.Signals[]; exit?: boolean; timeout?: number } = {}): () => void {
    return this.#shutdown.handleSignals(options);
  }
}

/** Order of two stream ids (`<ms>-<seq>`, as Redis Streams give them). */
function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
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

/** Topics are strings (Redis channel and stream names are built from them): anything else is a TypeError. */
function checkTopic(method: string, topic: unknown): void {
  if (typeof topic !== 'string') throw new TypeError(`manager.${method}(): topic must be a string, got ${topic === null ? 'null' : typeof topic}`);
}
