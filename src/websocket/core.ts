/**
 * `WebSocketCore`: the half of {@link WebSocket} the bytes run through. It
 * holds the connection's state in `#` fields (nothing a subclass or a user
 * can touch or shadow) and the hot paths that use them directly: send and
 * its admission rules, the batched flush, the input path and the
 * per-message dispatch to `receivedMessage`. Everything that runs once per
 * connection or rarely (opening, closing, ping, failures, flow control, the
 * queues, the WHATWG face) lives in the modules next to it and reaches the
 * fields through the accessor table this class hands fields.ts.
 *
 * `WebSocket` (websocket.ts) extends it with the public surface that is not
 * hot: the other hooks, `close()`, `ping()`, `receive()`, `messages$`,
 * diagnostics. Users extend `WebSocket`, never this class.
 *
 * @module
 */
import { ReadyState, type Connection, type ConnectionEvent } from '../protocol/connection.js';
import type { Message } from '../protocol/message.js';
import type { Transport } from '../transport/transport.js';
import type { Inbox } from './inbox.js';
import { DEFAULT_MAX_BUFFERED_AMOUNT, DEFAULT_WRITE_HIGH_WATER_MARK, overCap, type Outbox, type SendStream } from './outbox.js';
import type { PreparedMessage } from './prepared.js';
import type { SendData, WebSocketOptions } from './options.js';
import { toPayload } from './payload.js';
import type { KeepaliveClock } from './keepalive-clock.js';
import { kData } from './sink.js';
import { Rare } from './rare.js';
import { CLOSED, DISPATCHING, ENDED, EVENTS, FLUSH_SCHEDULED, INBOX_PAUSED, OUTPUT_PAUSED, WEB, provideFields } from './fields.js';
import { armCloseTimer } from './closing.js';
import { handlerFailed, slowConsumer } from './failures.js';
import { pongReceived } from './heartbeat.js';
import { pause } from './flow-control.js';
import { openInbox, openOutbox } from './queues.js';
import { report } from './report.js';
import type { WebSocket } from './websocket.js';
import { errorChannel } from '../observe/channels.js';
import type { ConnectionCounters } from '../observe/counters.js';
import { EventTargetBase } from '../web/event-target.js';
import { clientBufferedAmount, clientReadyState, clientSend, messageEvent } from '../web/client.js';

const kFlush = Symbol('ws4ts.flush');
const kAfterInput = Symbol('ws4ts.afterInput');

function flushTick(ws: WebSocketCore): void {
  ws[kFlush]();
}

/**
 * The state and hot paths of a {@link WebSocket} (see the module comment).
 * Not constructed on its own: extend `WebSocket`.
 */
export class WebSocketCore extends EventTargetBase implements AsyncIterable<Message> {
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

  /** This object as what it always is, a WebSocket: what the modules next to it take (off the hot paths only). */
  get #self(): WebSocket {
    return this as unknown as WebSocket;
  }

  get #r(): Rare {
    return (this.#rare ??= new Rare());
  }

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

  #inboxed(): Inbox {
    return (this.#inbox ??= openInbox(this.#self)); // queues.ts
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
      clientSend(this.#self, this.#rare!.web!, data, (payload) => this.#sendPayload(payload));
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
      slowConsumer(this.#self, backlog, cap); // failures.ts
      return false;
    }
    if (size > this.#largest) this.#largest = size;
    return true;
  }

  #outboxed(): Outbox {
    return (this.#outbox ??= openOutbox(this.#self)); // queues.ts
  }

  #sendStream(stream: SendStream): Promise<boolean> {
    if (!this.#canSend()) return Promise.resolve(false);
    this.#messagesOut++;
    return this.#outboxed().sendStream(stream);
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
      const transport = this.#transport;
      if (!transport.write(bytes)) {
        if ((this.#flags & OUTPUT_PAUSED) === 0 && this.#queued > this.#writeHighWaterMark) pause(this.#self, OUTPUT_PAUSED, true); // flow-control.ts
      } else if (transport.written === true) {
        // The kernel has every byte: the slab bytes just written can carry the next frames.
        connection.released(bytes);
      }
    }
    if (connection.closeExpected && this.#rare?.closeTimer === undefined && (this.#flags & CLOSED) === 0) armCloseTimer(this.#self); // closing.ts
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
            handlerFailed(this.#self, error); // failures.ts
          }
        } else if (event.type === 'pong') {
          pongReceived(this.#self, event.data); // heartbeat.ts
        } else if (event.type === 'error') {
          this.#r.error = event.error;
          if (errorChannel.hasSubscribers) errorChannel.publish({ role: connection.role, websocket: this.#self, error: event.error });
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

  #dispatch(event: Event): void {
    this.#rare!.events!.dispatch(this, event, (error) => report(this.#self, error));
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
  }
}
