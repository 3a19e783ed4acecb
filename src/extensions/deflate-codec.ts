/**
 * The permessage-deflate transform of one connection (RFC 7692 §6–§7): the
 * {@link Extension} object the engine calls once negotiation has agreed the
 * parameters (see permessage-deflate.ts for the negotiation).
 *
 * Memory is the design constraint. Nothing is allocated until a message is
 * compressed, and between messages a connection holds at most:
 *
 * - receiving with context takeover: the last 2^w bytes the peer sent (its
 *   LZ77 window, 32 KiB at w = 15). Each message is inflated by a fresh,
 *   short-lived zlib context primed with that window as a preset dictionary
 *   (inflateSetDictionary is a copy, ~1 µs), so no inflate context lives
 *   between messages;
 * - sending with context takeover: one zlib deflate stream (~256 KiB at the
 *   default window and memLevel), released after `idleTimeout` without
 *   sending. A fresh compressor is always decodable by the peer, so the
 *   release only costs ratio on the next message;
 * - without context takeover (either direction): nothing.
 *
 * Sync or async (bench/deflate-paths.ts measures each way under load).
 * A synchronous one-shot zlib call costs 20–30 µs of CPU for a 1 KiB
 * message; going through the thread pool costs about as much main-thread
 * time in stream bookkeeping alone, plus 70–190 µs of latency. So small
 * messages are handled synchronously: inflating up to 32 KiB in and 128 KiB
 * out, deflating up to 32 KiB without context takeover (≤ ~0.2 ms of main
 * thread each at level 1). Larger messages go to the thread pool under the
 * {@link ZlibPool} limit. Deflating with context takeover needs a persistent
 * stream, which Node only drives asynchronously; re-priming a fresh
 * compressor with a 32 KiB dictionary instead would keep no context but
 * costs 2–3× the CPU per 1 KiB message (~65–90 µs vs ~35 µs), so it stays
 * an async stream, released when idle. Inflating with a dictionary costs
 * about what an async stream does (~20–30 µs per 1 KiB), so receiving keeps
 * no zlib context at all.
 *
 * Order: the engine keeps events and frames in order whatever mix of sync
 * and async results it gets. Operations that share zlib state (the
 * persistent deflate stream; inflates that read the window the previous one
 * wrote) run one at a time per connection in a {@link Lane}.
 *
 * The payload's framing (the sync-flush trailer, the empty message) and the
 * errors that close the connection are `deflate-payload.ts`'s.
 *
 * @module
 */
import { constants, createDeflateRaw, createInflateRaw, deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import { RSV1 } from '../protocol/frame.js';
import type { EncodedMessage, Extension, ExtensionParam } from '../protocol/extension.js';
import type { IdleReleasable, PoolTask, ZlibPool } from './zlib-pool.js';
import { History, Lane, StreamRunner, tooBig } from './zlib-stream.js';
import { EMPTY_MESSAGE, TRAILER, chunkSizeFor, closedError, compact, deflateFailed, invalidData, mapInflateError, stripTrailer } from './deflate-payload.js';

// RSV1 is the "compressed" flag of permessage-deflate (RFC 7692 §6); the
// frame layer owns the constant, re-exported here for extension authors.
export { RSV1 };

/** Largest input handled synchronously (compressed bytes when inflating, plain bytes when deflating). */
export const SYNC_INPUT_LIMIT = 32 * 1024;
/** Largest output a synchronous inflate may produce before the message is redone off the main thread. */
export const SYNC_OUTPUT_BUDGET = 128 * 1024;
/** Output chunk size of the asynchronous streams: fewer thread-pool round trips for large messages. */
const ASYNC_CHUNK = 64 * 1024;

/** What negotiation agreed, from this endpoint's point of view, plus local tuning. */
export interface DeflateCodecConfig {
  /** The agreed parameters as the response header states them. */
  readonly params: readonly ExtensionParam[];
  /** We may not use context takeover when compressing. */
  readonly localNoContextTakeover: boolean;
  /** The peer does not use context takeover: every message inflates on its own. */
  readonly remoteNoContextTakeover: boolean;
  /** Largest window we may compress with, 8..15. */
  readonly localMaxWindowBits: number;
  /** Largest window the peer compresses with, 8..15. */
  readonly remoteMaxWindowBits: number;
  /** zlib compression level, -1..9. */
  readonly level: number;
  /** zlib memLevel, 1..9. */
  readonly memLevel: number;
  /** Messages shorter than this (bytes) are sent uncompressed. */
  readonly threshold: number;
  /** Release the deflate stream after this many ms without a compressed send (Infinity: never). */
  readonly idleTimeout: number;
  /** The concurrency limit for asynchronous zlib work. */
  readonly pool: ZlibPool;
}

/**
 * permessage-deflate bound to one connection. Built by the factory of
 * permessage-deflate.ts; see the module description for the memory and
 * threading model.
 *
 * @example
 * ```ts
 * // Normally the handshake builds it; directly (e.g. in a test):
 * const codec = new PerMessageDeflate({ params: [], localNoContextTakeover: false,
 *   remoteNoContextTakeover: false, localMaxWindowBits: 15, remoteMaxWindowBits: 15,
 *   level: 1, memLevel: 8, threshold: 0, idleTimeout: 10_000, pool: sharedZlibPool() });
 * const { data, rsv } = await codec.encode(new TextEncoder().encode('hello'), 1);
 * ```
 */
// Also an IdleReleasable structurally: `releaseIdle` is internal, so the public types do not name it.
export class PerMessageDeflate implements Extension {
  readonly name = 'permessage-deflate';
  readonly rsvMask = RSV1;
  readonly params: readonly ExtensionParam[];
  /** We compress without context takeover. */
  readonly localNoContextTakeover: boolean;
  /** The peer compresses without context takeover. */
  readonly remoteNoContextTakeover: boolean;
  /** Window bits we compress with, as agreed (8 is produced by a 9-bit zlib window, see the constructor). */
  readonly localMaxWindowBits: number;
  /** Window bits the peer compresses with (as agreed). */
  readonly remoteMaxWindowBits: number;

  readonly #config: DeflateCodecConfig;
  readonly #deflateOptions: ZlibOptions;
  readonly #inflateBits: number;
  readonly #encodeLane: Lane;
  readonly #decodeLane: Lane;
  #deflate: StreamRunner | undefined;
  #lastSend = 0;
  #history: History | undefined;
  #disposed = false;

  constructor(config: DeflateCodecConfig) {
    this.#config = config;
    this.params = config.params;
    this.localNoContextTakeover = config.localNoContextTakeover;
    this.remoteNoContextTakeover = config.remoteNoContextTakeover;
    this.localMaxWindowBits = config.localMaxWindowBits;
    this.remoteMaxWindowBits = config.remoteMaxWindowBits;
    // zlib cannot deflate with a 256-byte window: it rejects windowBits 8 for
    // raw streams since 1.2.9 (madler/zlib#171), and Node turns 8 into 9, as
    // ws relies on. That is safe: zlib never emits a match further back than
    // its window minus MIN_LOOKAHEAD (512 - 262 = 250 bytes at 9 bits), so a
    // 9-bit stream fits a 256-byte decoder (a test checks it). python-websockets
    // instead fails (zlib.compressobj(wbits=-8) raises).
    this.#deflateOptions = {
      level: config.level,
      memLevel: config.memLevel,
      windowBits: Math.max(9, config.localMaxWindowBits),
    };
    // Inflate with at least 9 bits: a zlib-based peer that agreed to 8 really
    // deflates with 9, and a larger window always decodes a smaller one.
    this.#inflateBits = Math.max(9, config.remoteMaxWindowBits);
    this.#encodeLane = new Lane(config.pool);
    this.#decodeLane = new Lane(config.pool);
  }

  /** True while a deflate stream (context takeover) is held. */
  get holdsDeflateContext(): boolean {
    return this.#deflate !== undefined;
  }

  /** True once the peer's window is kept (receiving with context takeover). */
  get holdsHistory(): boolean {
    return this.#history !== undefined;
  }

  // ─── sending ─────────────────────────────────────────────────────────────

  /**
   * Compress one outgoing message (RFC 7692 §7.2.1), or pass it through with
   * RSV1 clear below the threshold. `data` must not change until the result
   * settles (an asynchronous compression reads it later).
   */
  encode(data: Uint8Array, _opcode: number): EncodedMessage | Promise<EncodedMessage> {
    // Below the threshold compression costs more than it saves; after
    // dispose an uncompressed message is still valid for any peer.
    if (data.length < this.#config.threshold || this.#disposed) return { data, rsv: 0 };
    if (data.length === 0) return { data: EMPTY_MESSAGE, rsv: RSV1 };
    if (this.localNoContextTakeover) {
      if (data.length <= SYNC_INPUT_LIMIT) {
        let out: Buffer;
        try {
          out = deflateRawSync(data, {
            ...this.#deflateOptions,
            finishFlush: constants.Z_SYNC_FLUSH,
            chunkSize: chunkSizeFor(data.length + 64),
          });
        } catch (error) {
          throw deflateFailed(error);
        }
        return { data: stripTrailer(out), rsv: RSV1 };
      }
      return new Promise((resolve, reject) => {
        this.#config.pool.run((release) => {
          if (this.#disposed) return release();
          const runner = this.#newRunner(true);
          if (runner instanceof Error) {
            release();
            return reject(deflateFailed(runner));
          }
          runner.run([data], Infinity, (error, out) => {
            runner.destroy();
            release();
            if (error !== undefined) reject(deflateFailed(error));
            else resolve({ data: stripTrailer(out), rsv: RSV1 });
          });
        });
      });
    }
    return new Promise((resolve, reject) => {
      this.#encodeLane.push((done) => {
        if (this.#disposed) return done();
        let runner = this.#deflate;
        if (runner === undefined) {
          const created = this.#newRunner(true);
          if (created instanceof Error) {
            done();
            return reject(deflateFailed(created));
          }
          runner = this.#deflate = created;
          this.#config.pool.track(this, this.#config.idleTimeout);
        }
        runner.run([data], Infinity, (error, out) => {
          this.#lastSend = performance.now();
          if (error !== undefined) this.#dropDeflate();
          done();
          if (error !== undefined) reject(deflateFailed(error));
          else resolve({ data: stripTrailer(out), rsv: RSV1 });
        });
      });
    });
  }

  #newRunner(deflate: boolean, dictionary?: Uint8Array): StreamRunner | Error {
    try {
      const stream = deflate
        ? createDeflateRaw({ ...this.#deflateOptions, chunkSize: 16 * 1024 })
        : createInflateRaw({
            windowBits: this.#inflateBits,
            chunkSize: ASYNC_CHUNK,
            ...(dictionary !== undefined ? { dictionary } : {}),
          });
      return new StreamRunner(stream);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  #dropDeflate(): void {
    this.#deflate?.destroy();
    this.#deflate = undefined;
  }

  /** @internal IdleReleasable: the pool's sweeper calls this. */
  releaseIdle(now: number): boolean {
    if (this.#deflate === undefined) return true;
    if (!this.#encodeLane.idle || now - this.#lastSend < this.#config.idleTimeout) return false;
    this.#dropDeflate();
    return true;
  }

  // ─── receiving ───────────────────────────────────────────────────────────

  /**
   * Decompress one incoming RSV1 message (RFC 7692 §7.2.2), stopping as soon
   * as the output would pass `maxSize` (close 1009); bad data closes with 1007.
   */
  decode(chunks: readonly Uint8Array[], _rsv: number, maxSize: number): Uint8Array | Promise<Uint8Array> {
    if (this.#disposed) throw closedError();
    let size = 0;
    for (const chunk of chunks) size += chunk.length;
    const takeover = !this.remoteNoContextTakeover;
    // With context takeover a message needs the window the previous one left:
    // only go synchronous when no earlier message is still being inflated.
    if (size <= SYNC_INPUT_LIMIT && (!takeover || this.#decodeLane.idle)) {
      const budget = Math.min(maxSize, SYNC_OUTPUT_BUDGET);
      const out = this.#inflateSync(chunks, size, budget, takeover ? this.#history?.view() : undefined);
      // (zlib's limit is at least 1 byte: a limit of 0 is checked here.)
      if (out !== undefined && out.length <= maxSize) {
        if (takeover) this.#remember(out);
        return compact(out);
      }
      if (out !== undefined || maxSize <= budget) throw tooBig(maxSize);
      // Bigger than the synchronous budget but maybe within maxSize: redo it
      // off the main thread (at most SYNC_OUTPUT_BUDGET bytes of work wasted).
    }
    return this.#inflateAsync(chunks, maxSize, takeover);
  }

  /** Inflate on the main thread; undefined when the output would exceed `budget`. */
  #inflateSync(chunks: readonly Uint8Array[], size: number, budget: number, dictionary: Uint8Array | undefined): Buffer | undefined {
    const input = Buffer.concat([...chunks, TRAILER], size + 4);
    try {
      return inflateRawSync(input, {
        windowBits: this.#inflateBits,
        finishFlush: constants.Z_SYNC_FLUSH,
        // Node stops within one chunk of this limit: a bomb never allocates its full size.
        maxOutputLength: Math.max(1, budget),
        chunkSize: chunkSizeFor(size * 4),
        ...(dictionary !== undefined ? { dictionary } : {}),
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
      throw invalidData(error);
    }
  }

  #inflateAsync(chunks: readonly Uint8Array[], maxSize: number, takeover: boolean): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const task: PoolTask = (done) => {
        if (this.#disposed) return done();
        const runner = this.#newRunner(false, takeover ? this.#history?.view() : undefined);
        if (runner instanceof Error) {
          done();
          return reject(invalidData(runner));
        }
        runner.run([...chunks, TRAILER], maxSize, (error, out) => {
          runner.destroy();
          if (this.#disposed) return done();
          // Remember before `done()`: the next message's inflate starts there.
          if (error === undefined && takeover) this.#remember(out);
          done();
          if (error !== undefined) reject(mapInflateError(error));
          else resolve(out);
        });
      };
      if (takeover) this.#decodeLane.push(task);
      else this.#config.pool.run(task);
    });
  }

  #remember(out: Uint8Array): void {
    (this.#history ??= new History(1 << this.#inflateBits)).append(out);
  }

  // ─── lifecycle ───────────────────────────────────────────────────────────

  /**
   * Release everything: the deflate stream, the peer's window, queued work.
   * Operations still in flight are abandoned (their promises never settle;
   * the connection is gone). Idempotent.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#encodeLane.cancel();
    this.#decodeLane.cancel();
    this.#dropDeflate();
    this.#history = undefined;
    this.#config.pool.untrack(this);
  }
}
