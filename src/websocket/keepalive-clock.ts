/**
 * A connection's keepalive clocks: when input last came (or, while our
 * output is paused, when it last made progress), when the unanswered
 * keepalive ping left, and the timer wheel they tick on. Separate from
 * keepalive.ts, which stays a pure policy, and from websocket.ts, which
 * keeps one field for it (set only when `pingInterval` or `idleTimeout` is
 * on) and carries out what {@link KeepaliveClock.step} decides.
 *
 * @module
 */
import type { WebSocketOptions } from './options.js';
import { keepalivePeriod, keepaliveStep, type KeepaliveSettings } from './keepalive.js';
import { addTicker, removeTicker, type Tickable } from './timer-wheel.js';

/** The payload of keepalive pings ("ka"). @internal */
export const KEEPALIVE_PAYLOAD = new Uint8Array([0x6b, 0x61]);

/** The keepalive settings of `options` (defaults applied). */
function keepaliveSettings(options: WebSocketOptions): KeepaliveSettings {
  return { pingInterval: options.pingInterval, pongTimeout: options.pongTimeout ?? 20_000, idleTimeout: options.idleTimeout };
}

/** What the connection does on a tick: the policy's decision, restarts already applied. @internal */
export type KeepaliveDecision = 'ping' | 'dead' | 'idle' | 'nothing';

/** A connection's keepalive clocks, on the timer wheel from open to close. @internal */
export class KeepaliveClock {
  /** When the last input (or, while output-paused, output progress) was seen. */
  lastInput: number;
  /** When the unanswered keepalive ping was sent; 0 when none is out. */
  pingSentAt = 0;
  readonly #options: WebSocketOptions;
  readonly #key: number;

  /** Put `member` on the timer wheel if `options` turn keepalive on; `undefined` when they do not. */
  static start(member: Tickable, options: WebSocketOptions): KeepaliveClock | undefined {
    const period = keepalivePeriod(keepaliveSettings(options));
    return period > 0 ? new KeepaliveClock(member, options, period) : undefined;
  }

  private constructor(member: Tickable, options: WebSocketOptions, period: number) {
    this.#options = options;
    this.lastInput = performance.now();
    this.#key = addTicker(member, period);
  }

  /** Take `member` off the timer wheel. */
  stop(member: Tickable): void {
    removeTicker(member, this.#key);
  }

  /**
   * While the peer does not take our output we do not read it: progress of
   * the output is the sign of life. `buffered` is the backlog now; `stall`
   * remembers it between ticks.
   */
  outputProgress(now: number, buffered: number, stall: { stallBuffered: number }): void {
    if (buffered < stall.stallBuffered) this.lastInput = now;
    stall.stallBuffered = buffered;
  }

  /** Run the policy at `now` (see keepalive.ts); a ping decided here counts as sent. */
  step(now: number, inboxPaused: boolean, outputPaused: boolean): KeepaliveDecision {
    // Read on every tick, as the options object is the caller's.
    const action = keepaliveStep(now, { lastInput: this.lastInput, pingSentAt: this.pingSentAt, inboxPaused, outputPaused }, keepaliveSettings(this.#options));
    if (action === 'restart') {
      // We stopped reading (read backpressure): the silence is ours and the
      // peer's pong may be waiting unread. Restart the clocks instead of
      // closing a live peer as dead; they run again once reading resumes.
      this.pingSentAt = 0;
      this.lastInput = now;
      return 'nothing';
    }
    if (action === 'ping') this.pingSentAt = now;
    return action;
  }
}
