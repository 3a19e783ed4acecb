/**
 * The end of a connection, apart from the connection object: the rules for
 * the arguments of `close()` (ws4ts's; a URL-built object follows the
 * standard's, src/web/rules.ts) and what happens once the transport has
 * closed: the outcome, the `close` diagnostics channel, the `closed` hook,
 * the WHATWG `error`/`close` events, close listeners, `finished`. Separate
 * from websocket.ts because it runs once per connection and needs only what
 * is passed to it.
 *
 * @module
 */
import { ReadyState, type Connection } from '../protocol/connection.js';
import { WebSocketError } from '../protocol/errors.js';
import { closeChannel } from '../observe/channels.js';
import { closeEvents } from '../web/client.js';
import type { Rare } from './rare.js';
import { report } from './report.js';
import type { WebSocket } from './websocket.js';

/** Check the arguments of ws4ts's `close(code, reason)`. @internal */
export function checkCloseArguments(code: unknown, reason: unknown): void {
  if (typeof code !== 'number' && code !== undefined) {
    // A wrong type is the caller's bug, not a close code "that may not be sent".
    throw new TypeError(`close(): code must be a number (1000–1003, 1007–1014, 3000–4999), got ${typeof code === 'string' ? JSON.stringify(code) + ' (a string)' : String(code)}`);
  } else if (typeof reason !== 'string' && reason !== undefined) {
    throw new TypeError(`close(): reason must be a string, got ${typeof reason}`);
  } else if (code === 1005) {
    // The engine reads 1005 as "send no code"; the API refuses it like ws and browsers do.
    throw new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', 'close code 1005 may not be sent', { side: 'local' });
  }
}

/**
 * The transport of `ws` closed: settle the engine, record the outcome, tell
 * the `close` channel, the `closed` hook, the WHATWG listeners (when
 * `events`), the close listeners (`first`, then those in `rare`) and
 * `finished`, in that order. The caller then closes the inbox, pings and
 * outbox. @internal
 */
export function settleClose(ws: WebSocket, connection: Connection, rare: Rare, first: ((ws: WebSocket) => void) | undefined, openedAt: number, events: boolean): void {
  if (connection.readyState !== ReadyState.CLOSED) connection.receiveEof();
  if (rare.closeTimer !== undefined) clearTimeout(rare.closeTimer);
  for (const extension of connection.extensions) extension.dispose(); // release zlib state (RFC 7692)
  const outcome = connection.closeOutcome();
  rare.outcome = outcome;
  if (closeChannel.hasSubscribers) {
    closeChannel.publish({ role: connection.role, websocket: ws, code: outcome.code, reason: outcome.reason, wasClean: outcome.wasClean, duration: Date.now() - openedAt });
  }
  try {
    ws.closed(outcome.code, outcome.reason);
  } catch (error) {
    report(ws, error);
  }
  if (events) for (const event of closeEvents(outcome, rare.error ?? rare.web?.failure)) rare.events!.dispatch(ws, event, (error) => report(ws, error));
  const listeners = rare.closeListeners;
  rare.closeListeners = undefined;
  for (const listener of first === undefined ? (listeners ?? []) : [first, ...(listeners ?? [])]) {
    try {
      listener(ws);
    } catch (error) {
      report(ws, error);
    }
  }
  rare.resolveFinished?.(outcome);
}
