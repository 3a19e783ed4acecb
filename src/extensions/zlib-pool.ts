/**
 * The resources permessage-deflate shares between connections: a limit on
 * the zlib operations running at once, and a sweeper that releases the
 * compression contexts of idle connections.
 *
 * Why a limit: every asynchronous zlib call runs on libuv's thread pool with
 * its own native state (a deflate context is ~256 KiB at the default window
 * and memLevel). Thousands of them in flight fragment the native heap until
 * the process looks like it leaks (nodejs/node#8871, websockets/ws#1202), so
 * ws caps them per process at 10, and so do we. Synchronous zlib calls run
 * one at a time on the main thread by nature and do not take a slot.
 *
 * Why a sweeper: a connection with context takeover keeps its deflate
 * context between messages. A context can be dropped at any message
 * boundary (a fresh compressor is always decodable: it just references less
 * history), so a connection that has sent nothing for `idleTimeout` gives its
 * context back. One unreferenced timer per pool serves every connection.
 *
 * @module
 */
import { WebSocketError } from '../protocol/errors.js';

/** Something holding zlib state that the pool's sweeper may release. */
export interface IdleReleasable {
  /**
   * Release what has been idle since before `now - idleTimeout`
   * (`now` from `performance.now()`). Return true when nothing is left to
   * release, so the sweeper can forget this object.
   */
  releaseIdle(now: number): boolean;
}

/** A task run by {@link ZlibPool.run}: call `release` exactly once when the zlib work is over. */
export type PoolTask = (release: () => void) => void;

/** Options of {@link ZlibPool}. */
export interface ZlibPoolOptions {
  /**
   * Asynchronous zlib operations allowed at once. Default 10, as in ws:
   * enough to keep libuv's 4 pool threads busy, few enough that native
   * memory stays flat under load.
   */
  readonly concurrency?: number;
}

/**
 * A concurrency limiter for zlib work plus an idle sweeper. Tasks start in
 * the order they were submitted.
 *
 * @example
 * ```ts
 * const pool = new ZlibPool({ concurrency: 4 });
 * pool.run((release) => zlib.deflateRaw(data, (error, out) => { release(); use(out); }));
 * ```
 */
export class ZlibPool {
  /** Operations allowed at once. */
  readonly concurrency: number;
  #active = 0;
  #queue: PoolTask[] = [];
  #head = 0;
  #tracked = new Set<IdleReleasable>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #period = Infinity;

  constructor(options: ZlibPoolOptions = {}) {
    const concurrency = options.concurrency ?? 10;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `concurrency must be a positive integer, got ${concurrency}`, {
        side: 'local',
        closeCode: 1011,
      });
    }
    this.concurrency = concurrency;
  }

  /** Operations running now. */
  get active(): number {
    return this.#active;
  }

  /** Operations waiting for a slot. */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /** Run `task` as soon as a slot is free (at once if one is). */
  run(task: PoolTask): void {
    if (this.#active < this.concurrency) {
      this.#active++;
      this.#start(task);
      return;
    }
    this.#queue.push(task);
  }

  #start(task: PoolTask): void {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.#next();
    };
    try {
      task(release);
    } catch (error) {
      release();
      throw error;
    }
  }

  #next(): void {
    const queue = this.#queue;
    if (this.#head < queue.length) {
      const task = queue[this.#head]!;
      queue[this.#head++] = undefined as unknown as PoolTask; // let it be collected
      if (this.#head === queue.length) {
        queue.length = 0;
        this.#head = 0;
      }
      // The slot passes straight to the next task: #active is unchanged.
      this.#start(task);
      return;
    }
    this.#active--;
  }

  /**
   * Ask the sweeper to call `item.releaseIdle(now)` at least every
   * `idleTimeout / 2` ms until it answers true. Tracking an item twice is
   * harmless.
   */
  track(item: IdleReleasable, idleTimeout: number): void {
    if (!Number.isFinite(idleTimeout)) return;
    this.#tracked.add(item);
    const period = Math.max(10, Math.floor(idleTimeout / 2));
    if (this.#timer !== undefined && period >= this.#period) return;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#period = period;
    this.#timer = setInterval(() => this.sweep(performance.now()), period);
    // The sweeper never keeps a process alive.
    this.#timer.unref?.();
  }

  /** Stop sweeping `item` (it released its resources itself). */
  untrack(item: IdleReleasable): void {
    this.#tracked.delete(item);
    if (this.#tracked.size === 0) this.#stopTimer();
  }

  /** Objects the sweeper watches (for tests and metrics). */
  get tracked(): number {
    return this.#tracked.size;
  }

  /** Run one sweep now (the timer calls this; public for tests). */
  sweep(now: number): void {
    for (const item of this.#tracked) if (item.releaseIdle(now)) this.#tracked.delete(item);
    if (this.#tracked.size === 0) this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#period = Infinity;
  }
}

let shared: ZlibPool | undefined;

/**
 * The process-wide pool (concurrency 10) that every permessage-deflate
 * factory uses unless it is given a `concurrency` of its own. Intentionally
 * global, as in ws: the thread pool it protects is global too.
 */
export function sharedZlibPool(): ZlibPool {
  return (shared ??= new ZlibPool());
}
