/**
 * Ending a server's connections: `closeAll` (close every connection, wait
 * for the close handshakes, terminate stragglers after a timeout), the
 * graceful `shutdown` around it (stop accepting, run the servers' stop
 * hooks, accept again afterwards) and the opt-in signal handlers.
 *
 * Split from `manager.ts`, which tracks connections, topics and broadcasts:
 * {@link Shutdown} is the part of a `WebSocketManager` that ends them. The
 * manager owns one, shares its live set with it, tells it when a connection
 * leaves, and keeps the public methods (which call this).
 *
 * @module
 */
import { WebSocketError } from '../protocol/errors.js';
import type { WebSocket } from '../websocket.js';
import type { CloseAllOptions } from './manager-options.js';

/** @internal The manager's public methods, called back so a subclass's overrides apply as before. */
export interface ShutdownOwner {
  closeAll(code?: number, reason?: string, options?: CloseAllOptions): Promise<void>;
  shutdown(options?: CloseAllOptions & { reason?: string }): Promise<void>;
}

/** @internal The closing and shutdown state of one manager. */
export class Shutdown {
  readonly #owner: ShutdownOwner;
  readonly #connections: ReadonlySet<WebSocket>;
  #accepting = true;
  #reason = '';
  #stopHooks: (() => void | Promise<void>)[] = [];
  #drained: (() => void)[] = [];

  /** `connections` is the manager's live set: it only reads it. */
  constructor(owner: ShutdownOwner, connections: ReadonlySet<WebSocket>) {
    this.#owner = owner;
    this.#connections = connections;
  }

  /** False while a shutdown is under way. */
  get accepting(): boolean {
    return this.#accepting;
  }

  /** The close reason of the shutdown under way (or of the last one). */
  get reason(): string {
    return this.#reason;
  }

  /** A connection left the live set: once none is left, every `closeAll` waiting resolves. */
  left(): void {
    if (this.#connections.size !== 0) return;
    const drained = this.#drained;
    this.#drained = [];
    for (const resolve of drained) resolve();
  }

  /** Close every connection with `code` and `reason` and wait until none is left, terminating the rest after `timeout` (5 s). */
  async closeAll(code: number, reason: string, options: CloseAllOptions): Promise<void> {
    if (this.#connections.size === 0) return;
    const done = new Promise<void>((resolve) => this.#drained.push(resolve));
    for (const ws of [...this.#connections]) {
      try {
        ws.close(code, reason).catch(() => {});
      } catch (error) {
        // An invalid code is the caller's mistake: report it, do not half-close.
        if (error instanceof WebSocketError && error.side === 'local') throw error;
        ws.terminate();
      }
    }
    const timer = setTimeout(() => {
      for (const ws of this.#connections) ws.terminate();
    }, options.timeout ?? 5_000);
    timer.unref();
    await done;
    clearTimeout(timer);
  }

  /** Register a stop hook (a server closing its listener); returns an unregister function. */
  onShutdown(hook: () => void | Promise<void>): () => void {
    this.#stopHooks.push(hook);
    return () => {
      this.#stopHooks = this.#stopHooks.filter((h) => h !== hook);
    };
  }

  /** Stop accepting, run the stop hooks and the owner's `closeAll(1001)`, wait for both, then accept again. */
  async shutdown(options: CloseAllOptions & { reason?: string }): Promise<void> {
    this.#accepting = false;
    this.#reason = options.reason ?? 'server shutting down';
    try {
      const hooks = this.#stopHooks.map((hook) => hook());
      await this.#owner.closeAll(1001, this.#reason, options);
      await Promise.all(hooks);
    } finally {
      this.#accepting = true;
    }
  }

  /** Run the owner's `shutdown` on one of `signals` (SIGTERM, SIGINT), then exit unless `exit` is false; returns a remover. */
  handleSignals(options: { signals?: readonly NodeJS.Signals[]; exit?: boolean; timeout?: number }): () => void {
    const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
    const onSignal = (): void => {
      this.#owner.shutdown({ timeout: options.timeout ?? 5_000 }).finally(() => {
        if (options.exit ?? true) process.exit(0);
      });
    };
    for (const signal of signals) process.once(signal, onSignal);
    return () => {
      for (const signal of signals) process.off(signal, onSignal);
    };
  }
}
