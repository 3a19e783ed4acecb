/**
 * The async layer on top of the pure engine: byte chunks in, frames or
 * messages out, as async iterables.
 *
 * Parsing stays synchronous: each chunk pulled from the source is pushed
 * through the parser at once and whatever it completes is buffered, so no
 * promise is created per frame; the only promise is the one per item
 * delivered to the `for await` consumer.
 *
 * @module
 */
import { FrameParser, type FrameParserOptions, type FrameSink } from './parser.js';
import { applyMask } from './mask.js';
import { Connection, type ConnectionEvent, type ConnectionOptions } from './connection.js';
import { DEFAULT_LIMITS, type Message } from './message.js';
import type { Frame, Opcode } from './frame.js';

/** A frame sink that builds {@link Frame} values. */
class FrameCollector implements FrameSink {
  frames: Frame[] = [];
  #fin = false;
  #rsv = 0;
  #opcode = 0;
  #pieces: Uint8Array[] = [];

  onFrameHeader(fin: boolean, rsv: number, opcode: number): void {
    this.#fin = fin;
    this.#rsv = rsv;
    this.#opcode = opcode;
    this.#pieces = [];
  }

  onFramePayload(chunk: Uint8Array, start: number, end: number, key: number, phase: number): void {
    const piece = chunk.subarray(start, end);
    if (key !== 0) applyMask(piece, key, phase);
    this.#pieces.push(piece);
  }

  onFrameEnd(): void {
    const pieces = this.#pieces;
    const payload = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    this.frames.push({ opcode: this.#opcode as Opcode, fin: this.#fin, rsv: this.#rsv, payload });
  }
}

/** Pulls chunks from a source and drains a synchronous stage into a batch. */
class BatchIterator<T> implements AsyncIterableIterator<T> {
  #source: AsyncIterator<Uint8Array>;
  #batch: T[] = [];
  #index = 0;
  #done = false;
  // A violation found by `fill`: thrown once the items completed before it are delivered.
  #failure: { error: unknown } | undefined;
  #fill: (chunk: Uint8Array | undefined, batch: T[]) => boolean;

  /** `fill` pushes one chunk (undefined: end of input) and returns false once nothing more will come. */
  constructor(source: AsyncIterable<Uint8Array>, fill: (chunk: Uint8Array | undefined, batch: T[]) => boolean) {
    this.#source = source[Symbol.asyncIterator]();
    this.#fill = fill;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.#index < this.#batch.length) {
        const value = this.#batch[this.#index++]!;
        return { value, done: false };
      }
      this.#batch.length = 0;
      this.#index = 0;
      if (this.#failure !== undefined) {
        const { error } = this.#failure;
        this.#failure = undefined;
        throw error;
      }
      if (this.#done) return { value: undefined, done: true };
      const step = await this.#source.next();
      let more: boolean;
      try {
        more = this.#fill(step.done ? undefined : step.value, this.#batch);
      } catch (error) {
        // Fix: a throw here used to drop the items this chunk completed before
        // the violation (so the result depended on chunking) and left the
        // source open. Deliver them first, close the source, then throw.
        this.#failure = { error };
        this.#done = true;
        if (!step.done) await this.#source.return?.();
        continue;
      }
      if (step.done || !more) {
        this.#done = true;
        if (!step.done) await this.#source.return?.();
      }
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.#done = true;
    this.#failure = undefined;
    this.#batch.length = 0;
    await this.#source.return?.();
    return { value: undefined, done: true };
  }
}

/**
 * Parse a byte stream into frames. Throws the parser's {@link WebSocketError}
 * on a protocol violation. The chunks are unmasked in place.
 *
 * @example
 * ```ts
 * for await (const frame of frames(socket, { role: 'server', maxPayload: 1 << 20 })) {
 *   console.log(frame.opcode, frame.payload.length);
 * }
 * ```
 */
export function frames(
  source: AsyncIterable<Uint8Array>,
  options: Partial<FrameParserOptions> & Pick<FrameParserOptions, 'role'>,
): AsyncIterableIterator<Frame> {
  const collector = new FrameCollector();
  const parser = new FrameParser({ maxPayload: DEFAULT_LIMITS.maxPayload, ...options }, collector);
  return new BatchIterator<Frame>(source, (chunk, batch) => {
    if (chunk === undefined) return false;
    collector.frames = batch;
    parser.push(chunk);
    return true;
  });
}

/**
 * Parse a byte stream into messages (read-only: pings are reported to no one
 * and not answered). Ends at the peer's close frame or the end of input;
 * throws a {@link WebSocketError} on a protocol violation, with its close code.
 *
 * @example
 * ```ts
 * for await (const message of messages(chunks, { role: 'server' })) console.log(message.data);
 * ```
 */
export function messages(source: AsyncIterable<Uint8Array>, options: ConnectionOptions): AsyncIterableIterator<Message> {
  const connection = new Connection({ ...options, autoPong: false });
  let closed = false;
  return new BatchIterator<Message>(source, (chunk, batch) => {
    if (chunk === undefined) {
      connection.receiveEof();
      return false;
    }
    connection.receive(chunk);
    for (let event: ConnectionEvent | undefined; (event = connection.nextEvent()); ) {
      if (event.type === 'text' || event.type === 'binary') batch.push(event);
      else if (event.type === 'close') closed = true;
      else if (event.type === 'error') throw event.error;
    }
    return !closed;
  });
}
