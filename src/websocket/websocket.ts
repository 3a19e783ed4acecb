/**
 * `WebSocket`: one live connection over a transport — ws4py's WebSocket,
 * rebuilt around the sans-I/O engine. This file holds the class: its
 * fields, hooks and public members, and the hot paths (send, flush, input,
 * per-message dispatch). What runs off them lives in the modules next to
 * it, which reach the private fields through the accessors the class hands
 * fields.ts (opening, closing, failures, heartbeat, flow-control, queues,
 * web-face); the socket-free pieces (inbox, outbox, pings, keepalive, sink,
 * rare, observable) need only what they are handed; src/web has the
 * WHATWG face.
 *
 * Three ways to use it, as DESIGN.md describes: subclass it and override the
 * hooks (`opened`, `receivedMessage`, `ponged`, `closed`, `unhandledError`),
 * iterate it with `for await`, or pipe `messages$`. Received bytes go
 * through the engine synchronously; sends made while a chunk is being
 * dispatched, or within one tick, leave in one write.
 *
 * Nothing internal is a public name: the transport talks to a private sink,
 * the timer wheel and the handler runner use unexported-to-users symbols, so
 * a subclass method called `onClose`, `onData`, `tick` or `flush` is just a
 * method of that subclass.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import { ReadyState, type CloseOutcome, type Connection, type ConnectionEvent } from '../protocol/connection.js';
import { WebSocketError } from '../protocol/errors.js';
import type { Message } from '../protocol/message.js';
import type { Transport } from '../transport/transport.js';
import type { Inbox } from './inbox.js';
import { DEFAULT_MAX_BUFFERED_AMOUNT, DEFAULT_WRITE_HIGH_WATER_MARK, overCap, type Outbox, type SendStream } from './outbox.js';
import type { PreparedMessage } from './prepared.js';
import type { RequestInfo, ResponseInfo, SendData, WebSocketInit, WebSocketOptions } from './options.js';
import { toPayload } from './payload.js';
import type { KeepaliveClock } from './keepalive-clock.js';
import { kTick } from './timer-wheel.js';
import { kClose, kData, kDrain, kEnd } from './sink.js';
import { Rare } from './rare.js';
import { CLOSED, DISPATCHING, ENDED, EVENTS, FLUSH_SCHEDULED, INBOX_PAUSED, OUTPUT_PAUSED, WEB, provideFields } from './fields.js';
import { setup, start } from './opening.js';
import { armCloseTimer, closeEmpty, onceClosed, peerEnded, startClosing, transportClosed } from './closing.js';
import { handlerFailed, slowConsumer } from './failures.js';
import { pongReceived, sendPing, tick } from './heartbeat.js';
import { drained, pause } from './flow-control.js';
import { nextMessage, observeMessages, openInbox, openOutbox } from './queues.js';
import { installWebFace, openUrl } from './web-face.js';
import { report } from './report.js';
import { installObservable } from './observable.js';
import { errorChannel } from '../observe/channels.js';
import type { ConnectionCounters } from '../observe/counters.js';
import { EventTargetBase } from '../web/event-target.js';
import { clientBufferedAmount, clientReadyState, clientSend, messageEvent, type BinaryType, type WebSocketClientOptions } from '../web/client.js';
import type { EventListenerLike, ListenerOptions } from '../web/event-target.js';
import type { CloseEvent as CloseEventType } from '../web/events.js';

/** @internal Start a WebSocket built by a server or `connect()`. */
export const kStart: unique symbol = Symbol('ws4ts.start');
/** @internal Report a handler failure: `unhandledError`, then close 1011. */
export const kHandlerFailed: unique symbol = Symbol('ws4ts.handlerFailed');
/** @internal Call a listener once when the connection closes (managers, handler runner). */
export const kOnceClosed: unique symbol = Symbol('ws4ts.onceClosed');
/** @internal Start the closing handshake with an empty close frame (the peer sees 1005): WebSocketStream's close with no code. */
export const kCloseEmpty: unique symbol = Symbol('ws4ts.closeEmpty');

const kFlush = Symbol('ws4ts.flush');
const kAfterInput = Symbol('ws4ts.afterInput');

/** Start a WebSocket built by a server or `connect()`: attach, open, run hooks. @internal */
export function startWebSocket(ws: WebSocket): void {
  ws[kStart]();
}

function flushTick(ws: WebSocket): void {
  ws[kFlush]();
}

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
export class WebSocket extends EventTargetBase implements AsyncIterable<Message> {
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
  #flags = 0;
  // Set while pingInterval or idleTimeout is on (servers ping by default).
  #keepalive: KeepaliveClock | undefined;
  #largest = 0; // the largest message in the output backlog (the maxBufferedAmount rule)
  // The first close listener (a manager's); any others live in #rare.
  #onClosed: ((ws: WebSocket) => void) | undefined;
  #inbox: Inbox | undefined;
  #outbox: Outbox | undefined;
  // Everything an idle connection usually never uses lives in one object
  // created on first use.
  #rare: Rare | undefined;
  // Counters (src/observe): plain numbers, read only through `counters`.
  #messagesIn = 0;
  #messagesOut = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #openedAt = 0;

  get #r(): Rare {
    return (this.#rare ??= new Rare());
  }

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
    if (typeof init === 'object' && init !== null && 'transport' in init) setup(this, init); // opening.ts
    else openUrl(this, init, protocols, options); // web-face.ts
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
    if (this.#flags & EVENTS && this.#rare!.events!.has('message')) {
      this.#dispatch(messageEvent(message, this.#rare!.web));
      return;
    }
    this.#inboxed().push(message);
  }

  /** Called for every pong received, with its payload. */
  ponged(_data: Uint8Array): void {}

  /** Called once when the connection is closed, with the close code and reason. */
  closed(_code: number, _reason: string): void {}

  /**
   * Called with an error thrown by a hook or handler (the connection is then
   * closed with 1011), with a slow consumer closed by `maxBufferedAmount`,
   * and with messages a close cut off. The default reports it on stderr.
   */
  unhandledError(error: unknown): void {
    console.error('ws4ts: unhandled error in a WebSocket handler:', error);
  }

  // ─── state ───────────────────────────────────────────────────────────────

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). */
  get readyState(): ReadyState {
    const engine = this.#connection.readyState;
    const state = this.#flags & CLOSED ? ReadyState.CLOSED : engine === ReadyState.CLOSED ? ReadyState.CLOSING : engine;
    return this.#flags & WEB ? (clientReadyState(this.#rare!.web!, state) as ReadyState) : state;
  }

  /**
   * Bytes queued and not yet handed to the operating system. For a URL-built
   * WebSocket, as the standard counts: application data only, plus what was
   * sent after closing.
   */
  get bufferedAmount(): number {
    const queued = this.#queued;
    return this.#flags & WEB ? clientBufferedAmount(this.#rare!.web!, queued, this.readyState) : queued;
  }

  /** Bytes the engine and the transport hold: what the flow-control rules count. */
  get #queued(): number {
    return this.#connection.pendingBytes + this.#transport.writableLength;
  }

  /** What this connection has carried: messages and wire bytes each way, open time, close code. */
  get counters(): ConnectionCounters {
    return {
      messagesIn: this.#messagesIn,
      messagesOut: this.#messagesOut,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      openedAt: this.#openedAt,
      closeCode: this.#rare?.outcome?.code,
    };
  }

  /** The peer's address. */
  get remoteAddress(): string | undefined {
    return this.#transport.remoteAddress;
  }

  /** The error that failed this connection (the peer's protocol violation, a slow consumer…), if any. */
  get error(): WebSocketError | undefined {
    return this.#rare?.error;
  }

  /** Resolves once the connection is closed, with `{code, reason, wasClean}`. Never rejects. */
  get finished(): Promise<CloseOutcome> {
    return this.#r.whenFinished();
  }

  // ─── receiving ───────────────────────────────────────────────────────────

  #inboxed(): Inbox {
    return (this.#inbox ??= openInbox(this)); // queues.ts
  }

  /**
   * Messages as an Observable: completes on close, errors on a protocol
   * failure. An exception in a subscriber's callback (or an error nobody
   * handles) closes this connection with 1011 instead of reaching RxJS's
   * asynchronous rethrow.
   */
  get messages$(): Observable<Message> {
    return (this.#r.messages$ ??= observeMessages(this)); // queues.ts
  }

  /** The next message; rejects with `WS_ERR_CLOSED` once the connection is closed. */
  receive(options: { signal?: AbortSignal } = {}): Promise<Message> {
    return nextMessage(this.#inboxed(), options.signal); // queues.ts
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return {
      next: () => this.#inboxed().next(undefined),
      return: async () => ({ value: undefined, done: true }),
    };
  }

  // ─── sending ─────────────────────────────────────────────────────────────

  /**
   * Send a message: a string as text, bytes as binary. Returns `true` when
   * queued, `false` when the connection is closing or closed (the data is
   * dropped, as `ws` and browsers do; never a throw) or when this send found
   * the peer over `maxBufferedAmount` (the connection is then closed, 1008).
   *
   * An iterable or async iterable of chunks is sent as one fragmented
   * message; the returned promise resolves `true` when its last fragment is
   * queued and `false` if the connection closed first or the source threw
   * (reported to `unhandledError`, connection closed 1011): it never
   * rejects. Other messages sent meanwhile wait their turn; if a close cuts
   * them off they are reported to `unhandledError`.
   *
   * Anything else (a number, a plain object, `null`…) throws a `TypeError`.
   * Do not mutate a buffer after passing it to `send`.
   */
  send(data: SendData): boolean;
  /** A Blob: URL-built (WHATWG) WebSockets only, sent in order once read. */
  send(data: Blob): boolean;
  send(data: SendStream): Promise<boolean>;
  send(data: SendData | SendStream | Blob): boolean | Promise<boolean> {
    if (this.#flags & WEB) {
      clientSend(this, this.#rare!.web!, data, (payload) => this.#sendPayload(payload));
      return this.readyState === ReadyState.OPEN;
    }
    const payload = toPayload(data);
    if (payload === undefined) return this.#sendStream(data as SendStream);
    return this.#sendPayload(payload);
  }

  #sendPayload(payload: string | Uint8Array): boolean {
    if (!this.#canSend()) return false;
    const outbox = this.#outbox;
    if (outbox !== undefined && outbox.streaming) {
      outbox.enqueue(payload);
      this.#messagesOut++;
      return true;
    }
    if (!this.#admit(payload.length)) return false;
    this.#connection.send(payload);
    this.#messagesOut++;
    this.#scheduleFlush();
    return true;
  }

  /**
   * Send a message framed once for many connections (see `prepareMessage`).
   * Falls back to a normal send where the prepared bytes do not fit this
   * connection (client role, a negotiated extension, a fragmented send
   * underway). Returns like {@link send}.
   */
  sendPrepared(prepared: PreparedMessage): boolean {
    const connection = this.#connection;
    if (connection.role !== 'server' || connection.extensions.length > 0 || this.#outbox?.streaming) return this.send(prepared.data);
    if (!this.#canSend()) return false;
    if (!this.#admit(prepared.frame.length)) return false;
    this.#messagesOut++;
    connection.sendFrames(prepared.frame);
    this.#scheduleFlush();
    return true;
  }

  /** Resolves when `bufferedAmount` is at or below `writeHighWaterMark`, or the connection closed. */
  drain(): Promise<void> {
    if (this.#flags & CLOSED || this.#queued <= this.#writeHighWaterMark) return Promise.resolve();
    return this.#outboxed().waitDrain();
  }

  get #writeHighWaterMark(): number {
    return this.#options.writeHighWaterMark ?? DEFAULT_WRITE_HIGH_WATER_MARK;
  }

  #canSend(): boolean {
    const connection = this.#connection;
    return (this.#flags & CLOSED) === 0 && connection.readyState === ReadyState.OPEN && !connection.closeExpected;
  }

  /** Apply the `maxBufferedAmount` rule (see `overCap`) to a message of `size` bytes. */
  #admit(size: number): boolean {
    const cap = this.#options.maxBufferedAmount === undefined ? DEFAULT_MAX_BUFFERED_AMOUNT : this.#options.maxBufferedAmount;
    if (cap === null) return true;
    const backlog = this.#queued;
    if (backlog <= cap) {
      this.#largest = size;
      return true;
    }
    if (overCap(backlog, this.#largest, cap)) {
      slowConsumer(this, backlog, cap); // failures.ts
      return false;
    }
    if (size > this.#largest) this.#largest = size;
    return true;
  }

  #outboxed(): Outbox {
    return (this.#outbox ??= openOutbox(this)); // queues.ts
  }

  #sendStream(stream: SendStream): Promise<boolean> {
    if (!this.#canSend()) return Promise.resolve(false);
    this.#messagesOut++;
    return this.#outboxed().sendStream(stream);
  }

  /**
   * Send a ping; resolves with the round-trip time in ms when the matching
   * pong arrives, rejects (`WS_ERR_CLOSED`) if the connection is closing or
   * closes first. Throws for a payload over 125 bytes.
   */
  ping(data?: Uint8Array | string): Promise<number> {
    return sendPing(this, data); // heartbeat.ts
  }

  /**
   * Start the closing handshake (idempotent). Throws for a code that may not
   * be sent (1004–1006, 1015, outside 1000–4999) or a reason over 123 bytes.
   * Resolves like {@link finished}.
   */
  close(code?: number, reason?: string): Promise<CloseOutcome> {
    return startClosing(this, code, reason); // closing.ts
  }

  /** @internal See {@link kCloseEmpty}. */
  [kCloseEmpty](): void {
    closeEmpty(this);
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

  /** @internal Write what the engine queued, and apply write backpressure. */
  [kFlush](): void {
    this.#flags &= ~FLUSH_SCHEDULED;
    const connection = this.#connection;
    const bytes = connection.bytesToSend();
    if (bytes.length > 0) {
      for (let i = 0; i < bytes.length; i++) this.#bytesOut += bytes[i]!.length;
      // Pause reading only when the transport promised a drain event (write
      // returned false): that event is what resumes it.
      if (!this.#transport.write(bytes) && (this.#flags & OUTPUT_PAUSED) === 0 && this.#queued > this.#writeHighWaterMark) {
        pause(this, OUTPUT_PAUSED, true); // flow-control.ts
      }
    }
    if (connection.closeExpected && this.#rare?.closeTimer === undefined && (this.#flags & CLOSED) === 0) armCloseTimer(this); // closing.ts
    if (connection.shouldCloseTransport && (this.#flags & ENDED) === 0) {
      this.#flags |= ENDED;
      this.#transport.end();
    }
  }

  #scheduleFlush(): void {
    if (this.#flags & (DISPATCHING | FLUSH_SCHEDULED)) return;
    this.#flags |= FLUSH_SCHEDULED;
    process.nextTick(flushTick, this);
  }

  // ─── lifecycle ───────────────────────────────────────────────────────────

  /** @internal Attach, open, run the hook (opening.ts). */
  [kStart](): void {
    start(this);
  }

  /** @internal */
  [kData](chunk: Uint8Array): void {
    const keepalive = this.#keepalive;
    if (keepalive !== undefined) keepalive.lastInput = performance.now();
    this.#bytesIn += chunk.length;
    this.#connection.receive(chunk);
    this[kAfterInput]();
  }

  /** @internal Deliver what the engine parsed, in order, then write. */
  [kAfterInput](): void {
    this.#flags |= DISPATCHING;
    const connection = this.#connection;
    try {
      for (let event: ConnectionEvent | undefined; (event = connection.nextEvent()); ) {
        if (event.type === 'text' || event.type === 'binary') {
          this.#messagesIn++;
          try {
            this.receivedMessage(event);
          } catch (error) {
            this[kHandlerFailed](error);
          }
        } else if (event.type === 'pong') {
          pongReceived(this, event.data); // heartbeat.ts
        } else if (event.type === 'error') {
          this.#r.error = event.error;
          if (errorChannel.hasSubscribers) errorChannel.publish({ role: connection.role, websocket: this, error: event.error });
        }
      }
    } finally {
      this.#flags &= ~DISPATCHING;
    }
    // Messages still being decoded by an extension (zlib) count towards read
    // backpressure too, or a fast sender could pile up decodes without bound.
    if (connection.queuedEvents > 0 || this.#flags & INBOX_PAUSED) this.#inboxed().pressure();
    this[kFlush]();
  }

  /** @internal */
  [kEnd](): void {
    peerEnded(this); // closing.ts
  }

  /** @internal */
  [kDrain](): void {
    drained(this); // flow-control.ts
  }

  /** @internal The transport closed: see closing.ts for the sequence. */
  [kClose](_error: Error | undefined): void {
    transportClosed(this);
  }

  /** @internal */
  [kOnceClosed](listener: (ws: WebSocket) => void): void {
    onceClosed(this, listener); // closing.ts
  }

  /** @internal Timer wheel: the keepalive tick (heartbeat.ts). */
  [kTick](now: number): void {
    tick(this, now);
  }

  /** @internal Report a handler failure and close this connection with 1011 (failures.ts). */
  [kHandlerFailed](error: unknown): void {
    handlerFailed(this, error);
  }

  // ─── the WHATWG face (src/web) ───────────────────────────────────────────

  #dispatch(event: Event): void {
    this.#rare!.events!.dispatch(this, event, (error) => report(this, error));
  }

  // The modules next to the class reach its private fields through these (fields.ts).
  static {
    provideFields({
      transport: (ws) => ws.#transport,
      connection: (ws) => ws.#connection,
      options: (ws) => ws.#options,
      attach: (ws, transport, options, connection) => {
        ws.#transport = transport;
        ws.#options = options;
        ws.#connection = connection;
      },
      flags: (ws) => ws.#flags,
      setFlags: (ws, flags) => void (ws.#flags = flags),
      keepalive: (ws) => ws.#keepalive,
      setKeepalive: (ws, clock) => void (ws.#keepalive = clock),
      rare: (ws) => ws.#rare,
      r: (ws) => ws.#r,
      inbox: (ws) => ws.#inbox,
      inboxed: (ws) => ws.#inboxed(),
      outbox: (ws) => ws.#outbox,
      onClosed: (ws) => ws.#onClosed,
      setOnClosed: (ws, listener) => void (ws.#onClosed = listener),
      openedAt: (ws) => ws.#openedAt,
      setOpenedAt: (ws, at) => void (ws.#openedAt = at),
      queued: (ws) => ws.#queued,
      writeHighWaterMark: (ws) => ws.#writeHighWaterMark,
      flush: (ws) => ws[kFlush](),
      scheduleFlush: (ws) => ws.#scheduleFlush(),
      afterInput: (ws) => ws[kAfterInput](),
      dispatch: (ws, event) => ws.#dispatch(event),
    });
    installWebFace(WebSocket); // web-face.ts, over src/web/interface.ts
  }
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
installObservable(WebSocket); // observable.ts

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
