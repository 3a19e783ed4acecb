/**
 * `WebSocket`: one live connection over a transport — ws4py's WebSocket,
 * rebuilt around the sans-I/O engine.
 *
 * Three ways to use it, as DESIGN.md describes: subclass it and override the
 * hooks (`opened`, `receivedMessage`, `ponged`, `closed`, `unhandledError`),
 * iterate it with `for await`, or pipe `messages$`. Received bytes go
 * through the engine synchronously; sends made while a chunk is being
 * dispatched, or within one tick, leave in one write.
 *
 * @module
 */
import { Observable, type Subscriber } from 'rxjs';
import {
  Connection,
  ReadyState,
  type CloseOutcome,
  type ConnectionEvent,
  type Role,
} from './protocol/connection.js';
import { WebSocketError } from './protocol/errors.js';
import { encodeBinaryFrame, encodeTextFrame } from './protocol/encoder.js';
import { DEFAULT_LIMITS, type Message, type ProtocolLimits } from './protocol/message.js';
import type { Extension } from './protocol/extension.js';
import type { HttpHeaders } from './protocol/headers.js';
import type { Transport, TransportSink } from './transport/transport.js';
import { addTicker, removeTicker, type Tickable } from './keepalive.js';
import { closeChannel, errorChannel, openChannel } from './observe/channels.js';
import type { ConnectionCounters } from './observe/counters.js';
import { EventTargetBase, Listeners } from './web/event-target.js';
import { PendingTransport, WebState, clientBufferedAmount, clientReadyState, clientSend, closeEvents, messageEvent, startClient, type BinaryType, type WebSocketClientOptions } from './web/client.js';
import { closeArguments, parseProtocols, parseWebSocketUrl } from './web/rules.js';
import { installWebInterface } from './web/interface.js';
import type { EventListenerLike, ListenerOptions } from './web/event-target.js';
import type { CloseEvent as CloseEventType } from './web/events.js';

/** Data `send` accepts as one message. */
export type SendData = string | Uint8Array | ArrayBuffer | ArrayBufferView;
/** Chunks of a message sent in fragments (ws4py's generator send). */
export type SendStream = Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/** Options of a connection, each with its default. */
export interface WebSocketOptions extends Partial<ProtocolLimits> {
  /**
   * Send a keepalive ping after this many ms without input; `null` turns
   * keepalive off. Default 20,000 on the server (as Python websockets), off
   * on the client.
   */
  pingInterval?: number | null;
  /** Close a peer that leaves a keepalive ping unanswered this long (ms). Default 20,000. */
  pongTimeout?: number;
  /** Close (1001) after this many ms without any input; `null` (default) never. */
  idleTimeout?: number | null;
  /** Destroy the transport if the close handshake is not over after this many ms. Default 10,000. */
  closeTimeout?: number;
  /**
   * Messages buffered for a `for await` / `receive()` consumer before reading
   * pauses (read backpressure); reading resumes at half. Default 64: enough
   * that a chunk of small pipelined messages never pauses the socket (a
   * pause/resume pair costs two system calls), bounded in bytes below.
   */
  highWaterMark?: number;
  /** Bytes of buffered messages at which reading pauses too. Default 4 MiB. */
  highWaterMarkBytes?: number;
  /** Write-buffer bytes above which `drain()` waits. Default 1 MiB. */
  writeHighWaterMark?: number;
  /** Answer pings automatically. Default true. */
  autoPong?: boolean;
}

/** The HTTP upgrade request a server connection came from. */
export interface RequestInfo {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  /** Header fields by lower-case name (repeated ones joined with ", ", `set-cookie` as an array, as node:http does). */
  readonly headers: HttpHeaders;
}

/** The handshake response a client connection got. */
export interface ResponseInfo {
  readonly status: number;
  readonly headers: HttpHeaders;
}

/** How a connection is made: filled in by servers and `connect()`. */
export interface WebSocketInit {
  readonly transport: Transport;
  readonly role: Role;
  readonly protocol?: string | undefined;
  readonly extensions?: readonly Extension[];
  /** The negotiated `Sec-WebSocket-Extensions` value. */
  readonly extensionsHeader?: string | undefined;
  readonly request?: RequestInfo | undefined;
  readonly response?: ResponseInfo | undefined;
  readonly options?: WebSocketOptions | undefined;
  /** Bytes that arrived after the handshake, before the WebSocket existed. */
  readonly head?: Uint8Array | undefined;
}

/** A message framed once, to send to many server connections. */
export interface PreparedMessage {
  /** The original data (used where the frame does not fit a connection). */
  readonly data: string | Uint8Array;
  /** The complete unmasked frame. */
  readonly frame: Uint8Array;
}

/**
 * Frame `data` once for {@link WebSocket.sendPrepared} on many connections.
 *
 * @example
 * ```ts
 * const prepared = prepareMessage('tick');
 * for (const ws of manager) ws.sendPrepared(prepared);
 * ```
 */
export function prepareMessage(data: SendData): PreparedMessage {
  const payload = typeof data === 'string' || data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out: Uint8Array[] = [];
  if (typeof payload === 'string') encodeTextFrame(out, 0x81, payload, undefined);
  else encodeBinaryFrame(out, 0x82, payload, undefined);
  return { data: payload, frame: out.length === 1 ? out[0]! : Buffer.concat(out) };
}

const kStart = Symbol('ws4ts.start');

/** Start a WebSocket built by a server or `connect()`: attach, open, run hooks. @internal */
export function startWebSocket(ws: WebSocket): void {
  ws[kStart]();
}

function flushTick(ws: WebSocket): void {
  ws.flush();
}

interface PendingPing {
  readonly payload: Uint8Array;
  readonly sentAt: number;
  readonly resolve: (rtt: number) => void;
  readonly reject: (error: Error) => void;
}

interface Waiter {
  resolve: (result: IteratorResult<Message>) => void;
  reject: (error: Error) => void;
}

type QueuedSend = { data: string | Uint8Array } | { stream: SendStream; resolve: () => void; reject: (e: Error) => void };

// Bits of WebSocket's #flags.
const STARTED = 1;
const CLOSED = 2;
const DISPATCHING = 4;
const FLUSH_SCHEDULED = 8;
const ENDED = 16;
const PAUSED = 32;
const STREAMING = 64;
const EVENTS = 128; // somebody listens: dispatch events
const WEB = 256; // built by `new WebSocket(url)`: the standard's send/close/readyState

/** The state of a WebSocket that most idle connections never need. */
class Rare {
  head: Uint8Array | undefined = undefined;
  closeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  outcome: CloseOutcome | undefined = undefined;
  error: WebSocketError | undefined = undefined;
  waiters: Waiter[] | undefined = undefined;
  subscribers: Set<Subscriber<Message>> | undefined = undefined;
  messages$: Observable<Message> | undefined = undefined;
  finished: Promise<CloseOutcome> | undefined = undefined;
  resolveFinished: ((outcome: CloseOutcome) => void) | undefined = undefined;
  pings: PendingPing[] | undefined = undefined;
  pingCounter = 0;
  drainWaiters: (() => void)[] | undefined = undefined;
  sendQueue: QueuedSend[] | undefined = undefined;
  closeListeners: ((ws: WebSocket) => void)[] | undefined = undefined;
  events: Listeners | undefined = undefined; // EventTarget listeners (src/web)
  web: WebState | undefined = undefined; // the WHATWG face's state (src/web)
}

const KEEPALIVE_PAYLOAD = new Uint8Array([0x6b, 0x61]); // "ka"

/**
 * One WebSocket connection, server or client side.
 *
 * @example
 * ```ts
 * // a subclass, ws4py style
 * class Echo extends WebSocket {
 *   override receivedMessage(message: Message) { this.send(message.data); }
 * }
 * // or a loop
 * for await (const message of ws) ws.send(message.data);
 * ```
 */
export class WebSocket extends EventTargetBase implements AsyncIterable<Message>, TransportSink, Tickable {
  /** The selected subprotocol, or `''`. */
  readonly protocol!: string;
  /** The negotiated `Sec-WebSocket-Extensions` value, or `''`. */
  readonly extensions!: string;
  /** Server side: the upgrade request. */
  readonly request: RequestInfo | undefined;
  /** Client side: the handshake response. */
  readonly response: ResponseInfo | undefined;

  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;

  // Not readonly: a URL-built WebSocket adopts its connection after the handshake.
  #transport!: Transport;
  #connection!: Connection;
  #options!: WebSocketOptions;
  // Booleans packed in one number, behind private accessors (on the
  // prototype, so they cost an idle connection nothing).
  #flags = 0;
  #lastInput = 0;
  #tickerKey = 0;
  #keepalivePingAt = 0; // a real field: every idle connection pings now and then
  // The first close listener (a manager's); any others live in #rare.
  #onClosed: ((ws: WebSocket) => void) | undefined;
  // The for-await queue.
  #queue: Message[] | undefined;
  #queueHead = 0;
  #queuedBytes = 0;
  // Everything an idle connection usually never uses lives in one object
  // created on first use (see the accessors below).
  #rare: Rare | undefined;
  // Counters (src/observe): plain numbers, read only through `counters`.
  #messagesIn = 0;
  #messagesOut = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #openedAt = 0;

  get #started(): boolean { return (this.#flags & STARTED) !== 0; }
  set #started(on: boolean) { this.#flags = on ? this.#flags | STARTED : this.#flags & ~STARTED; }
  get #closed(): boolean { return (this.#flags & CLOSED) !== 0; }
  set #closed(on: boolean) { this.#flags = on ? this.#flags | CLOSED : this.#flags & ~CLOSED; }
  get #dispatching(): boolean { return (this.#flags & DISPATCHING) !== 0; }
  set #dispatching(on: boolean) { this.#flags = on ? this.#flags | DISPATCHING : this.#flags & ~DISPATCHING; }
  get #flushScheduled(): boolean { return (this.#flags & FLUSH_SCHEDULED) !== 0; }
  set #flushScheduled(on: boolean) { this.#flags = on ? this.#flags | FLUSH_SCHEDULED : this.#flags & ~FLUSH_SCHEDULED; }
  get #ended(): boolean { return (this.#flags & ENDED) !== 0; }
  set #ended(on: boolean) { this.#flags = on ? this.#flags | ENDED : this.#flags & ~ENDED; }
  get #paused(): boolean { return (this.#flags & PAUSED) !== 0; }
  set #paused(on: boolean) { this.#flags = on ? this.#flags | PAUSED : this.#flags & ~PAUSED; }
  get #streaming(): boolean { return (this.#flags & STREAMING) !== 0; }
  set #streaming(on: boolean) { this.#flags = on ? this.#flags | STREAMING : this.#flags & ~STREAMING; }

  get #head(): Uint8Array | undefined { return this.#rare?.head; }
  set #head(v: Uint8Array | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).head = v; }
  get #closeTimer(): ReturnType<typeof setTimeout> | undefined { return this.#rare?.closeTimer; }
  set #closeTimer(v: ReturnType<typeof setTimeout> | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).closeTimer = v; }
  get #outcome(): CloseOutcome | undefined { return this.#rare?.outcome; }
  set #outcome(v: CloseOutcome | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).outcome = v; }
  get #error(): WebSocketError | undefined { return this.#rare?.error; }
  set #error(v: WebSocketError | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).error = v; }
  get #waiters(): Waiter[] | undefined { return this.#rare?.waiters; }
  set #waiters(v: Waiter[] | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).waiters = v; }
  get #subscribers(): Set<Subscriber<Message>> | undefined { return this.#rare?.subscribers; }
  set #subscribers(v: Set<Subscriber<Message>> | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).subscribers = v; }
  get #messages$(): Observable<Message> | undefined { return this.#rare?.messages$; }
  set #messages$(v: Observable<Message> | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).messages$ = v; }
  get #finished(): Promise<CloseOutcome> | undefined { return this.#rare?.finished; }
  set #finished(v: Promise<CloseOutcome> | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).finished = v; }
  get #resolveFinished(): ((outcome: CloseOutcome) => void) | undefined { return this.#rare?.resolveFinished; }
  set #resolveFinished(v: ((outcome: CloseOutcome) => void) | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).resolveFinished = v; }
  get #pings(): PendingPing[] | undefined { return this.#rare?.pings; }
  set #pings(v: PendingPing[] | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).pings = v; }
  get #pingCounter(): number { return this.#rare?.pingCounter ?? 0; }
  set #pingCounter(v: number) { (this.#rare ??= new Rare()).pingCounter = v; }
  get #drainWaiters(): (() => void)[] | undefined { return this.#rare?.drainWaiters; }
  set #drainWaiters(v: (() => void)[] | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).drainWaiters = v; }
  get #sendQueue(): QueuedSend[] | undefined { return this.#rare?.sendQueue; }
  set #sendQueue(v: QueuedSend[] | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).sendQueue = v; }
  get #closeListeners(): ((ws: WebSocket) => void)[] | undefined { return this.#rare?.closeListeners; }
  set #closeListeners(v: ((ws: WebSocket) => void)[] | undefined) { if (v !== undefined || this.#rare) (this.#rare ??= new Rare()).closeListeners = v; }

  /** A connection built by a server or `connect()`. */
  constructor(init: WebSocketInit);
  /**
   * The WHATWG form: a client connecting to `url` (ws, wss, http or https),
   * offering `protocols`. Throws `SyntaxError` (DOMException) for a bad URL,
   * a fragment, an invalid or repeated protocol. See the README for where
   * such an object follows the standard rather than ws4ts.
   */
  constructor(url: string | URL, protocols?: string | readonly string[], options?: WebSocketClientOptions);
  constructor(init: WebSocketInit | string | URL, protocols?: string | readonly string[], options?: WebSocketClientOptions) {
    super();
    if (typeof init === 'object' && init !== null && 'transport' in init) {
      this.#setup(init);
      return;
    }
    if (init === undefined) throw new TypeError('WebSocket needs a URL');
    const url = parseWebSocketUrl(init);
    const offered = parseProtocols(protocols);
    const state = new WebState(url);
    this.#setup({ transport: new PendingTransport(() => state.abort!.abort(new DOMException('the WebSocket was closed while connecting', 'AbortError'))), role: 'client' });
    this.#connection.receiveEof(); // an engine that accepts nothing until the real one is adopted
    (this.#rare ??= new Rare()).web = state;
    this.#flags |= WEB;
    startClient(this, state, offered, options ?? {}, webHost);
  }

  #setup(init: WebSocketInit): void {
    const self = this as { -readonly [K in 'protocol' | 'extensions' | 'request' | 'response']: WebSocket[K] };
    this.#transport = init.transport;
    this.#options = init.options ?? {};
    self.protocol = init.protocol ?? '';
    self.extensions = init.extensionsHeader ?? '';
    self.request = init.request;
    self.response = init.response;
    this.#head = init.head;
    const extensions = init.extensions ?? [];
    this.#connection = new Connection({
      role: init.role,
      extensions,
      maxPayload: this.#options.maxPayload ?? DEFAULT_LIMITS.maxPayload,
      maxFragments: this.#options.maxFragments ?? DEFAULT_LIMITS.maxFragments,
      autoPong: this.#options.autoPong ?? true,
      onAsyncReady: extensions.length > 0 ? () => this.#afterInput() : undefined,
    });
  }

  // ─── hooks (ws4py's names, camelCase) ─────────────────────────────────────

  /** Called once the connection is open. */
  opened(): void {}

  /**
   * Called for every message. The default hands it to `messages$`
   * subscribers if there are any, otherwise queues it for `for await` and
   * `receive()` (pausing reads once `highWaterMark` messages wait).
   */
  receivedMessage(message: Message): void {
    if ((this.#flags & EVENTS) !== 0 && this.#rare!.events!.has('message')) {
      this.#dispatch(messageEvent(message, this.#rare!.web));
      return;
    }
    const subscribers = this.#subscribers;
    if (subscribers !== undefined && subscribers.size > 0) {
      for (const subscriber of subscribers) subscriber.next(message);
      return;
    }
    const waiters = this.#waiters;
    if (waiters !== undefined && waiters.length > 0) {
      waiters.shift()!.resolve({ value: message, done: false });
      return;
    }
    const queue = (this.#queue ??= []);
    queue.push(message);
    this.#queuedBytes += message.data.length;
    if (!this.#paused) this.#readPressure();
  }

  /** Called for every pong received, with its payload. */
  ponged(_data: Uint8Array): void {}

  /** Called once when the connection is closed, with the close code and reason. */
  closed(_code: number, _reason: string): void {}

  /**
   * Called with an error thrown by a hook or handler (the connection is then
   * closed with 1011). The default reports it on stderr.
   */
  unhandledError(error: unknown): void {
    console.error('ws4ts: unhandled error in a WebSocket handler:', error);
  }

  // ─── state ───────────────────────────────────────────────────────────────

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). */
  get readyState(): ReadyState {
    const state = this.#closed ? ReadyState.CLOSED : this.#connection.readyState === ReadyState.CLOSED ? ReadyState.CLOSING : this.#connection.readyState;
    return (this.#flags & WEB) !== 0 ? (clientReadyState(this.#rare!.web!, state) as ReadyState) : state;
  }

  /**
   * Bytes queued and not yet handed to the operating system. For a URL-built
   * WebSocket, as the standard counts: application data only, plus what was
   * sent after closing.
   */
  get bufferedAmount(): number {
    const queued = this.#connection.pendingBytes + this.#transport.writableLength;
    return (this.#flags & WEB) !== 0 ? clientBufferedAmount(this.#rare!.web!, queued, this.readyState) : queued;
  }

  /** The peer's address. */
  get remoteAddress(): string | undefined {
    return this.#transport.remoteAddress;
  }

  /** The protocol error that failed this connection, if any. */
  get error(): WebSocketError | undefined {
    return this.#error;
  }

  /** What this connection has carried: messages and wire bytes each way, open time, close code. */
  get counters(): ConnectionCounters {
    return {
      messagesIn: this.#messagesIn,
      messagesOut: this.#messagesOut,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      openedAt: this.#openedAt,
      closeCode: this.#outcome?.code,
    };
  }

  /** Resolves once the connection is closed, with `{code, reason, wasClean}`. Never rejects. */
  get finished(): Promise<CloseOutcome> {
    if (this.#finished === undefined) {
      if (this.#outcome !== undefined) this.#finished = Promise.resolve(this.#outcome);
      else this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    }
    return this.#finished;
  }

  // ─── receiving ───────────────────────────────────────────────────────────

  /** Messages as an Observable: completes on close, errors on a protocol failure. */
  get messages$(): Observable<Message> {
    return (this.#messages$ ??= new Observable<Message>((subscriber) => {
      if (this.#closed) {
        if (this.#error) subscriber.error(this.#error);
        else subscriber.complete();
        return;
      }
      const subscribers = (this.#subscribers ??= new Set());
      subscribers.add(subscriber);
      // Hand over anything queued before the subscription.
      while (this.#queue !== undefined && this.#queueHead < this.#queue.length) subscriber.next(this.#takeQueued()!);
      return () => subscribers.delete(subscriber);
    }));
  }

  /** The next message; rejects with `WS_ERR_CLOSED` once the connection is closed. */
  receive(options: { signal?: AbortSignal } = {}): Promise<Message> {
    return this.#next(options.signal).then((result) => {
      if (result.done) throw new WebSocketError('WS_ERR_CLOSED', 'the connection is closed', { side: 'local' });
      return result.value;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return {
      next: () => this.#next(undefined),
      return: async () => ({ value: undefined, done: true }),
    };
  }

  #takeQueued(): Message | undefined {
    const queue = this.#queue;
    if (queue === undefined || this.#queueHead >= queue.length) return undefined;
    const message = queue[this.#queueHead++]!;
    this.#queuedBytes -= message.data.length;
    if (this.#queueHead === queue.length) {
      queue.length = 0;
      this.#queueHead = 0;
    }
    if (this.#paused) this.#readPressure();
    return message;
  }

  #next(signal: AbortSignal | undefined): Promise<IteratorResult<Message>> {
    const message = this.#takeQueued();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    if (this.#closed) {
      return this.#error ? Promise.reject(this.#error) : Promise.resolve({ value: undefined, done: true });
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      (this.#waiters ??= []).push(waiter);
      if (signal !== undefined) this.#watchAbort(waiter, signal);
    });
  }

  /**
   * Reject `waiter` when `signal` aborts. The listener goes away as soon as
   * the waiter settles, so one signal can serve any number of `receive()`
   * calls, and an abort after the close finds nothing left to touch.
   */
  #watchAbort(waiter: Waiter, signal: AbortSignal): void {
    const { resolve, reject } = waiter;
    const onAbort = (): void => {
      const index = this.#waiters?.indexOf(waiter) ?? -1;
      if (index >= 0) this.#waiters!.splice(index, 1);
      reject(signal.reason);
    };
    waiter.resolve = (result) => {
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    waiter.reject = (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  }

  // ─── sending ─────────────────────────────────────────────────────────────

  /**
   * Send a message: a string as text, bytes as binary. An iterable or async
   * iterable of chunks is sent as one fragmented message (the returned
   * promise settles when its last fragment is queued); other messages sent
   * meanwhile wait their turn, control frames do not. Throws `WS_ERR_CLOSED`
   * once closing. Do not mutate a buffer after passing it to `send`.
   */
  send(data: SendData): void;
  /** A Blob: URL-built (WHATWG) WebSockets only, sent in order once read. */
  send(data: Blob): void;
  send(data: SendStream): Promise<void>;
  send(data: SendData | SendStream | Blob): void | Promise<void> {
    if ((this.#flags & WEB) !== 0) return clientSend(this, this.#rare!.web!, data, (payload) => this.#sendPayload(payload));
    let payload: string | Uint8Array;
    if (typeof data === 'string' || data instanceof Uint8Array) payload = data;
    else if (data instanceof ArrayBuffer) payload = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else return this.#sendStream(data as SendStream);
    this.#sendPayload(payload);
  }

  #sendPayload(payload: string | Uint8Array): void {
    if (this.#streaming) {
      if (this.#connection.closeExpected) throw new WebSocketError('WS_ERR_CLOSED', 'cannot send: the connection is closing', { side: 'local' });
      (this.#sendQueue ??= []).push({ data: payload });
      this.#messagesOut++;
      return;
    }
    this.#connection.send(payload);
    this.#messagesOut++;
    this.#scheduleFlush();
  }

  /**
   * Send a message framed once for many connections (see `prepareMessage`).
   * Falls back to a normal send where the prepared bytes do not fit this
   * connection (client role, a negotiated extension, a fragmented send underway).
   */
  sendPrepared(prepared: PreparedMessage): void {
    if (this.#canSendPrepared) {
      if (!this.#streaming) {
        this.#connection.sendFrames(prepared.frame);
        this.#messagesOut++;
        this.#scheduleFlush();
        return;
      }
    }
    this.send(prepared.data);
  }

  get #canSendPrepared(): boolean {
    return this.#connection.role === 'server' && this.#connection.extensions.length === 0;
  }

  /** @internal Call `listener` once when the connection closes (used by managers). */
  onceClosed(listener: (ws: WebSocket) => void): void {
    if (this.#closed) {
      listener(this);
      return;
    }
    if (this.#onClosed === undefined) this.#onClosed = listener;
    else (this.#closeListeners ??= []).push(listener);
  }

  /** Resolves when `bufferedAmount` is at or below the write high-water mark. */
  drain(): Promise<void> {
    if (this.bufferedAmount <= (this.#options.writeHighWaterMark ?? 1 << 20) || this.#closed) return Promise.resolve();
    return new Promise((resolve) => (this.#drainWaiters ??= []).push(resolve));
  }

  async #sendStream(stream: SendStream): Promise<void> {
    if (this.#streaming) {
      await new Promise<void>((resolve, reject) => (this.#sendQueue ??= []).push({ stream, resolve, reject }));
      return;
    }
    this.#streaming = true;
    try {
      let previous: string | Uint8Array | undefined;
      for await (const chunk of stream) {
        if (previous !== undefined) {
          this.#connection.sendFragment(previous, false);
          this.flush();
          await this.drain();
        }
        previous = chunk;
      }
      this.#connection.sendFragment(previous ?? new Uint8Array(0), true);
      this.#messagesOut++;
      this.#scheduleFlush();
    } catch (error) {
      // A half-sent message cannot be completed: fail the connection.
      if (this.#connection.fragmenting) {
        this.#connection.fail(new WebSocketError('WS_ERR_HANDLER', 'fragmented send failed', { closeCode: 1011, side: 'local', cause: error }));
        this.flush();
      }
      throw error;
    } finally {
      this.#streaming = false;
      this.#runSendQueue();
    }
  }

  #runSendQueue(): void {
    const queue = this.#sendQueue;
    while (queue !== undefined && queue.length > 0 && !this.#streaming) {
      const item = queue.shift()!;
      if ('data' in item) {
        try {
          this.#connection.send(item.data);
        } catch {
          // Closed meanwhile: like a send after close, the message is dropped.
        }
      } else {
        this.#sendStream(item.stream).then(item.resolve, item.reject);
      }
    }
    this.#scheduleFlush();
  }

  /**
   * Send a ping; resolves with the round-trip time in ms when the matching
   * pong arrives, rejects (`WS_ERR_CLOSED`) if the connection is closing or
   * closes first. Throws for a payload over 125 bytes.
   */
  ping(data?: Uint8Array | string): Promise<number> {
    let payload: Uint8Array;
    if (data === undefined) {
      const n = ++this.#pingCounter;
      payload = new Uint8Array([0x70, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    } else {
      payload = typeof data === 'string' ? Buffer.from(data) : data;
    }
    try {
      this.#connection.ping(payload);
    } catch (error) {
      // Closing is a race a heartbeat loop cannot avoid: reject, so that
      // `ws.ping().catch(…)` is enough; a bad payload stays a thrown mistake.
      if (error instanceof WebSocketError && error.code === 'WS_ERR_CLOSED') return Promise.reject(error);
      throw error;
    }
    this.#scheduleFlush();
    return new Promise((resolve, reject) => {
      (this.#pings ??= []).push({ payload, sentAt: performance.now(), resolve, reject });
    });
  }

  /**
   * Start the closing handshake (idempotent). Throws for a code that may not
   * be sent (1004–1006, 1015, outside 1000–4999) or a reason over 123 bytes.
   * Resolves like {@link finished}.
   */
  close(code?: number, reason?: string): Promise<CloseOutcome> {
    if ((this.#flags & WEB) !== 0) {
      // The standard's rules: DOMExceptions, no code sent when none is given, closing while connecting fails the connection.
      ({ code, reason } = closeArguments(code, reason));
      const state = this.#rare!.web!;
      if (state.connecting || state.abandoned) {
        if (!state.abandoned) state.abandoned = true;
        state.abort?.abort(new DOMException('the WebSocket was closed while connecting', 'AbortError'));
        return this.finished;
      }
    } else if (code === 1005) {
      // The engine reads 1005 as "send no code"; the API refuses it like ws and browsers do.
      throw new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', 'close code 1005 may not be sent', { side: 'local' });
    }
    if (code === 1005) this.#connection.closeWithoutCode(); // only reachable by the WHATWG path
    else this.#connection.close(code ?? 1000, reason ?? '');
    this.flush();
    return this.finished;
  }

  /**
   * `await using ws = await connect(url)`: close with 1000 at the end of the
   * scope and wait for the closing handshake (or the close timeout).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.readyState < ReadyState.CLOSING) await this.close(1000);
    else await this.finished;
  }

  /** Drop the connection at once, without a closing handshake. */
  terminate(): void {
    this.#transport.destroy();
  }

  /** Write what the engine queued. Called automatically; public for batching tools. */
  flush(): void {
    this.#flushScheduled = false;
    const connection = this.#connection;
    const bytes = connection.bytesToSend();
    if (bytes.length > 0) {
      for (let i = 0; i < bytes.length; i++) this.#bytesOut += bytes[i]!.length;
      this.#transport.write(bytes);
    }
    if (connection.closeExpected && this.#closeTimer === undefined && !this.#closed) {
      this.#closeTimer = setTimeout(() => this.#transport.destroy(), this.#options.closeTimeout ?? 10_000);
      this.#closeTimer.unref?.();
    }
    if (connection.shouldCloseTransport && !this.#ended) {
      this.#ended = true;
      this.#transport.end();
    }
  }

  #scheduleFlush(): void {
    if (this.#dispatching || this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(flushTick, this);
  }

  // ─── transport events ────────────────────────────────────────────────────

  /** @internal */
  [kStart](): void {
    if (this.#started) return;
    this.#started = true;
    this.#transport.attach(this);
    this.#openedAt = Date.now();
    if (openChannel.hasSubscribers) openChannel.publish({ role: this.#connection.role, websocket: this, protocol: this.protocol, extensions: this.extensions });
    const interval = this.#options.pingInterval;
    const idle = this.#options.idleTimeout;
    if ((interval !== null && interval !== undefined) || (idle !== null && idle !== undefined)) {
      this.#lastInput = performance.now();
      const periods = [interval, this.#options.pongTimeout ?? 20_000, idle].filter((p): p is number => typeof p === 'number' && p > 0);
      this.#tickerKey = addTicker(this, Math.min(...periods) / 4);
    }
    try {
      this.opened();
    } catch (error) {
      this.#handlerFailed(error);
    }
    if ((this.#flags & EVENTS) !== 0) this.#dispatch(new Event('open'));
    const head = this.#head;
    this.#head = undefined;
    if (head !== undefined && head.length > 0) this.onData(head);
  }

  /** @internal TransportSink */
  onData(chunk: Uint8Array): void {
    if (this.#tickerKey !== 0) this.#lastInput = performance.now();
    this.#bytesIn += chunk.length;
    this.#connection.receive(chunk);
    this.#afterInput();
  }

  #afterInput(): void {
    this.#dispatching = true;
    const connection = this.#connection;
    try {
      for (let event: ConnectionEvent | undefined; (event = connection.nextEvent()); ) {
        if (event.type === 'text' || event.type === 'binary') {
          this.#messagesIn++;
          try {
            this.receivedMessage(event);
          } catch (error) {
            this.#handlerFailed(error);
          }
        } else if (event.type === 'pong') {
          this.#onPong(event.data);
        } else if (event.type === 'error') {
          this.#error = event.error;
          if (errorChannel.hasSubscribers) errorChannel.publish({ role: connection.role, websocket: this, error: event.error });
        }
      }
    } finally {
      this.#dispatching = false;
    }
    // Messages still being decoded by an extension (zlib) count towards read
    // backpressure too, or a fast sender could pile up decodes without bound.
    if (connection.queuedEvents > 0 || this.#paused) this.#readPressure();
    this.flush();
  }

  /** Pause reading at `highWaterMark` undelivered messages (or bytes), resume at half. */
  #readPressure(): void {
    const queued = this.#connection.queuedEvents + (this.#queue === undefined ? 0 : this.#queue.length - this.#queueHead);
    const mark = this.#options.highWaterMark ?? 64;
    const bytes = this.#queuedBytes;
    const byteMark = this.#options.highWaterMarkBytes ?? 4 * 1024 * 1024;
    if (!this.#paused && (queued >= mark || bytes >= byteMark)) {
      this.#paused = true;
      this.#transport.pause();
    } else if (this.#paused && queued <= mark >> 1 && bytes <= byteMark >> 1) {
      this.#paused = false;
      this.#transport.resume();
    }
  }

  /** @internal TransportSink */
  onEnd(): void {
    this.#connection.receiveEof();
    if (!this.#ended) {
      this.flush();
      this.#ended = true;
      this.#transport.end();
    }
  }

  /** @internal TransportSink */
  onDrain(): void {
    const waiters = this.#drainWaiters;
    if (waiters === undefined || waiters.length === 0) return;
    if (this.bufferedAmount > (this.#options.writeHighWaterMark ?? 1 << 20)) return;
    this.#drainWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /** @internal TransportSink */
  onClose(_error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#connection.readyState !== ReadyState.CLOSED) this.#connection.receiveEof();
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    if (this.#tickerKey !== 0) removeTicker(this, this.#tickerKey);
    for (const extension of this.#connection.extensions) extension.dispose(); // release zlib state (RFC 7692)
    const outcome = this.#connection.closeOutcome();
    this.#outcome = outcome;
    if (closeChannel.hasSubscribers) {
      closeChannel.publish({ role: this.#connection.role, websocket: this, code: outcome.code, reason: outcome.reason, wasClean: outcome.wasClean, duration: Date.now() - this.#openedAt });
    }
    try {
      this.closed(outcome.code, outcome.reason);
    } catch (error) {
      this.unhandledError(error);
    }
    if ((this.#flags & EVENTS) !== 0) for (const event of closeEvents(outcome, this.#error ?? this.#rare!.web?.failure)) this.#dispatch(event);
    const first = this.#onClosed;
    this.#onClosed = undefined;
    const listeners = this.#closeListeners;
    this.#closeListeners = undefined;
    for (const listener of first === undefined ? (listeners ?? []) : [first, ...(listeners ?? [])]) {
      try {
        listener(this);
      } catch (error) {
        this.unhandledError(error);
      }
    }
    this.#resolveFinished?.(outcome);
    const error = this.#error;
    if (this.#subscribers !== undefined) {
      for (const subscriber of this.#subscribers) {
        if (error) subscriber.error(error);
        else subscriber.complete();
      }
      this.#subscribers.clear();
    }
    const waiters = this.#waiters;
    this.#waiters = undefined;
    for (const waiter of waiters ?? []) {
      if (error) waiter.reject(error);
      else waiter.resolve({ value: undefined, done: true });
    }
    const pings = this.#pings;
    this.#pings = undefined;
    for (const ping of pings ?? []) ping.reject(new WebSocketError('WS_ERR_CLOSED', 'closed before the pong arrived', { side: 'local' }));
    this.onDrain();
    if (this.#drainWaiters) for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  #onPong(data: Uint8Array): void {
    this.#keepalivePingAt = 0;
    const pings = this.#pings;
    if (pings !== undefined) {
      // A pong answers the matching ping and every ping sent before it.
      const index = pings.findIndex((p) => equalBytes(p.payload, data));
      if (index >= 0) {
        const now = performance.now();
        for (const ping of pings.splice(0, index + 1)) ping.resolve(now - ping.sentAt);
      }
    }
    try {
      this.ponged(data);
    } catch (error) {
      this.#handlerFailed(error);
    }
  }

  /** @internal Tickable: keepalive and idle checks on the shared timer. */
  tick(now: number): void {
    if (this.#closed || this.#connection.closeExpected) return;
    if (this.#paused) {
      // We stopped reading (read backpressure): the silence is ours and the
      // peer's pong may be waiting unread. Restart the clocks instead of
      // closing a live peer as dead; they run again once reading resumes.
      this.#keepalivePingAt = 0;
      this.#lastInput = now;
      return;
    }
    const interval = this.#options.pingInterval;
    if (interval !== null && interval !== undefined) {
      if (this.#keepalivePingAt !== 0) {
        if (now - this.#keepalivePingAt >= (this.#options.pongTimeout ?? 20_000)) {
          // A peer that does not answer is dead: tell it (1011) and drop it.
          this.#connection.fail(new WebSocketError('WS_ERR_PING_TIMEOUT', 'keepalive ping timeout', { closeCode: 1011, side: 'local' }));
          this.flush();
          this.#transport.destroy();
          return;
        }
      } else if (now - this.#lastInput >= interval) {
        this.#keepalivePingAt = now;
        this.#connection.ping(KEEPALIVE_PAYLOAD);
        this.flush();
      }
    }
    const idle = this.#options.idleTimeout;
    if (idle !== null && idle !== undefined && now - this.#lastInput >= idle) {
      this.close(1001, 'idle timeout').catch(() => {});
    }
  }

  #handlerFailed(error: unknown): void {
    // Not handler bugs, so not reported: a send that lost the race with the
    // peer's close (an echo of a message that arrived with the close frame),
    // and the peer's own protocol error coming back out of `for await` or
    // `messages$` (it already closed the connection with its code).
    if (
      this.readyState !== ReadyState.OPEN &&
      error instanceof WebSocketError &&
      (error.code === 'WS_ERR_CLOSED' || error === this.#error)
    ) {
      return;
    }
    if (errorChannel.hasSubscribers) errorChannel.publish({ role: this.#connection.role, websocket: this, error });
    try {
      this.unhandledError(error);
    } catch {
      // A throwing error hook must not take anything else down.
    }
    if (this.#closed || this.#connection.closeExpected) return;
    this.#connection.fail(new WebSocketError('WS_ERR_HANDLER', 'internal error', { closeCode: 1011, side: 'local', cause: error }));
    this.flush();
  }

  /** @internal Report a handler failure (used by the handler runner). */
  handlerFailed(error: unknown): void {
    this.#handlerFailed(error);
  }

  // ─── the WHATWG face (src/web) ───────────────────────────────────────────

  #dispatch(event: Event): void {
    this.#rare!.events!.dispatch(this, event, (error) => this.unhandledError(error));
  }

  static #events(ws: WebSocket, create: boolean): Listeners | undefined {
    if (create && ws.#rare?.events === undefined) {
      (ws.#rare ??= new Rare()).events = new Listeners();
      ws.#flags |= EVENTS;
    }
    return ws.#rare?.events;
  }

  static #web(ws: WebSocket, create: boolean): WebState | undefined {
    if (create && ws.#rare?.web === undefined) (ws.#rare ??= new Rare()).web = new WebState(undefined);
    return ws.#rare?.web;
  }

  static {
    installWebInterface<WebSocket>(WebSocket, {
      events: WebSocket.#events as never,
      web: WebSocket.#web as never,
      report: (ws, error) => ws.unhandledError(error),
    });
  }

  /** @internal Adopt the negotiated connection (URL-built WebSockets). */
  static adopt(ws: WebSocket, init: WebSocketInit): void {
    ws.#setup(init);
  }
}

/** The class's side of src/web/client.ts. */
const webHost = {
  adopt: (ws: WebSocket, init: WebSocketInit) => WebSocket.adopt(ws, init),
  fail: (ws: WebSocket) => ws.onClose(undefined),
};

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A WebSocket is also an `Observable<Message>`: its `subscribe`, `pipe`,
 * `forEach`, `lift` and `toPromise` are those of {@link WebSocket.messages$}.
 * So every handler function can be handed the WebSocket first, and one type
 * serves `(ws) => …` and `(messages$, ws) => messages$.pipe(…)` alike (which
 * is what lets TypeScript type an inline handler's parameters: it cannot
 * choose between two function types by the number of parameters).
 */
export interface WebSocket extends Observable<Message> {}
// On the prototype, not per instance: an idle connection holds no closure for them.
const observableMethods = ['subscribe', 'pipe', 'forEach', 'lift', 'toPromise'] as const;
for (const name of observableMethods) {
  Object.defineProperty(WebSocket.prototype, name, {
    configurable: true,
    writable: true,
    value: function (this: WebSocket, ...args: unknown[]) {
      const stream = this.messages$ as unknown as Record<string, (...a: unknown[]) => unknown>;
      return stream[name]!(...args);
    },
  });
}
// Observable's (deprecated) public fields, for structural compatibility: a WebSocket is a source, not an operator chain.
for (const name of ['source', 'operator'] as const) {
  Object.defineProperty(WebSocket.prototype, name, { configurable: true, get: () => undefined });
}

/** The WHATWG attributes, installed on the prototype by src/web/interface.ts. */
export interface WebSocket {
  /** `'blob'` (default, as the standard) or `'arraybuffer'`: the `data` of binary `message` events. */
  binaryType: BinaryType;
  /** The URL given to the WHATWG constructor, serialised (`''` for a server-side connection). */
  readonly url: string;
  /** Handler attributes: `null` until set; a non-function sets `null`. */
  onopen: ((this: WebSocket, event: Event) => unknown) | null;
  onmessage: ((this: WebSocket, event: MessageEvent) => unknown) | null;
  onerror: ((this: WebSocket, event: Event) => unknown) | null;
  onclose: ((this: WebSocket, event: CloseEventType) => unknown) | null;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  addEventListener(type: string, listener: EventListenerLike | null, options?: ListenerOptions | boolean): void;
  removeEventListener(type: string, listener: EventListenerLike | null, options?: EventListenerOptions | boolean): void;
}

/** A WebSocket that sends every message back, as ws4py's EchoWebSocket. */
export class EchoWebSocket extends WebSocket {
  override receivedMessage(message: Message): void {
    this.send(message.data);
  }
}
