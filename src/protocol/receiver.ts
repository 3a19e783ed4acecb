/**
 * The receive side of a connection: what the assembler hands over becomes
 * events. Data messages go through the extensions' decoders (RFC 6455 §9)
 * and text is checked to be UTF-8 (§8.1); pings are answered (§5.5.2) and
 * pongs reported (§5.5.3); the peer's close frame goes to the connection,
 * whose state decides what it does (§5.5.1, §7).
 *
 * Split from `connection.ts`, which holds the state and the closing rules.
 * {@link Receiver} is the connection's event queue itself (a subclass of
 * {@link EventQueue}) and the assembler's {@link MessageSink}: a message
 * without extensions goes straight into the queue, and a connection holds no
 * extra object for it. Being its own object, not the connection, it also
 * keeps a `Connection` subclass's method names from shadowing these callbacks.
 *
 * @module
 */
import type { MessageSink } from './assembler.js';
import { protocolError } from './errors.js';
import type { ConnectionEvent } from './events.js';
import type { Extension } from './extension.js';
import type { FrameWriter } from './frame-writer.js';
import type { Message } from './message.js';
import { decodeText } from './text.js';
import { EventQueue, decodeMessage, type Pending } from './transform-queue.js';
import { isValidUtf8 } from './utf8.js';

/** @internal The owner's state: true while open (neither side sent a close frame, no failure). */
export const kOpen = Symbol('ws4ts.open');
/** @internal The owner's callback for the peer's close frame (its payload). */
export const kPeerClose = Symbol('ws4ts.peerClose');
/** @internal The owner's callback for an asynchronous decode that failed (the slot it held). */
export const kDecodeFailed = Symbol('ws4ts.decodeFailed');

/** @internal What a {@link Receiver} reports to: its connection. */
export interface ReceiverOwner {
  readonly [kOpen]: boolean;
  [kPeerClose](payload: Uint8Array): void;
  [kDecodeFailed](slot: Pending<ConnectionEvent>, error: unknown): void;
}

/** @internal A connection's received events, fed by its assembler. */
export class Receiver extends EventQueue<ConnectionEvent> implements MessageSink {
  readonly #owner: ReceiverOwner;
  readonly #writer: FrameWriter;
  readonly #autoPong: boolean;
  readonly #extensions: readonly Extension[];
  readonly #maxPayload: number;
  readonly #onAsyncReady: (() => void) | undefined;

  /** `writer` is the connection's, for the pongs of `autoPong`. */
  constructor(
    owner: ReceiverOwner,
    writer: FrameWriter,
    autoPong: boolean,
    extensions: readonly Extension[],
    maxPayload: number,
    onAsyncReady: (() => void) | undefined,
  ) {
    super();
    this.#owner = owner;
    this.#writer = writer;
    this.#autoPong = autoPong;
    this.#extensions = extensions;
    this.#maxPayload = maxPayload;
    this.#onAsyncReady = onAsyncReady;
  }

  /** A complete data message (opcode 1 or 2), `rsv` from its first frame. */
  onMessage(opcode: number, data: Uint8Array, rsv: number): void {
    if (rsv === 0 || this.#extensions.length === 0) {
      // Untransformed (without extensions the parser refuses RSV bits): the assembler checked the text already.
      this.push(opcode === 1 ? { type: 'text', data: decodeText(data) } : { type: 'binary', data });
      return;
    }
    const decoded = decodeMessage(this.#extensions, data, rsv, this.#maxPayload);
    if (!(decoded instanceof Promise)) {
      this.push(decodedMessage(opcode, decoded));
      return;
    }
    const slot = this.reserve();
    decoded.then(
      (bytes) => {
        // Fill the slot even if the connection failed meanwhile: this message
        // arrived before the failure, and the error event queued behind the
        // slot would otherwise never be reached (a slot dropped by the
        // owner's failure handling is no longer queued, so filling it is harmless).
        try {
          slot.event = decodedMessage(opcode, bytes);
        } catch (error) {
          this.#owner[kDecodeFailed](slot, error);
          return;
        }
        this.#onAsyncReady?.();
      },
      (error: unknown) => this.#owner[kDecodeFailed](slot, error),
    );
  }

  /** A complete control frame: ping (9), pong (10) or close (8). */
  onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === 9) {
      this.push({ type: 'ping', data: payload });
      // §5.5.2: answer with a pong carrying the same payload, unless closing (§5.5.1).
      if (this.#autoPong && this.#owner[kOpen]) this.#writer.control(10, payload);
    } else if (opcode === 10) {
      this.push({ type: 'pong', data: payload }); // §5.5.3: no answer
    } else {
      this.#owner[kPeerClose](payload);
    }
  }
}

/** A message the extensions decoded: text must now be valid UTF-8 (§8.1), else the connection fails with 1007 (§7.4.1). */
export function decodedMessage(opcode: number, bytes: Uint8Array): Message {
  if (opcode === 2) return { type: 'binary', data: bytes };
  if (!isValidUtf8(bytes)) throw protocolError('WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8', 1007);
  return { type: 'text', data: decodeText(bytes) };
}
