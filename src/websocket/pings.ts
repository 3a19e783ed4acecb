/**
 * Ping tracking: the pings this side sent and waits a pong for, matched by
 * payload. A pong answers the matching ping and every ping sent before it
 * (RFC 6455 §5.5.3 lets a peer answer only the latest).
 *
 * @module
 */
import { WebSocketError } from '../protocol/errors.js';
import { handled } from './handled.js';

interface PendingPing {
  readonly payload: Uint8Array;
  readonly sentAt: number;
  readonly resolve: (rtt: number) => void;
  readonly reject: (error: Error) => void;
}

/** The pings awaiting their pong. */
export class PingTracker {
  #pending: PendingPing[] = [];
  #counter = 0;

  /** A fresh 4-byte payload ("p" and a counter) for a ping without one. */
  nextPayload(): Uint8Array {
    const n = ++this.#counter;
    return new Uint8Array([0x70, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  }

  /**
   * Track a ping just sent at `sentAt`; resolves with the round trip in ms.
   * The promise is marked handled: a heartbeat that calls `ws.ping()` and
   * ignores the result must not end the process with an unhandled rejection
   * when the connection closes first (whoever awaits it still sees the error).
   */
  track(payload: Uint8Array, sentAt: number): Promise<number> {
    return handled(new Promise((resolve, reject) => this.#pending.push({ payload, sentAt, resolve, reject })));
  }

  /** A pong arrived at `now`: settle its ping and those before it. Returns how many. */
  pong(data: Uint8Array, now: number): number {
    const pending = this.#pending;
    const index = pending.findIndex((p) => equalBytes(p.payload, data));
    if (index < 0) return 0;
    for (const ping of pending.splice(0, index + 1)) ping.resolve(now - ping.sentAt);
    return index + 1;
  }

  /** Pings still waiting. */
  get size(): number {
    return this.#pending.length;
  }

  /** The connection closed: reject every waiting ping with `WS_ERR_CLOSED`. */
  close(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const ping of pending) ping.reject(new WebSocketError('WS_ERR_CLOSED', 'closed before the pong arrived', { side: 'local' }));
  }
}

/** A rejected promise that ends no process when ignored (see {@link PingTracker.track}). */
export function rejectedPing(error: Error): Promise<number> {
  return handled(Promise.reject(error));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
