/**
 * `WebSocket`: one live connection over a transport — ws4py's WebSocket,
 * rebuilt around the sans-I/O engine. This file holds its public surface:
 * construction, the hooks, state, receiving, `ping()`, `close()` and the
 * WHATWG declarations. Its state and hot paths (send, flush, input,
 * per-message dispatch) are the base class in core.ts; what runs off them
 * lives in the modules next to it (opening, closing, failures, heartbeat,
 * flow-control, queues, web-face), which reach the private fields through
 * fields.ts; the socket-free pieces (inbox, outbox, pings, keepalive, sink,
 * rare, observable) need only what they are handed; src/web has the WHATWG
 * face.
 *
 * Three ways to use it, as DESIGN.md describes: subclass it and override the
 * hooks (`opened`, `receivedMessage`, `ponged`, `closed`, `unhandledError`),
 * iterate it with `for await`, or pipe `messages$`. Received bytes go
 * through the engine synchronously; sends made while a chunk is being
 * dispatched, or within one tick, leave in one write.
 *
 * Nothing internal is a public name: the transport talks to a private sink,
 * the timer wheel and the handler runner use unexported-to-users symbols, so
 * a subclass method called `onClose`, `onData`, `tick` or `flush` is just a
 * method of that subclass.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import { ReadyState, type CloseOutcome } from '../protocol/connection.js';
import type { WebSocketError } from '../protocol/errors.js';
import type { Message } from '../protocol/message.js';
import type { RequestInfo, ResponseInfo, WebSocketInit } from './options.js';
import { kTick } from './timer-wheel.js';
import { kClose, kDrain, kEnd } from './sink.js';
import { fields } from './fields.js';
import { WebSocketCore } from './core.js';
import { setup, start } from './opening.js';
import { closeEmpty, onceClosed, peerEnded, startClosing, transportClosed } from './closing.js';
import { handlerFailed } from './failures.js';
import { sendPing, tick } from './heartbeat.js';
import { drained } from './flow-control.js';
import { nextMessage, observeMessages } from './queues.js';
import { installWebFace, openUrl } from './web-face.js';
import { installObservable } from './observable.js';
import type { BinaryType, WebSocketClientOptions } from '../web/client.js';
import type { EventListenerLike, ListenerOptions } from '../web/event-target.js';
import type { CloseEvent as CloseEventType } from '../web/events.js';

/** @internal Start a WebSocket built by a server or `connect()`. */
export const kStart: unique symbol = Symbol('ws4ts.start');
/** @internal Report a handler failure: `unhandledError`, then close 1011. */
export const kHandlerFailed: unique symbol = Symbol('ws4ts.handlerFailed');
/** @internal Call a listener once when the connection closes (managers, handler runner). */
export const kOnceClosed: unique symbol = Symbol('ws4ts.onceClosed');
/** @internal Start the closing handshake with an empty close frame (the peer sees 1005): WebSocketStream's close with no code. */
export const kCloseEmpty: unique symbol = Symbol('ws4ts.closeEmpty');

const kFlush = Symbol('ws4ts.flush');
const kAfterInput = Symbol('ws4ts.afterInput');

/** Start a WebSocket built by a server or `connect()`: attach, open, run hooks. @internal */
export function startWebSocket(ws: WebSocket): void {
  ws[kStart]();
}

/**
 * One WebSocket connection, server or client side.
 *
 * @example
 * ```ts
 * // a subclass, ws4py style
 * class Echo extends WebSocket {
 *   override receivedMessage(message: Message) { this.send(message.data); }
 * }
 * // or a loop
 * for await (const message of ws) ws.send(message.data);
 * ```
 */
export class WebSocket extends WebSocketCore {
  /** The selected subprotocol, or `''`. */
  readonly protocol!: string;
  /** The negotiated `Sec-WebSocket-Extensions` value, or `''`. */
  readonly extensions!: string;
  /** Server side: the upgrade request. */
  readonly request: RequestInfo | undefined;
  /** Client side: the handshake response. */
  readonly response: ResponseInfo | undefined;

  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;


  /** A connection built by a server or `connect()`. */
  constructor(init: WebSocketInit);
  /**
   * The WHATWG form: a client connecting to `url` (ws, wss, http or https),
   * offering `protocols`. Throws `SyntaxError` (DOMException) for a bad URL,
   * a fragment, an invalid or repeated protocol. See the README for where
   * such an object follows the standard rather than ws4ts.
   */
  constructor(url: string | URL, protocols?: string | readonly string[], options?: WebSocketClientOptions);
  constructor(init: WebSocketInit | string | URL, protocols?: string | readonly string[], options?: WebSocketClientOptions) {
    super();
    if (typeof init === 'object' && init !== null && 'transport' in init) setup(this, init); // opening.ts
    else openUrl(this, init, protocols, options); // web-face.ts
  }

  // ─── hooks (ws4py's names, camelCase) ─────────────────────────────────────

  /** Called once the connection is open. */
  opened(): void {}


  /** Called for every pong received, with its payload. */
  ponged(_data: Uint8Array): void {}

  /** Called once when the connection is closed, with the close code and reason. */
  closed(_code: number, _reason: string): void {}

  /**
   * Called with an error thrown by a hook or handler (the connection is then
   * closed with 1011), with a slow consumer closed by `maxBufferedAmount`,
   * and with messages a close cut off. The default reports it on stderr.
   */
  unhandledError(error: unknown): void {
    console.error('ws4ts: unhandled error in a WebSocket handler:', error);
  }

  /** The peer's address. */
  get remoteAddress(): string | undefined {
    return fields.transport(this).remoteAddress;
  }

  /** The error that failed this connection (the peer's protocol violation, a slow consumer…), if any. */
  get error(): WebSocketError | undefined {
    return fields.rare(this)?.error;
  }

  /** Resolves once the connection is closed, with `{code, reason, wasClean}`. Never rejects. */
  get finished(): Promise<CloseOutcome> {
    return fields.r(this).whenFinished();
  }

  // ─── receiving ───────────────────────────────────────────────────────────

  /**
   * Messages as an Observable: completes on close, errors on a protocol
   * failure. An exception in a subscriber's callback (or an error nobody
   * handles) closes this connection with 1011 instead of reaching RxJS's
   * asynchronous rethrow.
   */
  get messages$(): Observable<Message> {
    return (fields.r(this).messages$ ??= observeMessages(this)); // queues.ts
  }

  /** The next message; rejects with `WS_ERR_CLOSED` once the connection is closed. */
  receive(options: { signal?: AbortSignal } = {}): Promise<Message> {
    return nextMessage(fields.inboxed(this), options.signal); // queues.ts
  }

  /**
   * Send a ping; resolves with the round-trip time in ms when the matching
   * pong arrives, rejects (`WS_ERR_CLOSED`) if the connection is closing or
   * closes first. Throws for a payload over 125 bytes.
   */
  ping(data?: Uint8Array | string): Promise<number> {
    return sendPing(this, data); // heartbeat.ts
  }

  /**
   * Start the closing handshake (idempotent). Throws for a code that may not
   * be sent (1004–1006, 1015, outside 1000–4999) or a reason over 123 bytes.
   * Resolves like {@link finished}.
   */
  close(code?: number, reason?: string): Promise<CloseOutcome> {
    return startClosing(this, code, reason); // closing.ts
  }

  /** @internal See {@link kCloseEmpty}. */
  [kCloseEmpty](): void {
    closeEmpty(this);
  }

  /**
   * `await using ws = await connect(url)`: close with 1000 at the end of the
   * scope and wait for the closing handshake (or the close timeout).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.readyState < ReadyState.CLOSING) await this.close(1000);
    else await this.finished;
  }

  /** Drop the connection at once, without a closing handshake. */
  terminate(): void {
    fields.transport(this).destroy();
  }

  // ─── lifecycle ───────────────────────────────────────────────────────────

  /** @internal Attach, open, run the hook (opening.ts). */
  [kStart](): void {
    start(this);
  }

  /** @internal */
  [kEnd](): void {
    peerEnded(this); // closing.ts
  }

  /** @internal */
  [kDrain](): void {
    drained(this); // flow-control.ts
  }

  /** @internal The transport closed: see closing.ts for the sequence. */
  [kClose](_error: Error | undefined): void {
    transportClosed(this);
  }

  /** @internal */
  [kOnceClosed](listener: (ws: WebSocket) => void): void {
    onceClosed(this, listener); // closing.ts
  }

  /** @internal Timer wheel: the keepalive tick (heartbeat.ts). */
  [kTick](now: number): void {
    tick(this, now);
  }

  /** @internal Report a handler failure and close this connection with 1011 (failures.ts). */
  [kHandlerFailed](error: unknown): void {
    handlerFailed(this, error);
  }

  static {
    installWebFace(WebSocket); // web-face.ts, over src/web/interface.ts
  }
}

/**
 * A WebSocket is also an `Observable<Message>`: its `subscribe`, `pipe`,
 * `forEach`, `lift` and `toPromise` are those of {@link WebSocket.messages$}.
 * So every handler function can be handed the WebSocket first, and one type
 * serves `(ws) => …` and `(messages$, ws) => messages$.pipe(…)` alike (which
 * is what lets TypeScript type an inline handler's parameters: it cannot
 * choose between two function types by the number of parameters).
 */
export interface WebSocket extends Observable<Message> {}
installObservable(WebSocket); // observable.ts

/** The WHATWG attributes, installed on the prototype by src/web/interface.ts. */
export interface WebSocket {
  /** `'blob'` (default, as the standard) or `'arraybuffer'`: the `data` of binary `message` events. */
  binaryType: BinaryType;
  /** The URL given to the WHATWG constructor, serialised (`''` for a server-side connection). */
  readonly url: string;
  /** Handler attributes: `null` until set; a non-function sets `null`. */
  onopen: ((this: WebSocket, event: Event) => unknown) | null;
  onmessage: ((this: WebSocket, event: MessageEvent) => unknown) | null;
  onerror: ((this: WebSocket, event: Event) => unknown) | null;
  onclose: ((this: WebSocket, event: CloseEventType) => unknown) | null;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  addEventListener(type: string, listener: EventListenerLike | null, options?: ListenerOptions | boolean): void;
  removeEventListener(type: string, listener: EventListenerLike | null, options?: EventListenerOptions | boolean): void;
}
