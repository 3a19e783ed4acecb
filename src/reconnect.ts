/**
 * Auto-reconnect: `for await (const ws of reconnect(url, options))` yields a
 * fresh connection each time the previous one ends, as Python websockets'
 * `async for websocket in connect(uri)` does, and a WHATWG-style
 * {@link ReconnectingWebSocket} built on it.
 *
 * Backoff (websockets' defaults): the first retry waits a random time in
 * [0, 5 s), then 3.1 s growing ×1.618 up to 90 s. A connection that stayed
 * up for `resetAfter` (default 3.1 s) restarts the sequence; one that
 * dropped sooner continues it, so a server that accepts and drops at once is
 * not hammered. A classifier decides what is worth retrying: network
 * errors, timeouts, handshakes cut short and HTTP 500/502/503/504 are; other
 * HTTP statuses, invalid handshakes and bad arguments are fatal.
 *
 * @module
 */
import { connect, HandshakeError, type ConnectOptions } from './client.js';
import type { WebSocket } from './websocket.js';

/** What the classifier decides. */
export type RetryDecision = 'retry' | 'fatal';

/** A clock (injectable for tests). */
export interface ReconnectClock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** Options of {@link reconnect}: those of `connect()` plus the backoff and the classifier. */
export interface ReconnectOptions extends ConnectOptions {
  /** The first delay is random in [0, initialDelay) ms. Default 5,000. */
  initialDelay?: number;
  /** The second delay, in ms. Default 3,100. */
  minDelay?: number;
  /** Most ms between attempts. Default 90,000. */
  maxDelay?: number;
  /** Growth of the delay per failed attempt. Default 1.618. */
  factor?: number;
  /** A connection up at least this many ms restarts the backoff. Default 3,100. */
  resetAfter?: number;
  /** Give up after this many failed attempts in a row (`Infinity`, the default: never). */
  maxAttempts?: number;
  /** Decide whether `error` is worth retrying. Default {@link classifyError}. */
  classify?: (error: unknown) => RetryDecision;
  /** Called before each wait, with the error, the delay and the attempt number (1-based). */
  onRetry?: (info: { error: unknown; delay: number; attempt: number }) => void;
  /** Source of randomness for the first delay. Default `Math.random`. */
  random?: () => number;
  /** Timers. Default the real ones. */
  clock?: ReconnectClock;
}

const realClock: ReconnectClock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

/** HTTP statuses worth retrying (the server may be restarting or overloaded). */
const RETRY_STATUSES = new Set([500, 502, 503, 504]);

/**
 * The default classifier (Python websockets' `process_exception`): retry
 * network errors, timeouts, handshakes cut short (no HTTP answer: status 0)
 * and 500/502/503/504; everything else (other statuses, an invalid 101
 * answer, a bad URL, an abort) is fatal.
 */
export function classifyError(error: unknown): RetryDecision {
  if (error instanceof HandshakeError) return error.status === 0 || RETRY_STATUSES.has(error.status) ? 'retry' : 'fatal';
  return 'fatal';
}

/**
 * The delays of websockets' `backoff()`: random in [0, initial), then `min`
 * growing by `factor` up to `max`, then `max` forever.
 */
export function* backoffDelays(options: Pick<ReconnectOptions, 'initialDelay' | 'minDelay' | 'maxDelay' | 'factor' | 'random'> = {}): Generator<number, never> {
  const initial = options.initialDelay ?? 5_000;
  const max = options.maxDelay ?? 90_000;
  const factor = options.factor ?? 1.618;
  yield (options.random ?? Math.random)() * initial;
  let delay = options.minDelay ?? 3_100;
  while (delay < max) {
    yield delay;
    delay *= factor;
  }
  for (;;) yield max;
}

function checkOptions(options: ReconnectOptions): void {
  for (const name of ['initialDelay', 'minDelay', 'maxDelay', 'resetAfter'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0))) throw new RangeError(`reconnect: ${name} must be a number ≥ 0, not ${String(value)}`);
  }
  if (options.factor !== undefined && !(options.factor >= 1)) throw new RangeError(`reconnect: factor must be ≥ 1, not ${String(options.factor)}`);
  if (options.maxAttempts !== undefined && !(options.maxAttempts >= 1)) throw new RangeError(`reconnect: maxAttempts must be ≥ 1, not ${String(options.maxAttempts)}`);
}

/** Wait `ms` on `clock`; rejects with the signal's reason on abort. */
function sleep(clock: ReconnectClock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal!.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Connections to `url`, one after another: each is yielded once open; the
 * next attempt starts when it has closed (and the loop asks for the next).
 * Failed attempts are retried with backoff while the classifier says so; a
 * fatal error ends the iteration by throwing it. `break` (or `return`)
 * closes the current connection with 1000; the `signal` aborts waits and
 * handshakes.
 *
 * @example
 * ```ts
 * for await (const ws of reconnect('wss://example.com/feed')) {
 *   for await (const message of ws) console.log(message.data);
 * }
 * ```
 */
export function reconnect(url: string | URL, options: ReconnectOptions = {}): AsyncIterableIterator<WebSocket> {
  // A wrong URL is a mistake to report now, like a wrong option, not a fatal error at the first attempt.
  if (!(url instanceof URL) && !(typeof url === 'string' && URL.canParse(url))) {
    throw new TypeError(`reconnect: url must be a WebSocket URL (a string or a URL), got ${typeof url === 'string' ? JSON.stringify(url) : typeof url}`);
  }
  checkOptions(options);
  const clock = options.clock ?? realClock;
  const classify = options.classify ?? classifyError;
  const resetAfter = options.resetAfter ?? 3_100;
  const maxAttempts = options.maxAttempts ?? Infinity;
  let delays: Generator<number, never> | undefined;
  let current: WebSocket | undefined;
  let openedAt = 0;
  let done = false;

  const next = async (): Promise<IteratorResult<WebSocket>> => {
    if (done) return { value: undefined, done: true };
    if (current !== undefined) {
      await current.finished;
      // A connection that dropped soon after opening continues the backoff.
      if (clock.now() - openedAt < resetAfter) {
        delays ??= backoffDelays(options);
        await sleep(clock, delays.next().value, options.signal);
      } else delays = undefined;
      current = undefined;
    }
    for (let attempt = 1; ; attempt++) {
      if (done) return { value: undefined, done: true };
      try {
        const ws = await connect(url, options);
        if (done) {
          ws.close(1000).catch(() => {});
          return { value: undefined, done: true };
        }
        current = ws;
        openedAt = clock.now();
        return { value: ws, done: false };
      } catch (error) {
        if (options.signal?.aborted || classify(error) === 'fatal' || attempt >= maxAttempts) {
          done = true;
          throw error;
        }
        delays ??= backoffDelays(options);
        const delay = delays.next().value;
        options.onRetry?.({ error, delay, attempt });
        await sleep(clock, delay, options.signal);
      }
    }
  };

  return {
    next,
    async return(): Promise<IteratorResult<WebSocket>> {
      done = true;
      if (current !== undefined && current.readyState < 2) await current.close(1000).catch(() => undefined);
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
