/**
 * Per-publisher order on the receiving side: for each channel and publishing
 * node, the last sequence number delivered. A message at or below it is a
 * duplicate (a publisher re-sent it after losing the engine's reply) and is
 * dropped; a jump past the next number is a gap (messages that never came).
 *
 * Publishers unseen for `idleMs` are forgotten (a restarted process has a new
 * node id, so their entries would otherwise pile up).
 *
 * @module
 */

/** What to do with a received message. */
export type SequenceVerdict =
  | { readonly kind: 'deliver' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'gap'; readonly missed: number; readonly since: number };

interface Last {
  seq: number;
  time: number;
  seen: number;
}

const DELIVER: SequenceVerdict = { kind: 'deliver' };
const DUPLICATE: SequenceVerdict = { kind: 'duplicate' };

/** The last sequence number per (channel, publisher). */
export class SequenceTracker {
  readonly #channels = new Map<string, Map<string, Last>>();
  readonly #idleMs: number;
  #lastSweep = Date.now();

  constructor(idleMs = 10 * 60_000) {
    this.#idleMs = idleMs;
  }

  /** Judge message `seq` (published at `time`) from `node` on `channel`, and record it if delivered. */
  check(channel: string, node: string, seq: number, time: number): SequenceVerdict {
    const now = Date.now();
    if (now - this.#lastSweep > this.#idleMs) this.#sweep(now);
    let nodes = this.#channels.get(channel);
    if (nodes === undefined) this.#channels.set(channel, (nodes = new Map()));
    const last = nodes.get(node);
    if (last === undefined) {
      // First message of this publisher here: whatever came before was before our time.
      nodes.set(node, { seq, time, seen: now });
      return DELIVER;
    }
    if (seq <= last.seq) return DUPLICATE;
    const missed = seq - last.seq - 1;
    const since = last.time;
    last.seq = seq;
    last.time = time;
    last.seen = now;
    return missed === 0 ? DELIVER : { kind: 'gap', missed, since };
  }

  /** Forget `channel` (unsubscribed: a later subscription starts afresh, not with a false gap). */
  forget(channel: string): void {
    this.#channels.delete(channel);
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [channel, nodes] of this.#channels) {
      for (const [node, last] of nodes) if (now - last.seen > this.#idleMs) nodes.delete(node);
      if (nodes.size === 0) this.#channels.delete(channel);
    }
  }
}
