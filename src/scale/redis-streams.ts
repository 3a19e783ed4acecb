/**
 * `RedisStreamBus`: the resumable variant of {@link RedisBus}, on Redis
 * Streams. Each topic is a stream (`XADD … MAXLEN ~ n`), read by one
 * dedicated connection per process (`XREAD BLOCK`) from the last id it saw,
 * so after a Redis blip delivery resumes where it stopped: nothing lost,
 * nothing twice (sequence numbers drop the copies a retried `XADD` leaves).
 * When the history needed is gone (trimmed past the last id seen, or Redis
 * restarted without persistence), a `gap` (`trimmed`) says so instead of
 * continuing silently.
 *
 * Unlike pub/sub mode, a process's own topic messages come back through the
 * stream too (its broadcasts are delivered locally at once, as with
 * {@link RedisBus}): every topic message delivered carries its stream id (a client can
 * resume after it, see {@link RedisStreamBus.readAfter}) and every process
 * sees one order per topic. The price: while Redis is away, publishes wait in
 * the bounded buffer, for local subscribers as well.
 *
 * @module
 */
import { createClient, RESP_TYPES } from 'redis';
import type { BroadcastBus, BusEvents, BusHistory, DeliveryInfo, PublishOutcome } from '../server/manager.js';
import type { SendData } from '../websocket.js';
import { BusNode, clientOptions, positive } from './bus-node.js';
import { decodeEnvelope, envelopeData, newNodeId, type Envelope } from './envelope.js';
import { SequenceTracker } from './sequence.js';

type Client = ReturnType<typeof createClient>;
type RawEntry = [Buffer, Buffer[]];
type RawRead = [Buffer, RawEntry[]][] | null;

const BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const;

/** Options of {@link RedisStreamBus}. */
export interface RedisStreamBusOptions {
  /** Where Redis is. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of every key: topic `T` is the stream `<prefix>s:T`, broadcasts `<prefix>sb`. Default `ws4ts:`. */
  prefix?: string;
  /** Entries kept per stream, about (`MAXLEN ~`): how far back a process or a client can resume. Default 10,000. */
  maxLen?: number;
  /** Publishes kept while Redis is unreachable, at most. Default 10,000. */
  maxBufferedMessages?: number;
  /** Bytes of publishes kept while Redis is unreachable, at most. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Longest wait between reconnection attempts, in ms. Default 2,000. */
  maxReconnectDelay?: number;
  /** Longest an `XREAD` blocks, in ms: how soon a new subscription is read. Default 250. */
  block?: number;
}

/** Entries retained after an id (for a client that resumes). */
export type StreamHistory = BusHistory;

interface StreamState {
  /** The topic, or undefined for broadcasts. */
  readonly topic: string | undefined;
  lastId: string;
  confirmed: boolean;
  readonly waiters: (() => void)[];
}

/**
 * A resumable {@link BroadcastBus} on Redis Streams.
 *
 * @example
 * ```ts
 * const manager = new WebSocketManager({ bus: new RedisStreamBus({ url, maxLen: 50_000 }) });
 * ```
 */
export class RedisStreamBus implements BroadcastBus {
  readonly nodeId: string;
  readonly ready: Promise<void>;
  readonly #node: BusNode;
  readonly #prefix: string;
  readonly #maxLen: number;
  readonly #block: number;
  readonly #pub: Client;
  readonly #reader: Client;
  readonly #order = new SequenceTracker();
  readonly #streams = new Map<string, StreamState>();
  readonly #broadcastKey: string;
  /** The value of the epoch key when we first saw it: gone or changed means Redis lost its data. */
  #epoch: string | undefined;
  #check = false;
  #wake: (() => void) | undefined;

  constructor(options: RedisStreamBusOptions = {}) {
    const connection = { ...clientOptions('RedisStreamBus', options.url, options.maxReconnectDelay), RESP: 2 as const };
    this.#prefix = options.prefix ?? 'ws4ts:';
    this.#maxLen = Math.floor(positive('RedisStreamBus', 'maxLen', options.maxLen ?? 10_000));
    this.#block = Math.floor(positive('RedisStreamBus', 'block', options.block ?? 250));
    this.#broadcastKey = `${this.#prefix}sb`;
    this.#pub = createClient(connection);
    this.#reader = createClient(connection);
    this.#node = new BusNode(
      'RedisStreamBus',
      (key, bytes) => this.#pub.sendCommand(['XADD', key, 'MAXLEN', '~', String(this.#maxLen), '*', 'd', bytes]),
      () => this.#pub.isReady,
      options,
    );
    this.nodeId = this.#node.id;
    this.#pub.on('error', (error: unknown) => this.#node.error(error));
    this.#pub.on('ready', () => {
      this.#node.ready();
      for (const [key, state] of this.#streams) if (!state.confirmed && state.lastId === '') void this.#start(key, state);
    });
    this.#reader.on('error', (error: unknown) => this.#node.error(error));
    this.#reader.on('reconnecting', () => (this.#check = true));
    this.#reader.on('ready', () => this.#wake?.());
    const broadcast: StreamState = { topic: undefined, lastId: '', confirmed: false, waiters: [] };
    this.#streams.set(this.#broadcastKey, broadcast);
    const connected = Promise.all([this.#pub.connect(), this.#reader.connect()]);
    this.ready = connected
      .then(async () => {
        this.#epoch = await this.#currentEpoch(this.#pub);
        await this.#confirmed(broadcast);
      })
      .catch(() => {});
    void connected.then(() => this.#run()).catch(() => {});
  }

  listen(deliver: (topic: string, data: SendData, info?: DeliveryInfo) => void, events?: BusEvents): void {
    this.#node.listen(deliver, events);
  }

  publish(topic: string, data: SendData): Promise<PublishOutcome> {
    if (typeof topic !== 'string') throw new TypeError(`RedisStreamBus.publish: topic must be a string, got ${typeof topic}`);
    return this.#node.send(this.#key(topic), data);
  }

  broadcast(data: SendData): Promise<PublishOutcome> {
    return this.#node.send(this.#broadcastKey, data);
  }

  subscribe(topic: string): Promise<void> {
    const key = this.#key(topic);
    let state = this.#streams.get(key);
    if (state === undefined) {
      state = { topic, lastId: '', confirmed: false, waiters: [] };
      this.#streams.set(key, state);
      if (this.#pub.isReady) void this.#start(key, state);
    }
    return this.#confirmed(state);
  }

  unsubscribe(topic: string): void {
    const key = this.#key(topic);
    const state = this.#streams.get(key);
    if (state === undefined) return;
    this.#streams.delete(key);
    this.#order.forget(key);
    for (const wake of state.waiters.splice(0)) wake();
  }

  /**
   * The entries of `topic` retained after `afterId` (at most `limit`; all by default), for a
   * client that comes back with the last id it saw; `complete` is false when
   * some after `afterId` are gone. Redis away: empty and incomplete; rejects only
   * with a `TypeError` for an `afterId` that is not a stream id.
   */
  async readAfter(topic: string, afterId: string, limit?: number): Promise<StreamHistory> {
    if (!isStreamId(afterId)) throw new TypeError(`RedisStreamBus.readAfter: not a stream id: ${JSON.stringify(afterId)}`);
    const key = this.#key(topic);
    try {
      // Without a limit, all that is retained (the stream is bounded by MAXLEN ~ anyway).
      const count = limit === undefined ? [] : ['COUNT', String(Math.floor(positive('RedisStreamBus', 'limit', limit)))];
      const raw = (await this.#pub.sendCommand(['XRANGE', key, `(${afterId}`, '+', ...count], BUFFERS)) as unknown as RawEntry[];
      const entries: { id: string; data: SendData }[] = [];
      for (const [id, fields] of raw) {
        const envelope = envelopeOf(fields);
        if (envelope !== undefined) entries.push({ id: id.toString(), data: envelopeData(envelope) });
      }
      return { entries, complete: !(await this.#lostAfter(key, afterId, false)) };
    } catch (error) {
      this.#node.error(error);
      return { entries: [], complete: false };
    }
  }

  /** Messages waiting for Redis. */
  get buffered(): number {
    return this.#node.buffered;
  }

  /** Whether both connections are up. */
  get connected(): boolean {
    return this.#pub.isReady && this.#reader.isReady;
  }

  /** Close both connections; publishes still buffered resolve `dropped`. */
  async close(): Promise<void> {
    if (this.#node.closed) return;
    this.#node.close();
    this.#wake?.();
    for (const state of this.#streams.values()) for (const wake of state.waiters.splice(0)) wake();
    // The reader may be blocked in XREAD: destroy rather than wait for it.
    this.#reader.destroy();
    if (this.#pub.isOpen) await this.#pub.close().catch(() => this.#pub.destroy());
  }

  #key(topic: string): string {
    return `${this.#prefix}s:${topic}`;
  }

  #confirmed(state: StreamState): Promise<void> {
    if (state.confirmed || this.#node.closed) return Promise.resolve();
    return new Promise((resolve) => state.waiters.push(resolve));
  }

  /** Pin where reading a new subscription starts: the stream's last id now (not `$`, which would skip what comes meanwhile). */
  async #start(key: string, state: StreamState): Promise<void> {
    try {
      const last = (await this.#pub.sendCommand(['XREVRANGE', key, '+', '-', 'COUNT', '1'])) as unknown as [string, string[]][];
      if (this.#streams.get(key) !== state || state.confirmed) return;
      state.lastId = last[0]?.[0] ?? '0-0';
      state.confirmed = true;
      for (const wake of state.waiters.splice(0)) wake();
      this.#wake?.();
    } catch (error) {
      this.#node.error(error); // retried when the publishing connection is ready again
    }
  }

  async #run(): Promise<void> {
    while (!this.#node.closed) {
      const keys = [...this.#streams].filter(([, state]) => state.confirmed);
      if (!this.#reader.isReady || keys.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, this.#block).unref();
        });
        continue;
      }
      try {
        if (this.#check) await this.#checkHistory();
        const reply = (await this.#reader.sendCommand(
          ['XREAD', 'COUNT', '1000', 'BLOCK', String(this.#block), 'STREAMS', ...keys.map(([key]) => key), ...keys.map(([, state]) => state.lastId)],
          BUFFERS,
        )) as unknown as RawRead;
        if (reply !== null) this.#received(reply);
      } catch (error) {
        if (this.#node.closed) return;
        this.#check = true;
        this.#node.error(error);
        await new Promise((resolve) => setTimeout(resolve, 50).unref());
      }
    }
  }

  #received(reply: NonNullable<RawRead>): void {
    for (const [rawKey, entries] of reply) {
      const key = rawKey.toString();
      const state = this.#streams.get(key);
      if (state === undefined) continue; // unsubscribed meanwhile
      for (const [rawId, fields] of entries) {
        const id = rawId.toString();
        state.lastId = id;
        const envelope = envelopeOf(fields);
        if (envelope === undefined) {
          this.#node.error(new Error(`RedisStreamBus: entry ${id} of ${key} is not a ws4ts envelope: skipped`));
          continue;
        }
        // Own broadcasts were delivered locally by the manager already.
        if (state.topic === undefined && envelope.node === this.nodeId) continue;
        const verdict = this.#order.check(key, envelope.node, envelope.seq, envelope.time);
        if (verdict.kind === 'duplicate') continue;
        if (verdict.kind === 'gap') {
          this.#node.gap({ reason: 'sequence', since: verdict.since, until: envelope.time, topics: state.topic === undefined ? [] : [state.topic], broadcast: state.topic === undefined, publisher: envelope.node, missed: verdict.missed });
        }
        this.#node.received(state.topic, envelopeData(envelope), state.topic === undefined ? undefined : { id });
      }
    }
  }

  /** After a reconnect: is the history from each stream's last id still there? If not, say so. */
  async #checkHistory(): Promise<void> {
    const epoch = await this.#currentEpoch(this.#reader);
    // The epoch key went away with the data (a restart without persistence, a flush).
    const restarted = this.#epoch !== undefined && epoch !== this.#epoch;
    this.#epoch = epoch;
    this.#check = false;
    for (const [key, state] of this.#streams) {
      if (!state.confirmed) continue;
      if (await this.#lostAfter(key, state.lastId, restarted)) {
        this.#node.gap({ reason: 'trimmed', since: idTime(state.lastId), until: Date.now(), topics: state.topic === undefined ? [] : [state.topic], broadcast: state.topic === undefined, lastId: state.lastId });
      }
    }
  }

  /**
   * Whether entries after `lastId` may be gone: trimmed past it
   * (`max-deleted-entry-id` beyond it), or the stream no longer holds
   * `lastId` although nothing deleted it (replaced: Redis restarted without
   * persistence); a stream gone altogether after a restart counts as lost.
   */
  async #lostAfter(key: string, lastId: string, restarted: boolean): Promise<boolean> {
    let info: Map<string, string>;
    try {
      const raw = (await this.#pub.sendCommand(['XINFO', 'STREAM', key])) as unknown as unknown[];
      info = new Map();
      for (let i = 0; i + 1 < raw.length; i += 2) info.set(String(raw[i]), String(raw[i + 1]));
    } catch (error) {
      if (/no such key/i.test(String((error as Error).message))) return lastId !== '0-0' || restarted;
      throw error;
    }
    const maxDeleted = info.get('max-deleted-entry-id') ?? '0-0';
    if (compareIds(maxDeleted, lastId) > 0) return true;
    if (lastId === '0-0') return false;
    const held = (await this.#pub.sendCommand(['XRANGE', key, lastId, lastId])) as unknown as unknown[];
    return held.length === 0 && compareIds(maxDeleted, lastId) < 0;
  }

  /**
   * The epoch key (`<prefix>epoch`): set once with a random value if absent,
   * then read. A Redis that kept its data keeps the value; one that lost it
   * gets a new value from whichever process comes back first.
   */
  async #currentEpoch(client: Client): Promise<string> {
    const key = `${this.#prefix}epoch`;
    await client.sendCommand(['SET', key, newNodeId().toString('hex'), 'NX']);
    return String(await client.sendCommand(['GET', key]));
  }
}

function envelopeOf(fields: readonly Buffer[]): Envelope | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === 'd') return decodeEnvelope(fields[i + 1]!);
  return undefined;
}

/** Whether `id` looks like a stream id (`<ms>-<seq>`). */
export function isStreamId(id: unknown): id is string {
  return typeof id === 'string' && /^\d{1,20}-\d{1,20}$/.test(id);
}

/** Order of two stream ids. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

function idTime(id: string): number {
  return Number(id.split('-')[0]);
}
