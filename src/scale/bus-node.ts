/**
 * This process as a node of a Redis bus, whichever way the bus talks to
 * Redis (pub/sub in `redis-bus.ts`, streams in `redis-streams.ts`): its node
 * id; what it publishes, numbered per channel and held in the bounded
 * {@link PublishQueue}; and the manager's callbacks, which get what it
 * receives. It also holds the connection options both buses give their
 * Redis clients.
 *
 * @module
 */
import type { BusEvents, BusGap, DeliveryInfo, PublishOutcome } from '../server/manager.js';
import type { SendData } from '../websocket.js';
import { encodeEnvelope, newNodeId } from './envelope.js';
import { PublishQueue } from './publish-queue.js';

/** The buffer limits of a bus's options, as given (validated by {@link BusNode}). */
export interface BufferLimitOptions {
  maxBufferedMessages?: number | undefined;
  maxBufferedBytes?: number | undefined;
}

/** A bus's end of the process: publishes out through Redis, deliveries in to the manager. */
export class BusNode {
  /** This process's node id (16 hex digits), carried by every message it publishes. */
  readonly id: string;
  readonly #node: Buffer;
  readonly #queue: PublishQueue;
  readonly #seqs = new Map<string, number>();
  #deliver: ((topic: string, data: SendData, info?: DeliveryInfo) => void) | undefined;
  #events: BusEvents | undefined;
  #closed = false;

  /**
   * @param owner The bus's class name, for error messages.
   * @param write Hand one message to Redis (the queue calls it once Redis is ready, and again after a failure).
   * @param isReady Whether the publishing connection is up.
   */
  constructor(owner: string, write: (channel: string, bytes: Buffer) => Promise<unknown>, isReady: () => boolean, limits: BufferLimitOptions) {
    this.#node = newNodeId();
    this.id = this.#node.toString('hex');
    this.#queue = new PublishQueue(write, isReady, (error) => this.error(error), {
      maxMessages: positive(owner, 'maxBufferedMessages', limits.maxBufferedMessages ?? 10_000),
      maxBytes: positive(owner, 'maxBufferedBytes', limits.maxBufferedBytes ?? 16 * 1024 * 1024),
    });
  }

  listen(deliver: (topic: string, data: SendData, info?: DeliveryInfo) => void, events?: BusEvents): void {
    this.#deliver = deliver;
    this.#events = events;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Messages waiting for Redis (buffered while it is unreachable, or not yet acknowledged). */
  get buffered(): number {
    return this.#queue.length;
  }

  /** The publishing connection is ready (again): send what waits. */
  ready(): void {
    this.#queue.ready();
  }

  /** Publish `data` on `channel` as this node's next message there; `dropped` once closed or when the buffer is full. */
  send(channel: string, data: SendData): Promise<PublishOutcome> {
    if (this.#closed) return Promise.resolve('dropped');
    const seq = (this.#seqs.get(channel) ?? 0) + 1;
    this.#seqs.set(channel, seq);
    return this.#queue.push(channel, encodeEnvelope(this.#node, seq, data));
  }

  /** Hand a topic message to the manager at once, on the caller's stack (a local publish). */
  deliverNow(topic: string, data: SendData): void {
    this.#deliver?.(topic, data);
  }

  /**
   * Hand a message that came from Redis to the manager: a topic message, or
   * a broadcast when `topic` is undefined. What the manager throws is
   * reported as an error: it must not stop the reading of Redis.
   */
  received(topic: string | undefined, data: SendData, info?: DeliveryInfo): void {
    try {
      if (topic === undefined) this.#events?.broadcast(data);
      else this.#deliver?.(topic, data, info);
    } catch (error) {
      this.error(error);
    }
  }

  /** Report `gap` to the manager. */
  gap(gap: BusGap): void {
    try {
      this.#events?.gap(gap);
    } catch (error) {
      this.error(error);
    }
  }

  /** Report `error` to the manager; nothing is thrown into user code, and nothing is reported once closed. */
  error(error: unknown): void {
    if (this.#closed) return;
    try {
      this.#events?.error(error);
    } catch {
      // an error sink that throws has nowhere left to report to
    }
  }

  /** Stop: publishes still buffered resolve `dropped`, later ones at once, and errors go unreported. */
  close(): void {
    this.#closed = true;
    this.#queue.close();
  }
}

/**
 * Options of both of a bus's Redis clients. Our own bounded buffer holds
 * publishes while Redis is away, so the client's unbounded offline queue is
 * off (it would hide that); reconnection waits double from 50 ms up to
 * `maxReconnectDelay`.
 */
export function clientOptions(owner: string, url: string | undefined, maxReconnectDelay: number | undefined) {
  const maxDelay = positive(owner, 'maxReconnectDelay', maxReconnectDelay ?? 2000);
  return {
    url: url ?? 'redis://127.0.0.1:6379',
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxDelay) },
  };
}

/** `value`, checked to be a positive number (a RangeError naming `owner` and option `name` if not). */
export function positive(owner: string, name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`${owner}: ${name} must be a positive number, got ${String(value)}`);
  return value;
}
