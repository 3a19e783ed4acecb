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
 * Every state transition is one entry of the table in `connection-state.ts`
 * (states that say who closed first), applied by one function; this file
 * holds the RFC rules around it, each citing its section.
 *
 * The server closes the TCP connection first (§7.1.1); a client waits for
 * it, so `shouldCloseTransport` is set on the server after the close
 * handshake and on both sides after a failure (§7.1.7).
 *
 * Extensions transform whole messages, possibly asynchronously; the ordering
 * of events and outgoing frames around unfinished transforms lives in
 * `transform-queue.ts`, and `onAsyncReady` tells the owner when to drain again.
 *
 * @module
 */
import { WebSocketError, localError, protocolError } from './errors.js';
import { FrameParser } from './parser.js';
import { MessageAssembler, type MessageSink } from './assembler.js';
import { encodeBinaryFrame, encodeTextFrame } from './encoder.js';
import { buildClosePayload, parseClosePayload, truncateCloseReason, CloseCode } from './close-codes.js';
import { isValidUtf8 } from './utf8.js';
import { decodeText, encodeText } from './text.js';
import { defaultMaskKey } from './mask.js';
import { DEFAULT_LIMITS, type Message, type ProtocolLimits } from './message.js';
import type { Extension } from './extension.js';
import { EventQueue, OutputQueue, decodeMessage, encodeMessage, type Pending } from './transform-queue.js';
import {
  CLOSE, ENDED, EOF, FAIL, IGNORE, OPEN, PEER_CLOSE, SEND,
  readyStateOf, stateName, transition,
  type ConnectionState, type Entry, type Event, type ReadyState, type State,
} from './connection-state.js';
import type { CloseOutcome, ConnectionEvent } from './events.js';

export { ReadyState, type ConnectionState } from './connection-state.js';
export type { CloseEvent, CloseOutcome, ConnectionEvent, ErrorEvent, PingEvent, PongEvent } from './events.js';

/** Which end of the connection this is. */
export type Role = 'client' | 'server';

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

const EMPTY = new Uint8Array(0);

const kMessage = Symbol('ws4ts.message');
const kControl = Symbol('ws4ts.control');

/**
 * The assembler's view of a Connection: a small object, so a subclass's
 * method names cannot shadow the engine's (the symbols are not exported).
 */
class EngineSink implements MessageSink {
  readonly connection: Connection;
  constructor(connection: Connection) {
    this.connection = connection;
  }
  onMessage(opcode: number, data: Uint8Array, rsv: number): void {
    this.connection[kMessage](opcode, data, rsv);
  }
  onControl(opcode: number, payload: Uint8Array): void {
    this.connection[kControl](opcode, payload);
  }
}

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
  readonly #events = new EventQueue<ConnectionEvent>();
  readonly #output = new OutputQueue();

  #state: State = OPEN;
  #fragmenting = false; // a fragmented message is being sent (§5.4)
  // What the close frames said (data, not state: the state says who sent first).
  #closeSent: { code: number; reason: string } | undefined;
  #closeReceived: { code: number; reason: string } | undefined;
  #error: WebSocketError | undefined;
  // A failure found while events parsed before it still wait: the state
  // change and the close frame happen when the owner reaches its error event
  // (fail in order: replies to earlier messages go out first).
  #deferredFail = false;

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
    this.#assembler = new MessageAssembler(this.#limits, new EngineSink(this));
    this.#parser = new FrameParser(
      { role: this.role, maxPayload: this.#limits.maxPayload, rsvAllowed },
      this.#assembler,
    );
    // §5.3: a client masks every frame it sends; a server never does.
    this.#maskKey = this.role === 'client' ? (options.maskKey ?? defaultMaskKey) : undefined;
    this.#autoPong = options.autoPong ?? true;
    this.#onAsyncReady = options.onAsyncReady;
  }

  /**
   * Refuse a send unless open. The comparison is the fast path of
   * `transition(state, SEND)` (the table allows SEND only while open, as its
   * test checks); the table itself raises the local error.
   */
  #checkOpen(): void {
    if (this.#state !== OPEN) transition(this.#state, SEND);
  }

  /** Apply `event` to the state machine (see `connection-state.ts`): the one place the state changes. */
  #apply(event: Event): Entry {
    const next = transition(this.#state, event);
    if (next !== IGNORE) this.#state = next;
    return next;
  }

  /** Where the closing handshake stands, saying who closed first. */
  get state(): ConnectionState {
    return stateName(this.#state);
  }

  /** The WHATWG view of {@link state}: OPEN until a close frame is sent or received. */
  get readyState(): ReadyState {
    return readyStateOf(this.#state);
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
    this.#apply(EOF);
    this.#parser.stop();
    this.#assembler.release(); // a peer dropped mid-frame: free its partial message now
  }

  /** The next event, or `undefined` when none is ready. */
  nextEvent(): ConnectionEvent | undefined {
    const event = this.#events.next();
    if (this.#deferredFail && event !== undefined && event.type === 'error' && event.error === this.#error) this.#failNow();
    return event;
  }

  /** Events queued (including ones behind an unfinished transform): for read backpressure. */
  get queuedEvents(): number {
    return this.#events.size;
  }

  /** @internal A complete data message from the assembler (through {@link EngineSink}). */
  [kMessage](opcode: number, data: Uint8Array, rsv: number): void {
    if (rsv === 0 || this.extensions.length === 0) {
      this.#events.push(opcode === 1 ? { type: 'text', data: decodeText(data) } : { type: 'binary', data });
      return;
    }
    const decoded = decodeMessage(this.extensions, data, rsv, this.#limits.maxPayload);
    if (!(decoded instanceof Promise)) {
      this.#events.push(decodedMessage(opcode, decoded));
      return;
    }
    const slot = this.#events.reserve();
    decoded.then(
      (bytes) => {
        // Fill the slot even if the connection failed meanwhile: this message
        // arrived before the failure, and the error event queued behind the
        // slot would otherwise never be reached (a slot dropped by
        // #asyncFailure is no longer in the queue, so filling it is harmless).
        try {
          slot.event = decodedMessage(opcode, bytes);
        } catch (error) {
          this.#asyncFailure(slot, error);
          return;
        }
        this.#onAsyncReady?.();
      },
      (error: unknown) => this.#asyncFailure(slot, error),
    );
  }

  #asyncFailure(slot: Pending<ConnectionEvent>, error: unknown): void {
    if (this.#error !== undefined) {
      // Already failing: just unblock the queue, whose error event may wait behind this slot.
      if (this.#events.remove(slot)) this.#onAsyncReady?.();
      return;
    }
    // Drop everything that arrived after the failed message: the connection is failing.
    this.#events.truncateAt(slot);
    this.#failWith(error);
    this.#onAsyncReady?.();
  }

  /** @internal A complete control frame from the assembler (through {@link EngineSink}). */
  [kControl](opcode: number, payload: Uint8Array): void {
    if (opcode === 9) {
      this.#events.push({ type: 'ping', data: payload });
      // §5.5.2: answer with a pong carrying the same payload, unless closing (§5.5.1).
      if (this.#autoPong && this.#state === OPEN) this.#control(10, payload);
    } else if (opcode === 10) {
      this.#events.push({ type: 'pong', data: payload });
    } else {
      this.#receiveClose(payload);
    }
  }

  #receiveClose(payload: Uint8Array): void {
    const { code, reason } = parseClosePayload(payload); // §5.5.1, §7.4: throws 1002/1007 on a bad payload
    const wasOpen = this.#state === OPEN;
    this.#apply(PEER_CLOSE);
    this.#closeReceived = { code, reason };
    // §5.5.1: no more frames are read after a close frame.
    this.#parser.stop();
    if (wasOpen) {
      // §5.5.1: answer with a close frame. Echo code and reason (as ws and
      // Python websockets do; browsers then report the reason to both ends);
      // 1005 ("none given", §7.4.1) gets an empty frame.
      this.#queueClose(code === CloseCode.NoStatus ? undefined : code, code === CloseCode.NoStatus ? '' : reason);
    }
    this.#events.push({ type: 'close', code, reason });
  }

  /** Fail the connection (§7.1.7): queue a close frame with the error's code, stop parsing. */
  #failWith(cause: unknown): void {
    // A connection fails once: later failures (a transform finishing late) are not reported.
    if (this.#error !== undefined) return;
    const error =
      cause instanceof WebSocketError
        ? cause
        : // A bug or an extension's surprise: details stay local (the cause), the peer gets 1011 "internal error".
          new WebSocketError('WS_ERR_INTERNAL', `unexpected error: ${String((cause as Error)?.message ?? cause)}`, {
            closeCode: 1011,
            side: 'local',
            cause,
          });
    this.#error = error;
    this.#parser.stop();
    if (this.#events.size > 0) this.#deferredFail = true;
    else this.#failNow();
    this.#events.push({ type: 'error', error });
  }

  #failNow(): void {
    this.#deferredFail = false;
    const error = this.#error!;
    const wasOpen = this.#state === OPEN;
    this.#apply(FAIL);
    if (wasOpen) this.#queueClose(error.closeCode, closeReasonFor(error));
  }

  // ─── sending ────────────────────────────────────────────────────────────

  /** Take the buffers to write, in order. Empty when there is nothing. */
  bytesToSend(): Uint8Array[] {
    return this.#output.take();
  }

  /** Bytes waiting in {@link bytesToSend} (not counting unfinished transforms). */
  get pendingBytes(): number {
    return this.#output.bytes;
  }

  /**
   * True when the transport should be ended once the pending bytes are
   * written: on the server after the closing handshake (§7.1.1: the server
   * closes the TCP connection first), on both sides after a failure (§7.1.7).
   */
  get shouldCloseTransport(): boolean {
    // A deferred failure (fail in order) ends the transport only once its close frame is queued.
    return (this.#error !== undefined && !this.#deferredFail) || (this.role === 'server' && this.#closeReceived !== undefined);
  }

  /** True once a close frame was sent: the owner should arm its close timeout. */
  get closeExpected(): boolean {
    return this.#closeSent !== undefined;
  }

  /** The protocol error that failed the connection, if any. */
  get error(): WebSocketError | undefined {
    return this.#error;
  }

  /** The close outcome so far (meaningful once the transport has closed, §7.1.5, §7.1.6). */
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
    return this.#state === ENDED;
  }

  /**
   * Send a whole message: a string as text, bytes as binary. Throws a local
   * {@link WebSocketError} after a close frame was sent or during a
   * fragmented send.
   */
  send(data: string | Uint8Array): void {
    this.#checkOpen();
    if (this.#fragmenting) throw localError('WS_ERR_INVALID_STATE', 'a fragmented message is being sent');
    const text = typeof data === 'string';
    if (this.extensions.length === 0) {
      // No extension, so no transform can be pending: write directly.
      const output = this.#output;
      output.bytes += text
        ? encodeTextFrame(output.writable(), 0x81, data, this.#maskKey?.())
        : encodeBinaryFrame(output.writable(), 0x82, data, this.#maskKey?.());
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
    this.#checkOpen();
    const opcode = this.#fragmenting ? 0 : typeof data === 'string' ? 1 : 2;
    const b0 = (fin ? 0x80 : 0) | opcode;
    const bytes = typeof data === 'string' ? encodeText(data) : data;
    this.#fragmenting = !fin;
    this.#output.enqueue(frameBytes(b0, bytes, this.#maskKey));
  }

  /**
   * Send bytes that already form complete frames for this role (a broadcast
   * framed once for many connections). Same ordering rules as {@link send}.
   */
  sendFrames(frames: Uint8Array): void {
    this.#checkOpen();
    if (this.#fragmenting) throw localError('WS_ERR_INVALID_STATE', 'a fragmented message is being sent');
    this.#output.enqueue([frames]);
  }

  /** True while a fragmented message is being sent. */
  get fragmenting(): boolean {
    return this.#fragmenting;
  }

  /** Send a ping (payload ≤ 125 bytes, §5.5). */
  ping(data: Uint8Array = EMPTY): void {
    this.#checkControl(data);
    this.#control(9, data);
  }

  /** Send an unsolicited pong (payload ≤ 125 bytes), e.g. as a heartbeat (§5.5.3). */
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
    if (this.#apply(CLOSE) === IGNORE) return;
    this.#closeSent = { code, reason };
    this.#output.enqueue(frameBytes(0x88, payload, this.#maskKey));
  }

  /**
   * Start the closing handshake with an empty close frame: no status code,
   * so the peer reads 1005. What the WHATWG `close()` sends when given no
   * arguments. Idempotent like {@link close}.
   */
  closeWithoutCode(): void {
    if (this.#apply(CLOSE) === IGNORE) return;
    this.#closeSent = { code: CloseCode.NoStatus, reason: '' };
    this.#output.enqueue(frameBytes(0x88, buildClosePayload(undefined, ''), this.#maskKey));
  }

  /**
   * Fail the connection from our side (e.g. a handler error → 1011, a dead
   * peer → 1011): send a close frame with `error.closeCode` if none was sent
   * and ask for the transport to be closed.
   */
  fail(error: WebSocketError): void {
    this.#failWith(error);
  }

  /** Queue our close frame; it goes after any message still being transformed (no data lost). */
  #queueClose(code: number | undefined, reason: string): void {
    this.#closeSent = { code: code ?? CloseCode.NoStatus, reason };
    this.#output.enqueue(frameBytes(0x88, buildClosePayload(code, reason), this.#maskKey));
  }

  #checkControl(data: Uint8Array): void {
    // §5.5: control frame payloads are at most 125 bytes.
    if (data.length > 125) throw localError('WS_ERR_INVALID_ARGUMENT', 'control frame payload over 125 bytes');
    this.#checkOpen();
  }

  /** Control frames may overtake messages still being transformed (§5.4: they may be injected between fragments). */
  #control(opcode: number, payload: Uint8Array): void {
    const output = this.#output;
    output.bytes += encodeBinaryFrame(output.writable(), 0x80 | opcode, payload, this.#maskKey?.());
  }

  #sendTransformed(opcode: number, data: Uint8Array): void {
    const result = encodeMessage(this.extensions, data, opcode);
    if (!(result instanceof Promise)) {
      this.#output.enqueue(frameBytes(0x80 | result.rsv | opcode, result.data, this.#maskKey));
      return;
    }
    const ticket = this.#output.reserve();
    result.then(
      (r) => {
        this.#output.complete(ticket, frameBytes(0x80 | r.rsv | opcode, r.data, this.#maskKey));
        this.#onAsyncReady?.();
      },
      (error: unknown) => {
        this.#output.complete(ticket, []);
        this.#failWith(error);
        this.#onAsyncReady?.();
      },
    );
  }
}

function decodedMessage(opcode: number, bytes: Uint8Array): Message {
  if (opcode === 2) return { type: 'binary', data: bytes };
  // §8.1: a text message must be valid UTF-8, else fail with 1007 (§7.4.1).
  if (!isValidUtf8(bytes)) throw protocolError('WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8', 1007);
  return { type: 'text', data: decodeText(bytes) };
}

function frameBytes(b0: number, data: Uint8Array, maskKey: (() => number) | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  encodeBinaryFrame(out, b0, data, maskKey?.());
  return out;
}

/**
 * The close reason for an error: a peer's violation gets its message (cut to
 * 123 bytes); our own internal failures (local, 1011: a handler, an
 * extension, a bug) only "internal error", since details may be
 * security-sensitive (as Python websockets does). A keepalive timeout says so.
 */
function closeReasonFor(error: WebSocketError): string {
  if (error.side === 'local' && error.closeCode === 1011 && error.code !== 'WS_ERR_PING_TIMEOUT') return 'internal error';
  return truncateCloseReason(error.message);
}
