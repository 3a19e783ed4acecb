/**
 * The keepalive policy, pure: given the time and what the connection knows,
 * say what to do now. No timers, no sockets: the WebSocket calls it from the
 * timer wheel and carries out the decision.
 *
 * - `ping`: nothing came from the peer for `pingInterval`: send a keepalive ping;
 * - `dead`: the keepalive ping went unanswered for `pongTimeout`, or our
 *   output made no progress for `pingInterval + pongTimeout` while we had
 *   stopped reading because of it: fail the connection (1011) and drop it;
 * - `idle`: nothing came for `idleTimeout`: close (1001);
 * - `restart`: we stopped reading because the application is behind (read
 *   backpressure): the silence is ours, restart the clocks;
 * - `nothing`.
 *
 * @module
 */

/** What {@link keepaliveStep} decides. */
export type KeepaliveAction = 'ping' | 'dead' | 'idle' | 'restart' | 'nothing';

/** The settings the policy reads (ms; `null`/`undefined` = off). */
export interface KeepaliveSettings {
  readonly pingInterval: number | null | undefined;
  readonly pongTimeout: number;
  readonly idleTimeout: number | null | undefined;
}

/** The connection's clocks, as the policy sees them. */
export interface KeepaliveState {
  /** When the last input (or, while output-paused, output progress) was seen. */
  readonly lastInput: number;
  /** When the unanswered keepalive ping was sent; 0 when none is out. */
  readonly pingSentAt: number;
  /** Reading is paused because the application has not taken what was read. */
  readonly inboxPaused: boolean;
  /** Reading is paused because our output to the peer is over the high-water mark. */
  readonly outputPaused: boolean;
}

/** Decide what the connection does at `now`. */
export function keepaliveStep(now: number, state: KeepaliveState, settings: KeepaliveSettings): KeepaliveAction {
  const interval = settings.pingInterval;
  if (state.outputPaused) {
    // The peer is not reading what we send: a ping would queue behind it and
    // its pong would wait unread. Progress of our output counts as input
    // (the caller moves lastInput); no progress for a full ping cycle is a
    // dead or stalled peer.
    const limit = (interval ?? 0) + settings.pongTimeout;
    return interval !== null && interval !== undefined && now - state.lastInput >= limit ? 'dead' : 'nothing';
  }
  if (state.inboxPaused) return 'restart';
  if (interval !== null && interval !== undefined) {
    if (state.pingSentAt !== 0) {
      if (now - state.pingSentAt >= settings.pongTimeout) return 'dead';
    } else if (now - state.lastInput >= interval) {
      return 'ping';
    }
  }
  const idle = settings.idleTimeout;
  if (idle !== null && idle !== undefined && now - state.lastInput >= idle) return 'idle';
  return 'nothing';
}

/** The wheel period for these settings: a quarter of the shortest one, or 0 when none is on. */
export function keepalivePeriod(settings: KeepaliveSettings): number {
  const { pingInterval, idleTimeout } = settings;
  if ((pingInterval === null || pingInterval === undefined) && (idleTimeout === null || idleTimeout === undefined)) return 0;
  const periods = [pingInterval, settings.pongTimeout, idleTimeout].filter((p): p is number => typeof p === 'number' && p > 0);
  return periods.length === 0 ? 0 : Math.min(...periods) / 4;
}
