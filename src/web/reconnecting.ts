/**
 * `ReconnectingWebSocket`: a WHATWG-style object (events, `send`, `close`)
 * over {@link reconnect}, for code that wants one long-lived handle.
 *
 * What it does not do by default, unlike the libraries people use: replay
 * messages. `send()` while disconnected throws `InvalidStateError` unless a
 * `queue` is configured, and then the queue is bounded (`maxMessages`,
 * `maxBytes`), says what happens on overflow (`overflow`), and can drop
 * messages too old to matter (`maxAge`). `close()` stops reconnecting for
 * good, even during a wait or a handshake.
 *
 * @module
 */
import { reconnect, type ReconnectOptions } from '../reconnect.js';
import type { WebSocket } from '../websocket.js';
import { CloseEvent, ErrorEvent } from './events.js';
import { closeArguments, parseProtocols, parseWebSocketUrl, sendArgument, sendSize, type WebSendData } from './rules.js';
import type { BinaryType } from './client.js';

/** The bounded send queue used while disconnected. */
export interface SendQueueOptions {
  /** Most messages held. Required: there is no unbounded queue. */
  maxMessages: number;
  /** Most bytes held. Default: no byte bound beyond `maxMessages`. */
  maxBytes?: number;
  /**
   * When full: `'drop-oldest'` makes room, `'drop-newest'` discards the new
   * message, `'throw'` throws a `QuotaExceededError` DOMException.
   */
  overflow: 'drop-oldest' | 'drop-newest' | 'throw';
  /** Messages older than this many ms when the connection comes back are dropped, not sent. Default: none dropped for age. */
  maxAge?: number;
}

/** Options of {@link ReconnectingWebSocket}. */
export interface ReconnectingOptions extends Omit<ReconnectOptions, 'protocols' | 'WebSocketClass'> {
  /** Queue sends while disconnected (default: none; `send` throws `InvalidStateError`). */
  queue?: SendQueueOptions;
}

interface Queued {
  readonly data: WebSendData;
  readonly size: number;
  readonly at: number;
}

/**
 * A WebSocket-like object that reconnects. `open` fires for each
 * connection, `close` for each disconnect (`willReconnect` says whether
 * another attempt follows), `error` when an attempt fails for good.
 *
 * @example
 * ```ts
 * const ws = new ReconnectingWebSocket('ws://127.0.0.1:9000/', [], {
 *   queue: { maxMessages: 100, overflow: 'drop-oldest', maxAge: 10_000 },
 * });
 * ws.onmessage = (event) => console.log(event.data);
 * ws.send('hello'); // queued until the first open
 * ```
 */
export class ReconnectingWebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  /** The URL, serialised. */
  readonly url: string;
  /** `'blob'` (default) or `'arraybuffer'`, applied to every connection. */
  binaryType: BinaryType = 'blob';
  /** Handler attributes. */
  onopen: ((event: Event) => unknown) | null = null;
  onmessage: ((event: MessageEvent) => unknown) | null = null;
  onclose: ((event: CloseEvent & { willReconnect: boolean }) => unknown) | null = null;
  onerror: ((event: Event) => unknown) | null = null;

  readonly #queueOptions: SendQueueOptions | undefined;
  readonly #queue: Queued[] = [];
  #queuedBytes = 0;
  readonly #abort = new AbortController();
  #current: WebSocket | undefined;
  #closed = false;
  #stopped = false;

  constructor(url: string | URL, protocols?: string | readonly string[], options: ReconnectingOptions = {}) {
    super();
    const parsed = parseWebSocketUrl(url);
    const offered = parseProtocols(protocols);
    this.url = parsed.href;
    const queue = options.queue;
    if (queue !== undefined) {
      if (!(Number.isInteger(queue.maxMessages) && queue.maxMessages > 0)) throw new RangeError(`queue.maxMessages must be a positive integer, not ${String(queue.maxMessages)}`);
      if (!['drop-oldest', 'drop-newest', 'throw'].includes(queue.overflow)) throw new TypeError(`queue.overflow must be 'drop-oldest', 'drop-newest' or 'throw', not ${String(queue.overflow)}`);
    }
    this.#queueOptions = queue;
    const signal = options.signal === undefined ? this.#abort.signal : AbortSignal.any([options.signal, this.#abort.signal]);
    void this.#run(parsed, { ...options, protocols: offered, signal });
  }

  /** CONNECTING (between connections too), OPEN, CLOSING or CLOSED (after `close()` or a fatal error). */
  get readyState(): number {
    if (this.#closed) return 3;
    if (this.#stopped) return 2;
    return this.#current?.readyState === 1 ? 1 : 0;
  }

  /** The current connection, if one is open. */
  get current(): WebSocket | undefined {
    return this.#current;
  }

  /** Application bytes waiting: in the current connection, or in the queue. */
  get bufferedAmount(): number {
    return (this.#current?.bufferedAmount ?? 0) + this.#queuedBytes;
  }

  /** The subprotocol of the current connection. */
  get protocol(): string {
    return this.#current?.protocol ?? '';
  }

  /**
   * Send now if connected; otherwise queue (if configured, by its policy) or
   * throw `InvalidStateError`. After `close()`, throws `InvalidStateError`.
   */
  send(data: unknown): void {
    const payload = sendArgument(data);
    if (payload instanceof Blob) throw new TypeError('ReconnectingWebSocket.send: send the bytes of a Blob (await blob.arrayBuffer())');
    if (this.#stopped) throw new DOMException('send() after close()', 'InvalidStateError');
    const ws = this.#current;
    if (ws !== undefined && ws.readyState === 1) {
      ws.send(payload as string);
      return;
    }
    const queue = this.#queueOptions;
    if (queue === undefined) throw new DOMException('send() while disconnected (configure `queue` to hold messages)', 'InvalidStateError');
    const size = sendSize(payload);
    const full = (): boolean => this.#queue.length >= queue.maxMessages || (queue.maxBytes !== undefined && this.#queuedBytes + size > queue.maxBytes);
    if (full()) {
      if (queue.overflow === 'throw') throw new DOMException(`the send queue is full (${this.#queue.length} messages, ${this.#queuedBytes} bytes)`, 'QuotaExceededError');
      if (queue.overflow === 'drop-newest') return;
      while (this.#queue.length > 0 && full()) this.#queuedBytes -= this.#queue.shift()!.size;
      if (full()) return; // larger than maxBytes on its own
    }
    this.#queue.push({ data: payload, size, at: performance.now() });
    this.#queuedBytes += size;
  }

  /** Stop reconnecting and close the current connection (validated as the standard's `close`). */
  close(code?: number, reason?: string): void {
    const args = closeArguments(code, reason);
    if (this.#stopped) return;
    this.#stopped = true;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#abort.abort(new DOMException('closed', 'AbortError'));
    const ws = this.#current;
    if (ws !== undefined && ws.readyState === 1) {
      if (args.code === 1005) void ws.close();
      else void ws.close(args.code, args.reason);
    }
  }

  #fire(event: Event, handler: ((event: never) => unknown) | null): void {
    if (typeof handler === 'function') {
      try {
        (handler as (event: Event) => unknown).call(this, event);
      } catch (error) {
        console.error('ws4ts: a ReconnectingWebSocket handler threw:', error);
      }
    }
    this.dispatchEvent(event);
  }

  async #run(url: URL, options: ReconnectOptions): Promise<void> {
    let last: CloseEvent | undefined; // the last disconnect, not yet reported
    try {
      for await (const ws of reconnect(url, options)) {
        if (this.#stopped) {
          void ws.close(1000);
          break;
        }
        this.#current = ws;
        ws.binaryType = this.binaryType;
        ws.addEventListener('message', (event) => {
          const message = event as MessageEvent;
          this.#fire(new MessageEvent('message', { data: message.data, origin: url.origin }), this.onmessage);
        });
        this.#fire(new Event('open'), this.onopen);
        this.#flushQueue(ws);
        const outcome = await ws.finished;
        this.#current = undefined;
        if (this.#stopped) {
          last = new CloseEvent('close', outcome);
          break;
        }
        this.#fire(Object.assign(new CloseEvent('close', outcome), { willReconnect: true }), this.onclose);
      }
    } catch (error) {
      if (!this.#stopped) this.#fire(new ErrorEvent('error', { message: error instanceof Error ? error.message : String(error), error }), this.onerror);
    }
    this.#stopped = true;
    this.#closed = true;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    // Stopped between connections (or by a fatal error): nothing closed now, so 1006.
    const final = last ?? new CloseEvent('close', { code: 1006, reason: '', wasClean: false });
    this.#fire(Object.assign(final, { willReconnect: false }), this.onclose);
  }

  #flushQueue(ws: WebSocket): void {
    const maxAge = this.#queueOptions?.maxAge;
    const now = performance.now();
    for (const item of this.#queue.splice(0)) {
      if (maxAge !== undefined && now - item.at > maxAge) continue; // stale: never replayed
      ws.send(item.data as string);
    }
    this.#queuedBytes = 0;
  }
}
