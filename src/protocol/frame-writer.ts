/**
 * The send side of a connection: how messages, fragments and control frames
 * become bytes (RFC 6455 §5.2–§5.5), masked in the client role (§5.3) and
 * passed through the extensions' encoders in negotiated order (§9).
 *
 * Split from `connection.ts`, which decides *whether* a frame may be sent
 * (the state table, the closing handshake); this module only encodes and
 * queues. {@link FrameWriter} is the connection's {@link OutputQueue} itself
 * (a subclass rather than a wrapper, so a connection holds no extra object
 * for it), and the message paths allocate nothing beyond the frames: a
 * message without extensions is written straight into the output list.
 *
 * @module
 */
import { encodeBinaryFrame, encodeTextFrame, writeHeader } from './encoder.js';
import type { Extension } from './extension.js';
import { encodeText, writeText } from './text.js';
import { OutputQueue, encodeMessage } from './transform-queue.js';

/** Longest string sent through the slab: 41 UTF-16 units are at most 123 UTF-8 bytes, a one-byte length. */
const SMALL_TEXT = 41;
/**
 * Binary frames up to TINY_BINARY always go through the slab (a full slab is
 * replaced); up to SMALL_BINARY only while the slab has room for them. Mid-
 * size frames starting fresh slabs were what made slabs costly (1 KiB frames
 * in 8 KiB slabs: GC 16 % of server time in the 1 KiB × 500 × window 32
 * echo); now that a written batch gives its bytes back, a batch of 1 KiB
 * frames reuses the same slab bytes, and past its end they take a pooled
 * Buffer each, as before.
 */
const SMALL_BINARY = 4096;
const TINY_BINARY = 256;

/** @internal The owner's failure callback: an extension's asynchronous encode failed. */
export const kEncodeFailed = Symbol('ws4ts.encodeFailed');

/** @internal What a {@link FrameWriter} reports to: its connection. */
export interface WriterOwner {
  [kEncodeFailed](error: unknown): void;
}

/**
 * @internal The frames a connection sends, in order. Validation (state,
 * payload sizes, close codes) is the caller's: the writer trusts its input.
 */
export class FrameWriter extends OutputQueue {
  readonly #owner: WriterOwner;
  readonly #extensions: readonly Extension[];
  readonly #maskKey: (() => number) | undefined;
  readonly #onAsyncReady: (() => void) | undefined;
  /** True while a fragmented message is being sent (§5.4). */
  fragmenting = false;

  /** `maskKey` is set in the client role only (§5.3: a client masks every frame, a server never does). */
  constructor(owner: WriterOwner, extensions: readonly Extension[], maskKey: (() => number) | undefined, onAsyncReady: (() => void) | undefined) {
    super();
    this.#owner = owner;
    this.#extensions = extensions;
    this.#maskKey = maskKey;
    this.#onAsyncReady = onAsyncReady;
  }

  /** A whole message in one frame: a string as text (opcode 1), bytes as binary (opcode 2). */
  message(data: string | Uint8Array): void {
    const text = typeof data === 'string';
    if (this.#extensions.length === 0) {
      if (this.#maskKey === undefined && this.#slabbed(data)) {
        this.#small(data);
        return;
      }
      // No extension, so no transform can be pending: write directly.
      this.bytes += text
        ? encodeTextFrame(this.writable(), 0x81, data, this.#maskKey?.())
        : encodeBinaryFrame(this.writable(), 0x82, data, this.#maskKey?.());
      return;
    }
    this.#transformed(text ? 1 : 2, text ? encodeText(data) : data);
  }

  /** Whether an unmasked frame of `data` goes into the slab (see SMALL_BINARY). */
  #slabbed(data: string | Uint8Array): boolean {
    if (typeof data === 'string') return data.length <= SMALL_TEXT;
    const length = data.length;
    return length <= TINY_BINARY || (length <= SMALL_BINARY && this.fits(length + 4));
  }

  /**
   * A small unmasked frame (server role, no extension), written into the
   * output slab right after the frames before it (see OutputQueue.room).
   */
  #small(data: string | Uint8Array): void {
    if (typeof data === 'string') {
      // At most 123 UTF-8 bytes (3 per UTF-16 unit): the 2-byte header form.
      const at = this.room(2 + data.length * 3);
      const slab = this.slab;
      const length = writeText(data, slab, at + 2);
      slab[at] = 0x81;
      slab[at + 1] = length;
      this.commit(2 + length);
      return;
    }
    const length = data.length;
    const head = length < 126 ? 2 : 4;
    const at = this.room(head + length);
    const slab = this.slab;
    writeHeader(slab, at, 0x82, length, undefined);
    slab.set(data, at + head);
    this.commit(head + length);
  }

  /**
   * One fragment (§5.4): the first sets the message's opcode (string: text,
   * bytes: binary), the next ones are continuations (opcode 0); `fin` ends it.
   * Fragments skip the extensions (their transforms work on whole messages).
   */
  fragment(data: string | Uint8Array, fin: boolean): void {
    const opcode = this.fragmenting ? 0 : typeof data === 'string' ? 1 : 2;
    const bytes = typeof data === 'string' ? encodeText(data) : data;
    this.fragmenting = !fin;
    this.enqueue(frameBytes((fin ? 0x80 : 0) | opcode, bytes, this.#maskKey));
  }

  /**
   * A control frame that may overtake messages still being transformed
   * (§5.4: control frames may be injected between fragments): ping (9), pong (10).
   */
  control(opcode: number, payload: Uint8Array): void {
    this.bytes += encodeBinaryFrame(this.writable(), 0x80 | opcode, payload, this.#maskKey?.());
  }

  /** A close frame (§5.5.1): it goes after any message still being transformed, so no data is lost. */
  close(payload: Uint8Array): void {
    this.enqueue(frameBytes(0x88, payload, this.#maskKey));
  }

  #transformed(opcode: number, data: Uint8Array): void {
    const result = encodeMessage(this.#extensions, data, opcode);
    if (!(result instanceof Promise)) {
      this.enqueue(frameBytes(0x80 | result.rsv | opcode, result.data, this.#maskKey));
      return;
    }
    const ticket = this.reserve();
    result.then(
      (r) => {
        this.complete(ticket, frameBytes(0x80 | r.rsv | opcode, r.data, this.#maskKey));
        this.#onAsyncReady?.();
      },
      (error: unknown) => {
        this.complete(ticket, []);
        this.#owner[kEncodeFailed](error);
        this.#onAsyncReady?.();
      },
    );
  }
}

/** One frame as a list of buffers (header and payload; masked when `maskKey` is given). */
function frameBytes(b0: number, data: Uint8Array, maskKey: (() => number) | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  encodeBinaryFrame(out, b0, data, maskKey?.());
  return out;
}
