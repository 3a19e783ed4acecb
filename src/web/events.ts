/**
 * The event classes of the WHATWG WebSocket interface that Node 20 lacks:
 * `CloseEvent` (a global only from Node 23) and `ErrorEvent`. `MessageEvent`
 * is Node's own.
 *
 * @module
 */

/** `EventInit` (not a global type in @types/node). */
export interface EventInitLike {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

/** `CloseEventInit` of the HTML standard. */
export interface CloseEventInit extends EventInitLike {
  wasClean?: boolean;
  code?: number;
  reason?: string;
}

/** The `close` event: how the connection ended. */
export class CloseEvent extends Event {
  readonly #wasClean: boolean;
  readonly #code: number;
  readonly #reason: string;

  constructor(type: string, init: CloseEventInit = {}) {
    super(type, init);
    this.#wasClean = init.wasClean ?? false;
    this.#code = init.code ?? 0;
    this.#reason = init.reason ?? '';
  }

  /** True when the closing handshake completed. */
  get wasClean(): boolean {
    return this.#wasClean;
  }
  /** The close code the peer sent (1005 if none, 1006 when the connection broke). */
  get code(): number {
    return this.#code;
  }
  /** The close reason. */
  get reason(): string {
    return this.#reason;
  }
}

/** `ErrorEventInit` (the parts a WebSocket uses). */
export interface ErrorEventInit extends EventInitLike {
  message?: string;
  error?: unknown;
}

/**
 * The `error` event. The standard fires a plain `Event`; this subclass adds
 * what browsers cannot say for privacy reasons and a Node program wants to
 * know: `message` and `error` (the `HandshakeError` or `WebSocketError`).
 */
export class ErrorEvent extends Event {
  readonly #message: string;
  readonly #error: unknown;

  constructor(type: string, init: ErrorEventInit = {}) {
    super(type, init);
    this.#message = init.message ?? '';
    this.#error = init.error;
  }

  get message(): string {
    return this.#message;
  }
  get error(): unknown {
    return this.#error;
  }
}

Object.defineProperty(CloseEvent.prototype, Symbol.toStringTag, { value: 'CloseEvent', configurable: true });
Object.defineProperty(ErrorEvent.prototype, Symbol.toStringTag, { value: 'ErrorEvent', configurable: true });
