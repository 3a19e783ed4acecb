/**
 * Extension transforms, kept in order (RFC 6455 §9, RFC 7692 §6).
 *
 * An extension such as permessage-deflate transforms whole messages, and may
 * do so asynchronously (zlib). Messages must still reach the consumer, and
 * frames the wire, in the order they came: a message whose transform is
 * unfinished holds back everything behind it. This module is that ordering,
 * apart from the protocol rules in `connection.ts`:
 *
 * - {@link EventQueue}: received events, where a message still being decoded
 *   is a {@link Pending} slot that blocks the queue until filled (or removed);
 * - {@link OutputQueue}: bytes to write, where a message still being encoded
 *   is a slot that holds back the frames queued after it (control frames,
 *   written with {@link OutputQueue.writable}, may overtake it);
 * - {@link decodeMessage} / {@link encodeMessage}: the extension chains,
 *   synchronous as long as every extension answers synchronously.
 *
 * Nothing here allocates while a connection is idle or while no transform is
 * pending: both queues use shared empty sentinels until something is queued.
 *
 * @module
 */
import type { EncodedMessage, Extension } from './extension.js';

/** A queued event whose message is still being transformed. */
export class Pending<E extends object> {
  /** The event, once the transform finished. */
  event: E | undefined = undefined;
}

// Sentinels, never pushed to: an idle queue holds no array of its own.
const NO_EVENTS: never[] = [];
const NO_BYTES: Uint8Array[] = [];
const NO_OUTPUT: OutputSlot[] = [];

/**
 * A FIFO of events in which some entries may be {@link Pending}: `next()`
 * stops at an unfilled slot, so nothing overtakes a message being decoded.
 */
export class EventQueue<E extends object> {
  #events: (E | Pending<E>)[] = NO_EVENTS;
  #head = 0;

  /** Queue a ready event. */
  push(event: E): void {
    if (this.#events === NO_EVENTS) this.#events = [event];
    else this.#events.push(event);
  }

  /** Queue a slot to be filled when a transform finishes. */
  reserve(): Pending<E> {
    const slot = new Pending<E>();
    if (this.#events === NO_EVENTS) this.#events = [slot];
    else this.#events.push(slot);
    return slot;
  }

  /** The next event, or `undefined` if none is ready (empty, or blocked by a pending slot). */
  next(): E | undefined {
    const events = this.#events;
    const head = this.#head;
    if (head >= events.length) return undefined;
    let event = events[head]!;
    if (event instanceof Pending) {
      if (event.event === undefined) return undefined;
      event = event.event;
    }
    if (head + 1 === events.length) {
      this.#events = NO_EVENTS;
      this.#head = 0;
    } else {
      this.#head = head + 1;
    }
    return event as E;
  }

  /** Entries queued, including pending slots. */
  get size(): number {
    return this.#events.length - this.#head;
  }

  /** Remove one slot (its transform failed after the queue was already cut short). True if it was queued. */
  remove(slot: Pending<E>): boolean {
    const index = this.#events.indexOf(slot, this.#head);
    if (index < 0) return false;
    this.#events.splice(index, 1);
    return true;
  }

  /** Drop `slot` and every entry queued after it (their connection is failing). */
  truncateAt(slot: Pending<E>): void {
    const index = this.#events.indexOf(slot, this.#head);
    if (index >= 0) this.#events.length = index;
  }
}

/** An outgoing message whose transform is unfinished, or frames queued behind one. */
interface OutputSlot {
  ready: boolean;
  bytes: readonly Uint8Array[];
}

/**
 * Small frames are written into a shared slab, back to back, instead of into
 * a buffer each: the frames one connection sends during one dispatch come
 * out of {@link OutputQueue.take} as one view, so a batch of small messages
 * costs neither a Buffer per frame nor a join before the write.
 *
 * Bump allocation, with one way back: when the owner reports that what it
 * took was handed to the operating system and is referenced no more
 * ({@link OutputQueue.release}, after a plain socket's write completed
 * synchronously, the common case), and those bytes are still the top of the
 * slab, the next frames are written over them. So an echo server writes
 * every batch into the same bytes and allocates nothing per batch. Bytes a
 * pending write holds are never written again; a full slab is dropped. What
 * a stalled write pins is its slab, 64 KiB, until it drains — at most one
 * slab per connection whose write went pending, and such a connection's own
 * backlog is capped by `maxBufferedAmount` (16 MiB by default) anyway.
 */
export const SLAB_SIZE = 65536;
let slab: Buffer = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabUsed = 0;

/** A handle on a reserved place in an {@link OutputQueue}. */
export type OutputTicket = object;

/**
 * Bytes to write, in order. Frames added with {@link enqueue} wait behind
 * any message still being transformed; {@link writable} is the direct path
 * (no transform pending, or a control frame that may overtake).
 */
export class OutputQueue {
  #out: Uint8Array[] = NO_BYTES;
  #waiting: OutputSlot[] = NO_OUTPUT; // non-empty only while a transform is unfinished
  // This queue's last frames in the slab: slab bytes [#runStart, #runEnd), not yet in #out.
  #run: Buffer | undefined;
  #runStart = 0;
  #runEnd = 0;
  /** Bytes ready in {@link take} (the owner adds what it writes into {@link writable}). */
  bytes = 0;
  /** The slab {@link room} returned an offset into. */
  slab: Buffer = slab;

  /** The list to append encoded frames to directly (add their size to {@link bytes}). */
  writable(): Uint8Array[] {
    if (this.#run !== undefined) this.#closeRun();
    return this.#out === NO_BYTES ? (this.#out = []) : this.#out;
  }

  /**
   * Room for a frame of at most `size` bytes (≤ {@link SLAB_SIZE}) right
   * after this queue's last bytes: returns the offset in {@link slab} to
   * write it at; then {@link commit} what was written, before anything else
   * is queued.
   */
  room(size: number): number {
    if (this.#run !== slab || this.#runEnd !== slabUsed || slabUsed + size > SLAB_SIZE) {
      if (this.#run !== undefined) this.#closeRun();
      if (slabUsed + size > SLAB_SIZE) {
        slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
        slabUsed = 0;
      }
      this.#run = slab;
      this.#runStart = slabUsed;
      this.slab = slab;
    }
    return slabUsed;
  }

  /** True when the slab has `size` bytes free (so {@link room} would not start a new slab). */
  fits(size: number): boolean {
    return slabUsed + size <= SLAB_SIZE;
  }

  /** Keep the `used` bytes written at the offset {@link room} returned. */
  commit(used: number): void {
    slabUsed += used;
    this.#runEnd = slabUsed;
    this.bytes += used;
  }

  #closeRun(): void {
    if (this.#runEnd > this.#runStart) {
      if (this.#out === NO_BYTES) this.#out = [];
      // Buffer.from(arrayBuffer, …) builds the view directly; subarray() goes
      // through the species constructor, measurably slower per write.
      const run = this.#run!;
      this.#out.push(Buffer.from(run.buffer, run.byteOffset + this.#runStart, this.#runEnd - this.#runStart));
    }
    this.#run = undefined;
    this.#runStart = this.#runEnd = 0;
  }

  /** Take the buffers to write, in order; empty when there is nothing. */
  take(): Uint8Array[] {
    if (this.#run !== undefined) this.#closeRun();
    const out = this.#out;
    if (out.length === 0) return out;
    this.#out = NO_BYTES;
    this.bytes = 0;
    return out;
  }

  /**
   * `taken`, what {@link take} returned, has been handed to the operating
   * system and nothing references it any more: if its last buffer is the
   * top of the slab, the next frames reuse those bytes. (Bump allocation
   * hands each byte out once, so the top of the slab, if it is in `taken`,
   * is nobody else's.)
   */
  release(taken: readonly Uint8Array[]): void {
    const last = taken[taken.length - 1];
    if (last === undefined || last.buffer !== slab.buffer) return;
    const start = last.byteOffset - slab.byteOffset;
    if (start + last.length === slabUsed) slabUsed = start;
  }

  /** True while a message ahead in the queue is still being transformed. */
  get blocked(): boolean {
    return this.#waiting.length > 0;
  }

  /** Queue ready frames behind any unfinished transform. */
  enqueue(bytes: readonly Uint8Array[]): void {
    if (this.#waiting.length === 0) this.#emit(bytes);
    else this.#waiting.push({ ready: true, bytes });
  }

  /** Reserve the place of a message whose transform has started. */
  reserve(): OutputTicket {
    const slot: OutputSlot = { ready: false, bytes: NO_BYTES };
    if (this.#waiting === NO_OUTPUT) this.#waiting = [slot];
    else this.#waiting.push(slot);
    return slot;
  }

  /** Fill a reserved place (empty `bytes` when the transform failed) and release what it held back. */
  complete(ticket: OutputTicket, bytes: readonly Uint8Array[]): void {
    const slot = ticket as OutputSlot;
    slot.bytes = bytes;
    slot.ready = true;
    const waiting = this.#waiting;
    while (waiting.length > 0 && waiting[0]!.ready) this.#emit(waiting.shift()!.bytes);
  }

  #emit(bytes: readonly Uint8Array[]): void {
    const out = this.writable();
    for (const chunk of bytes) {
      out.push(chunk);
      this.bytes += chunk.length;
    }
  }
}

/** Apply the extensions' decoders, last negotiated first (RFC 6455 §9), to a message whose first frame set `rsv`. */
export function decodeMessage(
  extensions: readonly Extension[],
  data: Uint8Array,
  rsv: number,
  maxSize: number,
): Uint8Array | Promise<Uint8Array> {
  let result: Uint8Array | Promise<Uint8Array> = data;
  for (let i = extensions.length - 1; i >= 0; i--) {
    const extension = extensions[i]!;
    if ((rsv & extension.rsvMask) === 0) continue;
    result =
      result instanceof Promise
        ? result.then((bytes) => extension.decode([bytes], rsv, maxSize))
        : extension.decode([result], rsv, maxSize);
  }
  return result;
}

/** Apply the extensions' encoders in negotiated order (RFC 6455 §9), collecting their RSV bits. */
export function encodeMessage(
  extensions: readonly Extension[],
  data: Uint8Array,
  opcode: number,
): EncodedMessage | Promise<EncodedMessage> {
  let result: EncodedMessage | Promise<EncodedMessage> = { data, rsv: 0 };
  for (const extension of extensions) {
    result =
      result instanceof Promise
        ? result.then((r) => merge(r, extension.encode(r.data, opcode)))
        : merge(result, extension.encode(result.data, opcode));
  }
  return result;
}

function merge(previous: EncodedMessage, next: EncodedMessage | Promise<EncodedMessage>): EncodedMessage | Promise<EncodedMessage> {
  if (next instanceof Promise) return next.then((r) => ({ data: r.data, rsv: r.rsv | previous.rsv }));
  return previous.rsv === 0 ? next : { data: next.data, rsv: next.rsv | previous.rsv };
}
