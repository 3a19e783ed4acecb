/**
 * zlib plumbing for permessage-deflate: a zlib stream driven one message at
 * a time ({@link StreamRunner}), a per-direction queue of zlib work
 * ({@link Lane}), and the peer's LZ77 window kept as plain bytes
 * ({@link History}).
 *
 * @module
 */
import { constants, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { WebSocketError } from '../protocol/errors.js';
import type { PoolTask, ZlibPool } from './zlib-pool.js';

/** The two zlib streams permessage-deflate uses. */
export type ZlibStream = DeflateRaw | InflateRaw;
/** Called once per {@link StreamRunner.run}: an error, or the whole output. */
export type RunCallback = (error: Error | undefined, output: Buffer) => void;
const EMPTY = Buffer.alloc(0);

/**
 * One zlib stream with permanent listeners and at most one operation at a
 * time: write the inputs, sync-flush, collect the output up to `limit`.
 * A permanent 'error' listener means a late error after `destroy()` can
 * never crash the process (undici learned this the hard way).
 */
export class StreamRunner {
  readonly stream: ZlibStream;
  #chunks: Buffer[] = [];
  #total = 0;
  #limit = Infinity;
  #callback: RunCallback | undefined;

  constructor(stream: ZlibStream) {
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('error', (error: Error) => this.#finish(error));
  }

  /**
   * Write `inputs`, sync-flush, and call back with everything zlib produced
   * for them. Past `limit` output bytes the stream is destroyed at once and
   * the callback gets a 1009 error. One run at a time.
   */
  run(inputs: readonly Uint8Array[], limit: number, callback: RunCallback): void {
    this.#callback = callback;
    this.#limit = limit;
    const stream = this.stream;
    for (const input of inputs) if (input.length > 0) stream.write(input);
    stream.flush(constants.Z_SYNC_FLUSH, () => this.#finish(undefined));
  }

  #onData(chunk: Buffer): void {
    if (this.#callback === undefined) return;
    this.#total += chunk.length;
    if (this.#total > this.#limit) {
      // Stop inflating at once: destroying inside 'data' ends zlib's processing loop.
      this.#finish(tooBig(this.#limit));
      this.destroy();
      return;
    }
    this.#chunks.push(chunk);
  }

  #finish(error: Error | undefined): void {
    const callback = this.#callback;
    if (callback === undefined) return;
    this.#callback = undefined;
    const chunks = this.#chunks;
    const output = error !== undefined ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#total);
    this.#chunks = [];
    this.#total = 0;
    callback(error, output);
  }

  /** Drop the stream; an operation in progress is abandoned without a callback. */
  destroy(): void {
    this.#callback = undefined;
    this.#chunks = [];
    this.stream.destroy();
  }
}

/**
 * Runs the zlib tasks of one direction of one connection one after another,
 * each in a slot of the pool. `cancel()` (on dispose) drops waiting tasks and
 * frees the slot of the running one.
 */
export class Lane {
  readonly #pool: ZlibPool;
  #busy = false;
  #tasks: PoolTask[] = [];
  #release: (() => void) | undefined;

  constructor(pool: ZlibPool) {
    this.#pool = pool;
  }

  /** True when no task is running or waiting. */
  get idle(): boolean {
    return !this.#busy;
  }

  /** Run `task` after the ones already pushed, in a pool slot; it must call `done` once. */
  push(task: PoolTask): void {
    if (this.#busy) {
      this.#tasks.push(task);
      return;
    }
    this.#busy = true;
    this.#start(task);
  }

  #start(task: PoolTask): void {
    this.#pool.run((release) => {
      this.#release = release;
      task(() => this.#done(release));
    });
  }

  #done(release: () => void): void {
    if (this.#release !== release) return; // cancelled meanwhile
    this.#release = undefined;
    release();
    const next = this.#tasks.shift();
    if (next !== undefined) this.#start(next);
    else this.#busy = false;
  }

  /** Drop waiting tasks and free the running one's slot (its `done` is then ignored). */
  cancel(): void {
    this.#tasks.length = 0;
    const release = this.#release;
    this.#release = undefined;
    this.#busy = false;
    release?.();
  }
}

/**
 * The last `size` bytes of everything the peer sent compressed: its LZ77
 * window, which the next message may reference (context takeover).
 */
export class History {
  readonly #size: number;
  #buffer: Uint8Array | undefined;
  #length = 0;

  constructor(size: number) {
    this.#size = size;
  }

  /** Add what the peer's latest message inflated to. */
  append(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    const size = this.#size;
    const buffer = (this.#buffer ??= new Uint8Array(size));
    if (n >= size) {
      buffer.set(data.subarray(n - size));
      this.#length = size;
    } else if (this.#length + n <= size) {
      buffer.set(data, this.#length);
      this.#length += n;
    } else {
      const keep = size - n;
      buffer.copyWithin(0, this.#length - keep, this.#length);
      buffer.set(data, keep);
      this.#length = size;
    }
  }

  /** The window as a view (valid until the next append), or undefined while empty. */
  view(): Uint8Array | undefined {
    return this.#length === 0 ? undefined : this.#buffer!.subarray(0, this.#length);
  }
}

/** The message grew past `limit` bytes while inflating: close 1009. */
export function tooBig(limit: number): WebSocketError {
  return new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', `message exceeds the limit of ${limit} bytes once decompressed`, {
    closeCode: 1009,
    side: 'remote',
  });
}
