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
 * holds the RFC rules around it, each citing its section (the closing rules
 * that need no state are `closing.ts`'s).
 *
 * The server closes the TCP connection first (§7.1.1); a client waits for
 * it, so `shouldCloseTransport` is set on the server after the close
 * handshake and on both sides after a failure (§7.1.7).
 *
 * Extensions transform whole messages, possibly asynchronously; the ordering
 * of events and outgoing frames around unfinished transforms lives in
 * `transform-queue.ts`, and `onAsyncReady` tells the owner when to drain again.
 * What the assembler hands over becomes events in `receiver.ts`; frames
 * become bytes in `frame-writer.ts`.
 *
 * @module
 */
import { localError, type WebSocketError } from './errors.js';
import { FrameParser } from './parser.js';
import { MessageAssembler } from './assembler.js';
import { buildClosePayload, parseClosePayload, CloseCode } from './close-codes.js';
import { closeOutcomeOf, closeReasonFor, echoOf, failureOf, startingClosePayload, type CloseRecord } from './closing.js';
import { defaultMaskKey } from './mask.js';
import { DEFAULT_LIMITS, type ProtocolLimits } from './message.js';
import type { Extension } from './extension.js';
import type { Pending } from './transform-queue.js';
import { Receiver, kDecodeFailed, kOpen, kPeerClose } from './receiver.js';
import { FrameWriter, kEncodeFailed } from './frame-writer.js';
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
  readonly #onAsyncReady: (() => void) | undefined;
  readonly #events: Receiver;
  readonly #output: FrameWriter;

  #state: State = OPEN;
  // What the close frames said (data, not state: the state says who sent first).
  #closeSent: CloseRecord | undefined;
  #closeReceived: CloseRecord | undefined;
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
    this.#onAsyncReady = options.onAsyncReady;
    // §5.3: a client masks every frame it sends; a server never does.
    const maskKey = this.role === 'client' ? (options.maskKey ?? defaultMaskKey) : undefined;
    this.#output = new FrameWriter(this, this.extensions, maskKey, this.#onAsyncReady);
    this.#events = new Receiver(this, this.#output, options.autoPong ?? true, this.extensions, maxPayload, this.#onAsyncReady);
    this.#assembler = new MessageAssembler(this.#limits, this.#events);
    this.#parser = new FrameParser(
      { role: this.role, maxPayload: this.#limits.maxPayload, rsvAllowed },
      this.#assembler,
    );
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

  /** @internal A message's asynchronous decoding failed (from the {@link Receiver}). */
  [kDecodeFailed](slot: Pending<ConnectionEvent>, error: unknown): void {
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

  /** @internal True while open: the {@link Receiver} answers pings only then (§5.5.1, §5.5.2). */
  get [kOpen](): boolean {
    return this.#state === OPEN;
  }

  /** @internal The peer's close frame (through the {@link Receiver}). */
  [kPeerClose](payload: Uint8Array): void {
    const received = parseClosePayload(payload); // §5.5.1, §7.4: throws 1002/1007 on a bad payload
    const wasOpen = this.#state === OPEN;
    this.#apply(PEER_CLOSE);
    this.#closeReceived = received;
    // §5.5.1: no more frames are read after a close frame.
    this.#parser.stop();
    if (wasOpen) {
      // §5.5.1: answer with a close frame, echoing the peer's (see echoOf).
      const echo = echoOf(received);
      this.#queueClose(echo.code, echo.reason);
    }
    this.#events.push({ type: 'close', code: received.code, reason: received.reason });
  }

  /** @internal A message's asynchronous encoding failed (from the {@link FrameWriter}). */
  [kEncodeFailed](error: unknown): void {
    this.#failWith(error);
  }

  /** Fail the connection (§7.1.7): queue a close frame with the error's code, stop parsing. */
  #failWith(cause: unknown): void {
    // A connection fails once: later failures (a transform finishing late) are not reported.
    if (this.#error !== undefined) return;
    // A bug or an extension's surprise: details stay local (the cause), the peer gets 1011 "internal error".
    const error = failureOf(cause);
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

  /** @internal `bytes`, what {@link bytesToSend} returned, was written and is referenced no more: its slab bytes may be reused. */
  released(bytes: readonly Uint8Array[]): void {
    this.#output.release(bytes);
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
    return closeOutcomeOf(this.#closeSent, this.#closeReceived);
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
    if (this.#output.fragmenting) throw localError('WS_ERR_INVALID_STATE', 'a fragmented message is being sent');
    this.#output.message(data);
  }

  /**
   * Send one fragment of a message (§5.4). The first fragment's type (string:
   * text, bytes: binary) sets the message's; `fin` ends it. Control frames
   * may be sent between fragments; other messages may not.
   */
  sendFragment(data: string | Uint8Array, fin: boolean): void {
    this.#checkOpen();
    this.#output.fragment(data, fin);
  }

  /**
   * Send bytes that already form complete frames for this role (a broadcast
   * framed once for many connections). Same ordering rules as {@link send}.
   */
  sendFrames(frames: Uint8Array): void {
    this.#checkOpen();
    if (this.#output.fragmenting) throw localError('WS_ERR_INVALID_STATE', 'a fragmented message is being sent');
    this.#output.enqueue([frames]);
  }

  /** True while a fragmented message is being sent. */
  get fragmenting(): boolean {
    return this.#output.fragmenting;
  }

  /** Send a ping (payload ≤ 125 bytes, §5.5). */
  ping(data: Uint8Array = EMPTY): void {
    this.#checkControl(data);
    this.#output.control(9, data);
  }

  /** Send an unsolicited pong (payload ≤ 125 bytes), e.g. as a heartbeat (§5.5.3). */
  pong(data: Uint8Array = EMPTY): void {
    this.#checkControl(data);
    this.#output.control(10, data);
  }

  /**
   * Start the closing handshake (§7.1.2). Validates code and reason (throws a
   * local error for 1005/1006/1015, other codes not allowed on the wire, or a
   * reason over 123 bytes). Idempotent: a second call does nothing.
   */
  close(code: number = CloseCode.Normal, reason = ''): void {
    const payload = startingClosePayload(code, reason); // validate even if already closing (1005 is refused, §7.4.1)
    if (this.#apply(CLOSE) === IGNORE) return;
    this.#closeSent = { code, reason };
    this.#output.close(payload);
  }

  /**
   * Start the closing handshake with an empty close frame: no status code,
   * so the peer reads 1005. What the WHATWG `close()` sends when given no
   * arguments. Idempotent like {@link close}.
   */
  closeWithoutCode(): void {
    if (this.#apply(CLOSE) === IGNORE) return;
    this.#closeSent = { code: CloseCode.NoStatus, reason: '' };
    this.#output.close(buildClosePayload(undefined, ''));
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
    this.#output.close(buildClosePayload(code, reason));
  }

  #checkControl(data: Uint8Array): void {
    // §5.5: control frame payloads are at most 125 bytes.
    if (data.length > 125) throw localError('WS_ERR_INVALID_ARGUMENT', 'control frame payload over 125 bytes');
    this.#checkOpen();
  }
}
