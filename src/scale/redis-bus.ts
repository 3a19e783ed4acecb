/**
 * `RedisBus`: the manager's {@link BroadcastBus} across processes and hosts
 * on Redis pub/sub (or sharded pub/sub, `SPUBLISH`/`SSUBSCRIBE`, for Redis
 * Cluster), with the delivery contract of the README's "Beyond one process"
 * section:
 *
 * - steady state: every message reaches every subscriber of every process
 *   once, in publish order per publishing process (sequence numbers drop the
 *   duplicates a retried publish can cause);
 * - Redis restarted or unreachable: nothing is thrown into user code, local
 *   delivery goes on, publishes wait in a bounded buffer (then `dropped`),
 *   every subscription is restored on reconnect and a `gap` says when
 *   messages may have been missed.
 *
 * Two connections: one for publishing, one subscribed. The `redis` package is
 * an optional peer dependency: only this module (reached through
 * `ws4ts/redis`) imports it.
 *
 * @module
 */
import { createClient } from 'redis';
import type { BroadcastBus, BusEvents, DeliveryInfo, PublishOutcome } from '../server/manager.js';
import type { SendData } from '../websocket.js';
import { BusNode, clientOptions } from './bus-node.js';
import { decodeEnvelope, envelopeData } from './envelope.js';
import { SequenceTracker } from './sequence.js';

type Client = ReturnType<typeof createClient>;

/** Options of {@link RedisBus}. */
export interface RedisBusOptions {
  /** Where Redis is: `redis://host:port` (also `rediss://`, user and password). Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of every channel (and key) the bus uses, so several apps can share a Redis. Default `ws4ts:`. */
  prefix?: string;
  /**
   * Deliver this process's own topic messages through Redis instead of at
   * once: every process then sees one order per channel. Default false
   * (local subscribers get them at once, the echo from Redis is dropped).
   */
  echo?: boolean;
  /** `SPUBLISH`/`SSUBSCRIBE` (Redis 7, for Redis Cluster: each channel lives on its slot's shard). Default false. */
  sharded?: boolean;
  /** Publishes kept while Redis is unreachable, at most. Default 10,000. */
  maxBufferedMessages?: number;
  /** Bytes of publishes kept while Redis is unreachable, at most. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Longest wait between reconnection attempts, in ms (the wait doubles from 50 ms). Default 2,000. */
  maxReconnectDelay?: number;
}

/**
 * A {@link BroadcastBus} on Redis pub/sub.
 *
 * @example
 * ```ts
 * import { serve, WebSocketManager } from 'ws4ts';
 * import { RedisBus } from 'ws4ts/redis';
 *
 * const manager = new WebSocketManager({ bus: new RedisBus({ url: process.env.REDIS_URL }) });
 * manager.on('gap', (gap) => console.warn('may have missed messages', gap));
 * serve({ port, handler: chat, manager }); // manager.broadcast() now reaches every process
 * ```
 */
export class RedisBus implements BroadcastBus {
  /** This process's node id (16 hex digits), carried by every message it publishes. */
  readonly nodeId: string;
  readonly #node: BusNode;
  readonly #prefix: string;
  readonly #echo: boolean;
  readonly #sharded: boolean;
  readonly #pub: Client;
  readonly #sub: Client;
  readonly #order = new SequenceTracker();
  readonly #broadcastChannel: string;
  /** Channels we want, with a waiter per channel until Redis confirms it. */
  readonly #wanted = new Map<string, { confirmed: boolean; waiters: (() => void)[] }>();
  #lostAt: number | undefined;
  readonly ready: Promise<void>;
  readonly #onMessage = (message: Buffer, channel: Buffer): void => this.#received(message, channel.toString());

  constructor(options: RedisBusOptions = {}) {
    const connection = clientOptions('RedisBus', options.url, options.maxReconnectDelay);
    this.#prefix = options.prefix ?? 'ws4ts:';
    if (typeof this.#prefix !== 'string') throw new TypeError(`RedisBus: prefix must be a string, got ${typeof this.#prefix}`);
    this.#echo = options.echo ?? false;
    this.#sharded = options.sharded ?? false;
    this.#broadcastChannel = `${this.#prefix}b`;
    this.#pub = createClient(connection);
    this.#sub = createClient(connection);
    this.#node = new BusNode(
      'RedisBus',
      (channel, bytes) => (this.#sharded ? this.#pub.sPublish(channel, bytes) : this.#pub.publish(channel, bytes)),
      () => this.#pub.isReady,
      options,
    );
    this.nodeId = this.#node.id;
    this.#pub.on('error', (error: unknown) => this.#node.error(error));
    this.#pub.on('ready', () => this.#node.ready());
    this.#sub.on('error', (error: unknown) => this.#node.error(error));
    this.#sub.on('end', () => this.#lost());
    this.#sub.on('reconnecting', () => this.#lost());
    this.#sub.on('ready', () => void this.#restore());
    this.#want(this.#broadcastChannel);
    // connect() settles once connected; with a reconnect strategy it keeps trying, so the
    // bus comes up whenever Redis does. Its rejection (closed before connecting) is not news.
    const connected = Promise.all([this.#pub.connect(), this.#sub.connect()]);
    this.ready = connected.then(() => this.#confirmed(this.#broadcastChannel)).catch(() => {});
  }

  listen(deliver: (topic: string, data: SendData, info?: DeliveryInfo) => void, events?: BusEvents): void {
    this.#node.listen(deliver, events);
  }

  publish(topic: string, data: SendData): Promise<PublishOutcome> {
    if (typeof topic !== 'string') throw new TypeError(`RedisBus.publish: topic must be a string, got ${typeof topic}`);
    if (!this.#echo) this.#node.deliverNow(topic, data);
    return this.#node.send(this.#topicChannel(topic), data);
  }

  broadcast(data: SendData): Promise<PublishOutcome> {
    return this.#node.send(this.#broadcastChannel, data);
  }

  subscribe(topic: string): Promise<void> {
    const channel = this.#topicChannel(topic);
    this.#want(channel);
    return this.#confirmed(channel);
  }

  unsubscribe(topic: string): void {
    const channel = this.#topicChannel(topic);
    const wanted = this.#wanted.get(channel);
    if (wanted === undefined) return;
    this.#wanted.delete(channel);
    for (const wake of wanted.waiters) wake();
    this.#order.forget(channel);
    if (this.#sub.isReady) {
      const done = this.#sharded ? this.#sub.sUnsubscribe(channel, this.#onMessage, true) : this.#sub.unsubscribe(channel, this.#onMessage, true);
      done.catch((error: unknown) => this.#node.error(error));
    }
  }

  /** Messages waiting for Redis (buffered while it is unreachable, or not yet acknowledged). */
  get buffered(): number {
    return this.#node.buffered;
  }

  /** Whether both connections are up. */
  get connected(): boolean {
    return this.#pub.isReady && this.#sub.isReady;
  }

  /** Close both connections; publishes still buffered resolve `dropped`. */
  async close(): Promise<void> {
    if (this.#node.closed) return;
    this.#node.close();
    for (const wanted of this.#wanted.values()) for (const wake of wanted.waiters) wake();
    await Promise.all([this.#pub, this.#sub].map((client) => (client.isOpen ? client.close().catch(() => client.destroy()) : undefined)));
  }

  #topicChannel(topic: string): string {
    return `${this.#prefix}t:${topic}`;
  }

  #received(message: Buffer, channel: string): void {
    const envelope = decodeEnvelope(message);
    if (envelope === undefined) {
      this.#node.error(new Error(`RedisBus: a message on ${channel} is not a ws4ts envelope (another publisher on the channel?): dropped`));
      return;
    }
    if (envelope.node === this.nodeId && !(this.#echo && channel !== this.#broadcastChannel)) return;
    if (!this.#wanted.has(channel)) return; // unsubscribed while it was on its way
    const verdict = this.#order.check(channel, envelope.node, envelope.seq, envelope.time);
    if (verdict.kind === 'duplicate') return;
    if (verdict.kind === 'gap') {
      const isBroadcast = channel === this.#broadcastChannel;
      this.#node.gap({
        reason: 'sequence',
        since: verdict.since,
        until: envelope.time,
        topics: isBroadcast ? [] : [channel.slice(this.#prefix.length + 2)],
        broadcast: isBroadcast,
        publisher: envelope.node,
        missed: verdict.missed,
      });
    }
    this.#node.received(channel === this.#broadcastChannel ? undefined : channel.slice(this.#prefix.length + 2), envelopeData(envelope));
  }

  #want(channel: string): void {
    if (this.#wanted.has(channel)) return;
    this.#wanted.set(channel, { confirmed: false, waiters: [] });
    if (this.#sub.isReady) void this.#subscribeChannel(channel);
  }

  #confirmed(channel: string): Promise<void> {
    const wanted = this.#wanted.get(channel);
    if (wanted === undefined || wanted.confirmed || this.#node.closed) return Promise.resolve();
    return new Promise((resolve) => wanted.waiters.push(resolve));
  }

  async #subscribeChannel(channel: string): Promise<void> {
    try {
      await (this.#sharded ? this.#sub.sSubscribe(channel, this.#onMessage, true) : this.#sub.subscribe(channel, this.#onMessage, true));
    } catch (error) {
      // Lost the connection meanwhile: #restore subscribes again once it is back.
      this.#node.error(error);
      return;
    }
    const wanted = this.#wanted.get(channel);
    if (wanted === undefined) return;
    wanted.confirmed = true;
    for (const wake of wanted.waiters.splice(0)) wake();
  }

  #lost(): void {
    if (this.#lostAt !== undefined || this.#node.closed) return;
    this.#lostAt = Date.now();
    for (const wanted of this.#wanted.values()) wanted.confirmed = false;
  }

  /**
   * The subscriber connection is ready (first time, or again): subscribe
   * every channel we want (the client re-sends the ones it knew before
   * reporting ready; ours covers those it did not, e.g. subscribed while
   * Redis was away), then report the time without them as a gap.
   */
  async #restore(): Promise<void> {
    await Promise.all([...this.#wanted.keys()].map((channel) => this.#subscribeChannel(channel)));
    const since = this.#lostAt;
    if (since === undefined || this.#node.closed || !this.#sub.isReady) return;
    this.#lostAt = undefined;
    const topics = [...this.#wanted.keys()].filter((channel) => channel !== this.#broadcastChannel).map((channel) => channel.slice(this.#prefix.length + 2));
    this.#node.gap({ reason: 'disconnected', since, until: Date.now(), topics, broadcast: true });
  }
}
