/**
 * Handlers in the three shapes of DESIGN.md, normalised in one place.
 *
 * 1. a `WebSocket` subclass overriding hooks (ws4py style);
 * 2. a function `(ws) => …` given the WebSocket: if it returns a promise (an
 *    async function) it owns the connection, which is closed (1000) when the
 *    promise resolves, as in Python websockets; if it returns nothing (ws
 *    style: subscribe or add hooks, then return) the connection stays open
 *    until either side closes it;
 * 3. an observable function `(messages$, ws) => Observable`: everything the
 *    returned observable emits is sent; when it completes the connection
 *    closes (1000). Recognised by taking two parameters, by {@link observe},
 *    or by returning an Observable: a one-parameter function receives the
 *    WebSocket, whose `pipe` is `messages$.pipe`, so
 *    `(messages$) => messages$.pipe(map(...))` works as written.
 *
 * A handler that throws, rejects or errors closes its own connection with
 * 1011 and reports through `unhandledError`; nothing else is affected.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import { WebSocket, kHandlerFailed, kOnceClosed, startWebSocket } from './websocket/websocket.js';
import type { SendData, WebSocketInit } from './websocket/options.js';
import type { Message } from './protocol/message.js';

/** A WebSocket subclass (shape 1). */
export type WebSocketClass = new (init: WebSocketInit) => WebSocket;
/** A coroutine per connection (shape 2). */
export type ConnectionHandler = (ws: WebSocket) => void | Promise<void>;
/** What an observable handler may emit: data to send, or a message to send back as is. */
export type Outgoing = SendData | Message;
/** Observables in, observables out (shape 3). */
export type ObservableHandler = (messages$: Observable<Message>, ws: WebSocket) => Observable<Outgoing> | void;
/**
 * What a handler function may return: nothing, a promise (shape 2: the
 * connection closes with 1000 when it settles; its value is ignored, so
 * `async (ws) => ws.close()` fits) or an observable to send (shape 3).
 */
export type HandlerResult = void | PromiseLike<unknown> | Observable<Outgoing>;
/**
 * Shapes 2 and 3 as one function type, so that TypeScript types an inline
 * handler's parameters without annotations: `(ws) => …` gets the
 * WebSocket, `(messages$, ws) => …` gets the message stream and the
 * WebSocket. Both parameters are the WebSocket at run time, which is an
 * `Observable<Message>` too (its `subscribe`/`pipe` are `messages$`'s), so
 * a function annotated as {@link ConnectionHandler} or
 * {@link ObservableHandler} fits as well.
 */
export type HandlerFunction = (ws: WebSocket, self: WebSocket) => HandlerResult;
/**
 * Any of the three handler shapes. The function member comes first: it is
 * the one an inline arrow function is typed from (the class member has no
 * call signature and does not interfere).
 */
export type Handler = HandlerFunction | WebSocketClass;

const kObservable = Symbol('ws4ts.observableHandler');

/**
 * Mark a function as an observable handler (shape 3) whatever its arity.
 *
 * @example
 * ```ts
 * serve({ handler: observe((messages$) => messages$.pipe(map((m) => m.data))) });
 * ```
 */
export function observe(fn: ObservableHandler): HandlerFunction {
  const marked = (messages$: WebSocket, ws: WebSocket) => fn(messages$, ws);
  Object.defineProperty(marked, kObservable, { value: true });
  return marked;
}

function isWebSocketClass(handler: Handler): handler is WebSocketClass {
  return handler === WebSocket || handler.prototype instanceof WebSocket;
}

function isObservableHandler(handler: HandlerFunction): boolean {
  return (handler as { [kObservable]?: boolean })[kObservable] === true || handler.length >= 2;
}

function sendOutgoing(ws: WebSocket, value: Outgoing): void {
  if (typeof value === 'object' && value !== null && 'type' in value && (value.type === 'text' || value.type === 'binary')) {
    ws.send((value as Message).data);
  } else {
    ws.send(value as SendData);
  }
}

/**
 * Build the WebSocket for `handler`, start it, and run the handler.
 * Returns the live WebSocket. Used by every server.
 */
export function runHandler(handler: Handler, init: WebSocketInit): WebSocket {
  if (isWebSocketClass(handler)) {
    const ws = new handler(init);
    startWebSocket(ws);
    return ws;
  }
  const ws = new WebSocket(init);
  // The handler runs before the connection starts, so whatever it sets up
  // synchronously (an observable subscription, `onmessage`, a 'message' or
  // 'open' listener, a `for await` loop) sees the first frames, even those
  // that came in the same packet as the upgrade request (`head`). For an
  // observable handler, the message stream handed over is the WebSocket
  // itself (an Observable of its messages), as the HandlerFunction type says.
  const shape3 = isObservableHandler(handler);
  let result: HandlerResult;
  try {
    result = shape3 ? handler(ws, ws) : (handler as (ws: WebSocket) => HandlerResult)(ws);
    // A one-parameter function may return an observable too: it got the
    // WebSocket, whose `pipe` is `messages$.pipe`, so it works as shape 3.
    if (isObservable(result)) subscribeOutput(ws, result);
  } catch (error) {
    startWebSocket(ws);
    ws[kHandlerFailed](error);
    return ws;
  }
  startWebSocket(ws);
  if (shape3 || isObservable(result)) return ws;
  // Only a promise owns the connection; a handler that returned nothing
  // (subscribed, added hooks) leaves it open until either side closes it.
  if (isThenable(result)) {
    Promise.resolve(result).then(
      () => {
        if (ws.readyState === 1) ws.close(1000).catch(() => {});
      },
      (error: unknown) => ws[kHandlerFailed](error),
    );
  }
  return ws;
}

/**
 * RxJS's own `isObservable` test (an object with `lift` and `subscribe`),
 * without loading RxJS for the handlers that never return an observable.
 */
function isObservable(value: unknown): value is Observable<Outgoing> {
  return typeof value === 'object' && value !== null && typeof (value as { lift?: unknown }).lift === 'function' && typeof (value as { subscribe?: unknown }).subscribe === 'function';
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Send everything `output` emits; an error fails the connection (1011), completion closes it (1000). */
function subscribeOutput(ws: WebSocket, output: Observable<Outgoing>): void {
  const subscription = output.subscribe({
    next: (value) => {
      // send() after close returns false; a value that is not data throws a
      // TypeError, which fails this connection (1011) and nothing else.
      try {
        sendOutgoing(ws, value);
      } catch (error) {
        ws[kHandlerFailed](error);
      }
    },
    error: (error: unknown) => ws[kHandlerFailed](error),
    complete: () => {
      if (ws.readyState === 1) ws.close(1000).catch(() => {});
    },
  });
  // An output that never completes (a timer, a feed) must stop with its connection.
  ws[kOnceClosed](() => subscription.unsubscribe());
}
