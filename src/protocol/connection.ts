/**
 * The sans-I/O WebSocket connection (RFC 6455 §5–§7), either role.
 *
 * Bytes in → events out; calls in → bytes out. It never touches a socket or
 * a timer. After every call the owner drains, in this order:
 *
 * - {@link Connection.nextEvent} until `undefined`: messages, pings, pongs,
 *   the peer's close frame, a protocol error;
 * - {@link Connection.bytesToSend}: buffers to write, in order;
 * - {@link Connection.shouldCloseTransport}: end the transport once written;
 * - {@link Connection.closeExpected}: arm a close timer (we sent a close frame
 *   and wait for the peer's, or for the TCP close).
 *
 * All state transitions live in this file:
 *
 * | state   | event                 | action                                   | next    |
 * | ------- | --------------------- | ---------------------------------------- | ------- |
 * | OPEN    | `close()`             | send close frame                         | CLOSING |
 * | OPEN    | close frame received  | echo its code (§5.5.1)                   | CLOSED  |
 * | CLOSING | close frame received  | — (handshake complete)                   | CLOSED  |
 * | OPEN    | protocol error        | send close with its code, stop parsing   | CLOSING |
 * | any     | `receiveEof()`        | stop parsing                             | CLOSED  |
 *
 * The server closes the TCP connection first (§7.1.1); a client waits for
 * it, so `shouldCloseTransport` is set on the server after the close
 * handshake and on both sides after a failure (§7.1.7).
 *
 * Extensions transform whole messages, possibly asynchronously. Events and
 * outgoing frames keep their order: an event behind an unfinished transform
 * waits, and `onAsyncReady` tells the owner when to drain again.
 *
 * @module
 */
import { WebSocketError, localError, protocolError } from './errors.js';
import { FrameParser } from './parser.js';
import { MessageAssembler, type MessageSink } from './assembler.js';
import { encodeBinaryFrame, encodeTextFrame } from './encoder.js';
import { buildClosePayload, parseClosePayload, CloseCode } from './close-codes.js';
import { isValidUtf8 } from './utf8.js';
import { decodeText, encodeText } from './text.js';
import { defaultMaskKey } from './mask.js';
import { DEFAULT_LIMITS, type Message, type ProtocolLimits } from './message.js';
import type { Extension } from './extension.js';

/** Connection states (the numbers match the WHATWG `readyState`). */
export const ReadyState = {
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;
/** One of {@link ReadyState}. */
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

/** Which end of the connection this is. */
export type Role = 'client' | 'server';

/** A ping received from the peer (already answered unless `autoPong` is off). */
export interface PingEvent {
  readonly type: 'ping';
  readonly data: Uint8Array;
}
/** A pong received from the peer. */
export interface PongEvent {
  readonly type: 'pong';
  readonly data: Uint8Array;
}
/** The peer's close frame; `code` is 1005 when it carried none. */
export interface CloseEvent {
  readonly type: 'close';
  readonly code: number;
  readonly reason: string;
}
/** A protocol violation by the peer; a close frame with `error.closeCode` is queued. */
export interface ErrorEvent {
  readonly type: 'error';
  readonly error: WebSocketError;
}
/** Everything {@link Connection.nextEvent} yields. */
export type ConnectionEvent = Message | PingEvent | PongEvent | CloseEvent | ErrorEvent;

/** Options of {@link Connection}. */
export interface ConnectionOptions extends Partial<ProtocolLimits> {
  readonly role: Role;
  /** Negotiated extensions, in the order the handshake agreed them. */
  readonly extensions?: readonly Extension[];
  /** Mask key source for the client role (injected in tests for deterministic bytes). */
  readonly maskKey?: () => number;
  /** Answer pings automatically (default true). */
  readonly autoPong?: boolean;
  /** Called when an asynchronous extension transform made events or bytes ready. */
  readonly onAsyncReady?: () => void;
}

/** The close outcome: what `WebSocket.finished` resolves with. */
export interface CloseOutcome {
  /** The peer's close code; 1005 if its frame had none, 1006 if none arrived. */
  readonly code: number;
  readonly reason: string;
  /** True when close frames went both ways. */
  readonly wasClean: boolean;
}

/** An event slot waiting for an asynchronous transform. */
class Pending {
  event: ConnectionEvent | undefined = undefined;
}

/** An outgoing message waiting for an asynchronous transform (or behind one). */
interface QueuedOutput {
  ready: boolean;
  bytes: Uint8Array[];
}

const EMPTY = new Uint8Array(0);
// Sentinels: never pushed to (see #pushEvent, #writable, #enqueue).
const NO_EVENTS: (ConnectionEvent | Pending)[] = [];
const NO_BYTES: Uint8Array[] = [];
const NO_OUTPUT: QueuedOutput[] = [];

/**
 * The sans-I/O connection. See the module description for the protocol.
 *
 * @example
 * ```ts
 * const conn = new Connection({ role: 'server' });
 * socket.on('data', (chunk) => {
 *   conn.receive(chunk);
 *   for (let e = conn.nextEvent(); e; e = conn.nextEvent()) {
 *     if (e.type === 'text') conn.send(e.data); // echo
 *   }
 *   socket.write(Buffer.concat(conn.bytesToSend()));
 *   if (conn.shouldCloseTransport) socket.end();
 * });
 * ```
 */
// A MessageSink structurally: its sink methods are internal, so the public types do not name it.
export class Connection {
  /** This side's role. */
  readonly role: Role;
  /** The negotiated extensions. */
  readonly extensions: readonly Extension[];
  readonly #limits: Readonly<ProtocolLimits>;
  readonly #parser: FrameParser;
  readonly #assembler: MessageAssembler;
  readonly #maskKey: (() => number) | undefined;
  readonly #autoPong: boolean;
  readonly #onAsyncReady: (() => void) | undefined;

  #state: ReadyState = ReadyState.OPEN;
  // Shared empty lists until used, and again once drained: an idle
  // connection holds no arrays of its own.
  #events: (ConnectionEvent | Pending)[] = NO_EVENTS;
  #head = 0;
  #pendingEvents = 0;
  #out: Uint8Array[] = NO_BYTES;
  #outBytes = 0;
  #queue: QueuedOutput[] = NO_OUTPUT; // non-empty only while an outgoing transform is unfinished
  #fragmenting = false; // a fragmented message is being sent
  #closeSent: { code: number; reason: string } | undefined;
  #closeReceived: { code: number; reason: string } | undefined;
  #shouldClose = false;
  #eof = false;
  #error: WebSocketError | undefined;
  // A failure found while events parsed before it still wait: its close
  // frame goes out when the owner reaches its error event (fail in order).
  #deferredClose = false;

  constructor(options: ConnectionOptions) {
    this.role = options.role;
    this.extensions = options.extensions ?? [];
    const maxPayload = options.maxPayload ?? DEFAULT_LIMITS.maxPayload;
    const maxFragments = options.maxFragments ?? DEFAULT_LIMITS.maxFragments;
    // Connections on the defaults share one frozen limits object.
    this.#limits =
      maxPayload === DEFAULT_LIMITS.maxPayload && maxFragments === DEFAULT_LIMITS.maxFragments
        ? DEFAULT_LIMITS
        : { maxPayload, maxFragments };
    let rsvAllowed = 0;
    for (const extension of this.extensions) rsvAllowed |= extension.rsvMask;
    this.#assembler = new MessageAssembler(this.#limits, this);
    this.#parser = new FrameParser(
      { role: this.role, maxPayload: this.#limits.maxPayload, rsvAllowed },
      this.#assembler,
    );
    this.#maskKey = this.role === 'client' ? (options.maskKey ?? defaultMaskKey) : undefined;
    this.#autoPong = options.autoPong ?? true;
    this.#onAsyncReady = options.onAsyncReady;
  }

  /** The current state (OPEN until a close frame is sent or received). */
  get readyState(): ReadyState {
    return this.#state;
  }

  /** The limits in force. */
  get limits(): Readonly<ProtocolLimits> {
    return this.#limits;
  }

  // ─── receiving ──────────────────────────────────────────────────────────

  /**
   * Feed bytes from the transport. Masked payloads are unmasked in place
   * (the chunk is mutated), and messages may be views of it.
   */
  receive(chunk: Uint8Array): void {
    if (this.#parser.failed) return;
    try {
      this.#parser.push(chunk);
    } catch (error) {
      this.#failWith(error);
    }
  }

  /** The transport reached end of stream: nothing more will be received. */
  receiveEof(): void {
    this.#eof = true;
    this.#parser.stop();
    this.#assembler.release(); // a peer dropped mid-frame: free its partial message now
    this.#state = ReadyState.CLOSED;
  }

  /** The next event, or `undefined` when none is ready. */
  nextEvent(): ConnectionEvent | undefined {
    const events = this.#events;
    const head = this.#head;
    if (head >= events.length) return undefined;
    let event = events[head]!;
    if (event instanceof Pending) {
      if (event.event === undefined) return undefined;
      event = event.event;
      this.#pendingEvents--;
    }
    if (this.#deferredClose && event.type === 'error' && event.error === this.#error) this.#closeForFailure();
    if (head + 1 === events.length) {
      this.#events = NO_EVENTS;
      this.#head = 0;
    } else {
      this.#head = head + 1;
    }
    return event;
  }

  #pushEvent(event: ConnectionEvent | Pending): void {
    if (this.#events === NO_EVENTS) this.#events = [event];
    else this.#events.push(event);
  }

  /** Events queued (including ones behind an unfinished transform): for read backpressure. */
  get queuedEvents(): number {
    return this.#events.length - this.#head;
  }

  /** @internal MessageSink: a complete data message from the assembler. */
  onMessage(opcode: number, data: Uint8Array, rsv: number): void {
    if (rsv === 0 || this.extensions.length === 0) {
      this.#pushEvent(opcode === 1 ? { type: 'text', data: decodeText(data) } : { type: 'binary', data });
      return;
    }
    const decoded = this.#decode(data, rsv);
    if (!(decoded instanceof Promise)) {
      this.#pushEvent(this.#decodedMessage(opcode, decoded));
      return;
    }
    const slot = new Pending();
    this.#pushEvent(slot);
    this.#pendingEvents++;
    decoded.then(
      (bytes) => {
        // Fill the slot even if the connection failed meanwhile: this message
        // arrived before the failure, and the error event queued behind the
        // slot would otherwise never be reached (a slot dropped by
        // #asyncFailure is no longer in the queue, so filling it is harmless).
        try {
          slot.event = this.#decodedMessage(opcode, bytes);
        } catch (error) {
          this.#asyncFailure(slot, error);
          return;
        }
        this.#onAsyncReady?.();
      },
      (error: unknown) => this.#asyncFailure(slot, error),
    );
  }

  /** Apply the extensions' decoders, last negotiated first (RFC 6455 §9). */
  #decode(data: Uint8Array, rsv: number): Uint8Array | Promise<Uint8Array> {
    let result: Uint8Array | Promise<Uint8Array> = data;
    const max = this.#limits.maxPayload;
    for (let i = this.extensions.length - 1; i >= 0; i--) {
      const extension = this.extensions[i]!;
      if ((rsv & extension.rsvMask) === 0) continue;
      result =
        result instanceof Promise
          ? result.then((bytes) => extension.decode([bytes], rsv, max))
          : extension.decode([result], rsv, max);
    }
    return result;
  }

  #decodedMessage(opcode: number, bytes: Uint8Array): Message {
    if (opcode === 2) return { type: 'binary', data: bytes };
    if (!isValidUtf8(bytes)) throw protocolError('WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8', 1007);
    return { type: 'text', data: decodeText(bytes) };
  }

  #asyncFailure(slot: Pending, error: unknown): void {
    if (this.#error !== undefined) {
      // Already failing: just unblock the queue, whose error event may wait behind this slot.
      const index = this.#events.indexOf(slot, this.#head);
      if (index >= 0) {
        this.#events.splice(index, 1);
        this.#pendingEvents--;
        this.#onAsyncReady?.();
      }
      return;
    }
    // Drop everything that arrived after the failed message: the connection is failing.
    const index = this.#events.indexOf(slot, this.#head);
    if (index >= 0) this.#events.length = index;
    this.#pendingEvents = 0;
    for (let i = this.#head; i < this.#events.length; i++) if (this.#events[i] instanceof Pending) this.#pendingEvents++;
    this.#failWith(error);
    this.#onAsyncReady?.();
  }

  /** @internal MessageSink: a complete control frame from the assembler. */
  onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === 9) {
      this.#pushEvent({ type: 'ping', data: payload });
      // §5.5.2: answer with a pong carrying the same payload, unless closing.
      if (this.#autoPong && this.#state === ReadyState.OPEN) this.#control(10, payload);
    } else if (opcode === 10) {
      this.#pushEvent({ type: 'pong', data: payload });
    } else {
      this.#receiveClose(payload);
    }
  }

  #receiveClose(payload: Uint8Array): void {
    const { code, reason } = parseClosePayload(payload); // throws 1002/1007 on a bad payload
    this.#closeReceived = { code, reason };
    // §5.5.1: no more frames are read after a close frame.
    this.#parser.stop();
    if (this.#closeSent === undefined && this.#state === ReadyState.OPEN) {
      // Echo code and reason (as ws and Python websockets do; browsers then
      // report the reason to both ends); 1005 ("none given") gets an empty frame.
      this.#sendClose(code === CloseCode.NoStatus ? undefined : code, code === CloseCode.NoStatus ? '' : reason);
    }
    this.#state = ReadyState.CLOSED;
    if (this.role === 'server') this.#shouldClose = true;
    this.#pushEvent({ type: 'close', code, reason });
  }

  /** Fail the connection (§7.1.7): queue a close frame with the error's code, stop parsing. */
  #failWith(cause: unknown): void {
    // Anything but our own error type is a bug or an extension's surprise:
    // the details stay local (the cause), the peer gets 1011 "internal error".
    const error =
      cause instanceof WebSocketError
        ? cause
        : new WebSocketError('WS_ERR_INTERNAL', `unexpected error: ${String((cause as Error)?.message ?? cause)}`, {
            closeCode: 1011,
            side: 'local',
            cause,
          });
    if (this.#error !== undefined) return;
    this.#error = error;
    this.#parser.stop();
    // Events parsed before the violation are delivered first, and what the
    // owner sends in reply to them goes out before the close frame.
    if (this.#events.length > this.#head) this.#deferredClose = true;
    else this.#closeForFailure();
    this.#pushEvent({ type: 'error', error });
  }

  #closeForFailure(): void {
    this.#deferredClose = false;
    const error = this.#error!;
    if (this.#closeSent === undefined && this.#state !== ReadyState.CLOSED) {
      this.#sendClose(error.closeCode, closeReasonFor(error));
    }
    this.#shouldClose = true;
  }

  // ─── sending ────────────────────────────────────────────────────────────

  /** Take the buffers to write, in order. Empty when there is nothing. */
  bytesToSend(): Uint8Array[] {
    const out = this.#out;
    if (out.length === 0) return out;
    this.#out = NO_BYTES;
    this.#outBytes = 0;
    return out;
  }

  #writable(): Uint8Array[] {
    return this.#out === NO_BYTES ? (this.#out = []) : this.#out;
  }

  /** Bytes waiting in {@link bytesToSend} (not counting unfinished transforms). */
  get pendingBytes(): number {
    return this.#outBytes;
  }

  /** True when the transport should be ended once the pending bytes are written. */
  get shouldCloseTransport(): boolean {
    return this.#shouldClose;
  }

  /** True once a close frame was sent: the owner should arm its close timeout. */
  get closeExpected(): boolean {
    return this.#closeSent !== undefined;
  }

  /** The protocol error that failed the connection, if any. */
  get error(): WebSocketError | undefined {
    return this.#error;
  }

  /** The close outcome so far (meaningful once the transport has closed). */
  closeOutcome(): CloseOutcome {
    const received = this.#closeReceived;
    if (received === undefined) return { code: CloseCode.Abnormal, reason: '', wasClean: false };
    return { code: received.code, reason: received.reason, wasClean: this.#closeSent !== undefined };
  }

  /** The close frame we sent, if any. */
  get closeSent(): { readonly code: number; readonly reason: string } | undefined {
    return this.#closeSent;
  }

  /** True when the peer ended the transport. */
  get eofReceived(): boolean {
    return this.#eof;
  }

  /**
   * Send a whole message: a string as text, bytes as binary. Throws a local
   * {@link WebSocketError} after a close frame was sent or during a
   * fragmented send.
   */
  send(data: string | Uint8Array): void {
    this.#checkCanSend();
    if (this.#fragmenting) throw localError('WS_ERR_INVALID_STATE', 'a fragmented message is being sent');
    const text = typeof data === 'string';
    if (this.extensions.length === 0) {
      this.#outBytes += text
        ? encodeTextFrame(this.#writable(), 0x81, data, this.#maskKey?.())
        : encodeBinaryFrame(this.#writable(), 0x82, data, this.#maskKey?.());
      return;
    }
    this.#sendTransformed(text ? 1 : 2, text ? encodeText(data) : data);
  }

  /**
   * Send one fragment of a message (§5.4). The first fragment's type (string:
   * text, bytes: binary) sets the message's; `fin` ends it. Control frames
   * may be sent between fragments; other messages may not.
   */
  sendFragment(data: string | Uint8Array, fin: boolean): void {
    this.#checkCanSend();
    const opcode = this.#fragmenting ? 0 : typeof data === 'string' ? 1 : 2;
    const b0 = (fin ? 0x80 : 0) | opcode;
    const bytes = typeof data === 'string' ? encodeText(data) : data;
    this.#fragmenting = !fin;
    this.#enqueue(encodeOutput(b0, bytes, this.#maskKey));
  }

  /**
   * Send bytes that already form complete frames for this role (a broadcast
   * framed once for many connections). Same ordering rules as {@link send}.
   */
  sendFrames(frames: Uint8Array): void {
    this.#checkCanSend();
    if (this.#fragmenting) throw localError('WS_ERR_INVALID_STATE', 'a fragmented message is being sent');
    this.#enqueue({ ready: true, bytes: [frames] });
  }

  /** True while a fragmented message is being sent. */
  get fragmenting(): boolean {
    return this.#fragmenting;
  }

  /** Send a ping (payload ≤ 125 bytes). */
  ping(data: Uint8Array = EMPTY): void {
    this.#checkControl(data);
    this.#control(9, data);
  }

  /** Send an unsolicited pong (payload ≤ 125 bytes), e.g. as a heartbeat. */
  pong(data: Uint8Array = EMPTY): void {
    this.#checkControl(data);
    this.#control(10, data);
  }

  /**
   * Start the closing handshake (§7.1.2). Validates code and reason (throws a
   * local error for 1005/1006/1015, other codes not allowed on the wire, or a
   * reason over 123 bytes). Idempotent: a second call does nothing.
   */
  close(code: number = CloseCode.Normal, reason = ''): void {
    // 1005 means "no code" and is never sent (§7.4.1); buildClosePayload would
    // turn it into an empty close frame, so refuse it here as documented.
    if (code === CloseCode.NoStatus) throw new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', 'close code 1005 may not be sent', { side: 'local' });
    const payload = buildClosePayload(code, reason); // validate even if already closing
    if (this.#closeSent !== undefined || this.#state !== ReadyState.OPEN) return;
    this.#closeSent = { code, reason };
    this.#state = ReadyState.CLOSING;
    this.#enqueue({ ready: true, bytes: frameBytes(0x88, payload, this.#maskKey) });
  }

  /**
   * Fail the connection from our side (e.g. a handler error → 1011, a dead
   * peer → 1011): send a close frame with `error.closeCode` if none was sent
   * and ask for the transport to be closed.
   */
  fail(error: WebSocketError): void {
    this.#failWith(error);
  }

  #sendClose(code: number | undefined, reason: string): void {
    this.#closeSent = { code: code ?? CloseCode.NoStatus, reason };
    if (this.#state === ReadyState.OPEN) this.#state = ReadyState.CLOSING;
    // Close frames go after any message still being transformed (no data lost).
    this.#enqueue({ ready: true, bytes: frameBytes(0x88, buildClosePayload(code, reason), this.#maskKey) });
  }

  #checkCanSend(): void {
    if (this.#closeSent !== undefined || this.#state !== ReadyState.OPEN) {
      throw localError('WS_ERR_CLOSED', 'cannot send: the connection is closing or closed');
    }
  }

  #checkControl(data: Uint8Array): void {
    if (data.length > 125) throw localError('WS_ERR_INVALID_ARGUMENT', 'control frame payload over 125 bytes');
    if (this.#state === ReadyState.CLOSED || this.#closeSent !== undefined) {
      throw localError('WS_ERR_CLOSED', 'cannot send: the connection is closing or closed');
    }
  }

  /** Control frames may overtake messages still being transformed. */
  #control(opcode: number, payload: Uint8Array): void {
    this.#outBytes += encodeBinaryFrame(this.#writable(), 0x80 | opcode, payload, this.#maskKey?.());
  }

  #sendTransformed(opcode: number, data: Uint8Array): void {
    let result: ReturnType<Extension['encode']> = { data, rsv: 0 };
    for (const extension of this.extensions) {
      result =
        result instanceof Promise
          ? result.then((r) => merge(r, extension.encode(r.data, opcode)))
          : merge(result, extension.encode(result.data, opcode));
    }
    if (!(result instanceof Promise)) {
      this.#enqueue(encodeOutput(0x80 | result.rsv | opcode, result.data, this.#maskKey));
      return;
    }
    const item: QueuedOutput = { ready: false, bytes: [] };
    if (this.#queue === NO_OUTPUT) this.#queue = [];
    this.#queue.push(item);
    result.then(
      (r) => {
        const encoded = encodeOutput(0x80 | r.rsv | opcode, r.data, this.#maskKey);
        item.bytes = encoded.bytes;
        item.ready = true;
        this.#flushQueue();
        this.#onAsyncReady?.();
      },
      (error: unknown) => {
        item.ready = true;
        this.#flushQueue();
        this.#failWith(error);
        this.#onAsyncReady?.();
      },
    );
  }

  #enqueue(item: QueuedOutput): void {
    if (this.#queue.length === 0) this.#emit(item);
    else this.#queue.push(item); // non-empty, so not the sentinel
  }

  #flushQueue(): void {
    const queue = this.#queue;
    while (queue.length > 0 && queue[0]!.ready) this.#emit(queue.shift()!);
  }

  #emit(item: QueuedOutput): void {
    const out = this.#writable();
    for (const bytes of item.bytes) {
      out.push(bytes);
      this.#outBytes += bytes.length;
    }
  }
}

function merge(previous: { rsv: number }, next: ReturnType<Extension['encode']>): ReturnType<Extension['encode']> {
  if (next instanceof Promise) return next.then((r) => ({ data: r.data, rsv: r.rsv | previous.rsv }));
  return previous.rsv === 0 ? next : { data: next.data, rsv: next.rsv | previous.rsv };
}

function encodeOutput(b0: number, data: Uint8Array, maskKey: (() => number) | undefined): QueuedOutput {
  return { ready: true, bytes: frameBytes(b0, data, maskKey) };
}

function frameBytes(b0: number, data: Uint8Array, maskKey: (() => number) | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  encodeBinaryFrame(out, b0, data, maskKey?.());
  return out;
}

/**
 * A short close reason for an error: a peer's violation gets its message,
 * cut to 123 UTF-8 bytes; our own internal failures (local, 1011: a handler,
 * an extension, a bug) only "internal error", since details may be
 * security-sensitive (as Python websockets does). A keepalive timeout says so.
 */
function closeReasonFor(error: WebSocketError): string {
  if (error.side === 'local' && error.closeCode === 1011 && error.code !== 'WS_ERR_PING_TIMEOUT') return 'internal error';
  const message = error.message;
  if (message.length <= 123 && /^[\x20-\x7e]*$/.test(message)) return message;
  let reason = '';
  let bytes = 0;
  for (const ch of message) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > 123) break;
    reason += ch;
    bytes += size;
  }
  return reason;
}
