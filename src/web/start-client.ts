/**
 * The opening handshake of a URL-built WebSocket (`new WebSocket(url)`):
 * `connect()` runs it and the negotiated connection is adopted into the
 * object the caller already holds. Apart from web/client.ts so that the
 * connection's core, which uses the standard's send and state rules, does
 * not import `connect()`: that import closed a cycle back to the WebSocket
 * class, which extends the core.
 *
 * @module
 */
import { connect, type ConnectOptions } from '../client.js';
import { checkConnectOptions } from '../options.js';
import type { WebSocket, WebSocketInit } from '../websocket.js';
import type { WebSocketClientOptions, WebState } from './client.js';

/** What the WebSocket class lends the WHATWG face. @internal */
export interface WebHost {
  /** Put a negotiated connection into the waiting object. */
  adopt(ws: WebSocket, init: WebSocketInit): void;
  /** Close the waiting object (the handshake failed or was abandoned). */
  fail(ws: WebSocket): void;
}

/**
 * Run the opening handshake of a URL-built WebSocket; `host` adopts the
 * result or fails the object.
 */
export function startClient(ws: WebSocket, state: WebState, protocols: readonly string[], options: WebSocketClientOptions, host: WebHost): void {
  // A wrong option is the caller's mistake: a TypeError/RangeError from the
  // constructor, as connect() throws it, not an error event 1006 later.
  checkConnectOptions(options, 'new WebSocket()');
  // connect() builds its WebSocket with `new WebSocketClass(init)`: this
  // "class" adopts the connection into the object the user already holds.
  const Adopter = function (init: WebSocketInit): WebSocket {
    state.connecting = false;
    host.adopt(ws, init);
    return ws;
  } as unknown as NonNullable<ConnectOptions['WebSocketClass']>;
  // connect() checks that WebSocketClass builds WebSockets: this one does (it returns `ws`).
  (Adopter as { prototype: unknown }).prototype = Object.create(Object.getPrototypeOf(ws) as object);
  connect(state.url, { ...options, protocols, signal: state.abort!.signal, WebSocketClass: Adopter }).then(
    () => {
      // close() came while the 101 answer was in flight: fail it as the standard says (1006).
      if (state.abandoned) ws.terminate();
    },
    (error: unknown) => {
      state.connecting = false;
      state.failure = error;
      host.fail(ws);
    },
  );
}

