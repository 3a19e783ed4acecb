/**
 * The outbox: what a WebSocket sends beyond one `send()` at a time.
 *
 * - a message sent as a stream (an iterable of chunks → one fragmented
 *   message), and the messages sent meanwhile, which wait their turn;
 * - `drain()` waiters, woken when the write buffer is at or below
 *   `writeHighWaterMark` (or the connection closed);
 * - the rules of write backpressure and of the `maxBufferedAmount` cap,
 *   as pure functions the WebSocket applies on its hot path.
 *
 * Socket-free: the host gives the engine, the buffered amount and a way to
 * write; tests drive it with a plain `Connection`.
 *
 * @module
 */
import type { Connection } from '../protocol/connection.js';
import { WebSocketError } from '../protocol/errors.js';

/** Default `writeHighWaterMark`: output bytes queued at which reading from the peer pauses. */
export const DEFAULT_WRITE_HIGH_WATER_MARK = 1024 * 1024;
/** Default `maxBufferedAmount`: the output backlog cap (see {@link overCap}). */
export const DEFAULT_MAX_BUFFERED_AMOUNT = 16 * 1024 * 1024;

/** Reading resumes once output is at or below this (a quarter of the high-water mark, as Python websockets). */
export function writeLowWaterMark(high: number): number {
  return high >> 2;
}

/**
 * The cap rule. A send is refused, and the connection closed (1008), when
 * the backlog it would join (bytes already queued, before this message) is
 * over `cap` plus the largest message in that backlog. So the cap is about a
 * peer that stops draining, never about message size: one send of any size
 * always goes, and a reading peer that drains a 64 MiB message while the
 * application adds small ones does not trip it; an application that keeps
 * adding to a peer that does not read trips it after `cap` bytes beyond its
 * largest message. `largest` is reset when the backlog falls to `cap` or
 * below.
 */
export function overCap(backlog: number, largest: number, cap: number | null): boolean {
  return cap !== null && backlog > cap + largest;
}

/** What the outbox needs from its connection. */
export interface OutboxHost {
  readonly connection: Connection;
  /** Write what the engine queued, now. */
  flushNow(): void;
  /** Write what the engine queued, soon (batching). */
  scheduleFlush(): void;
  /** Bytes queued and not yet handed to the operating system. */
  bufferedAmount(): number;
  /** The write high-water mark `drain()` waits for. */
  readonly writeHighWaterMark: number;
  /** A stream's source failed: report it and fail the connection (1011). */
  sourceFailed(error: unknown): void;
  /** Report an event the application should know about (`unhandledError`). */
  report(error: unknown): void;
}

type Queued =
  | { readonly data: string | Uint8Array }
  | { readonly stream: SendStream; readonly resolve: (sent: boolean) => void };

/** Chunks of a message sent in fragments (ws4py's generator send). */
export type SendStream = Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/** Streams, the messages queued behind them, and drain waiters. */
export class Outbox {
  readonly #host: OutboxHost;
  #streaming = false;
  #queue: Queued[] = [];
  #drainWaiters: (() => void)[] = [];
  #closed = false;

  constructor(host: OutboxHost) {
    this.#host = host;
  }

  /** True while a streamed message is being sent: other messages must queue. */
  get streaming(): boolean {
    return this.#streaming;
  }

  /** Messages waiting behind the streamed one. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queue a whole message behind the streamed one. */
  enqueue(data: string | Uint8Array): void {
    this.#queue.push({ data });
  }

  /**
   * Send `stream` as one fragmented message, after any stream underway.
   * Resolves `true` once the last fragment is queued, `false` if the
   * connection closed first or the source failed (the failure is reported
   * and the connection closed with 1011). Never rejects: a caller that
   * ignores the promise cannot cause an unhandled rejection.
   */
  sendStream(stream: SendStream): Promise<boolean> {
    if (this.#streaming) return new Promise((resolve) => this.#queue.push({ stream, resolve }));
    return this.#run(stream);
  }

  async #run(stream: SendStream): Promise<boolean> {
    this.#streaming = true;
    const host = this.#host;
    const connection = host.connection;
    let sent = false;
    try {
      let previous: string | Uint8Array | undefined;
      for await (const chunk of stream) {
        if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
          throw new TypeError(`a streamed send yields strings or Uint8Arrays, got ${describe(chunk)}`);
        }
        if (this.#closed || connection.closeExpected) return false; // ends the source (for await calls return())
        if (previous !== undefined) {
          connection.sendFragment(previous, false);
          host.flushNow();
          await this.waitDrain();
          if (this.#closed || connection.closeExpected) return false;
        }
        previous = chunk;
      }
      if (this.#closed || connection.closeExpected) return false;
      connection.sendFragment(previous ?? new Uint8Array(0), true);
      host.scheduleFlush();
      sent = true;
      return true;
    } catch (error) {
      if (!this.#closed && !connection.closeExpected) host.sourceFailed(error);
      return false;
    } finally {
      this.#streaming = false;
      if (!sent && !this.#closed && connection.closeExpected) this.#cutOff();
      else this.#next();
    }
  }

  /** After a stream: send what waited behind it, up to the next stream. */
  #next(): void {
    const queue = this.#queue;
    const connection = this.#host.connection;
    while (queue.length > 0 && !this.#streaming) {
      const item = queue.shift()!;
      if ('data' in item) {
        if (connection.closeExpected) {
          queue.unshift(item);
          this.#cutOff();
          return;
        }
        connection.send(item.data);
      } else {
        this.sendStream(item.stream).then(item.resolve);
      }
    }
    this.#host.scheduleFlush();
  }

  /** Resolves once `bufferedAmount` is at or below the high-water mark, or the connection closed. */
  waitDrain(): Promise<void> {
    if (this.#closed || this.#host.bufferedAmount() <= this.#host.writeHighWaterMark) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** The transport drained some: wake `drain()` waiters if low enough. */
  drained(): void {
    if (this.#drainWaiters.length === 0) return;
    if (!this.#closed && this.#host.bufferedAmount() > this.#host.writeHighWaterMark) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** The connection closed: wake waiters; report and settle what was still queued. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.drained();
    this.#cutOff();
  }

  /** Messages queued behind a stream that can no longer be sent: settle and report them. */
  #cutOff(): void {
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    for (const item of queue) if ('stream' in item) item.resolve(false);
    this.#host.report(
      new WebSocketError('WS_ERR_CLOSED', `${queue.length} message${queue.length === 1 ? '' : 's'} queued behind a streamed send not sent: the connection closed`, { side: 'local' }),
    );
  }
}

/** How a value that is not data is named in a `TypeError`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (typeof value === 'symbol' || typeof value === 'function') return typeof value;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'a plain object';
}
