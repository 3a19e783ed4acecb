/**
 * The end of a connection, apart from the connection object: `close()`
 * and its argument rules (ws4ts's; a URL-built object follows the
 * standard's, src/web/rules.ts), the close timer, the peer's end of input,
 * close listeners, and what happens once the transport has closed: the
 * outcome, the `close` diagnostics channel, the `closed` hook, the WHATWG
 * `error`/`close` events, close listeners, `finished`, then the inbox,
 * pings and outbox. Separate from websocket.ts because it runs once per
 * connection; it reaches the class's fields through fields.ts.
 *
 * @module
 */
import { ReadyState, type CloseOutcome, type Connection } from '../protocol/connection.js';
import { WebSocketError } from '../protocol/errors.js';
import { closeChannel } from '../observe/channels.js';
import { clientClose, closeEvents } from '../web/client.js';
import { CLOSED, ENDED, EVENTS, WEB, fields } from './fields.js';
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

/** `ws.close(code, reason)`: start the closing handshake (idempotent); resolves like `finished`. @internal */
export function startClosing(ws: WebSocket, code: number | undefined, reason: string | undefined): Promise<CloseOutcome> {
  if (fields.flags(ws) & WEB) {
    // The standard's rules; closing while connecting fails the connection.
    const args = clientClose(fields.rare(ws)!.web!, code, reason);
    if (args === undefined) return ws.finished;
    ({ code, reason } = args);
  } else {
    checkCloseArguments(code, reason);
  }
  const connection = fields.connection(ws);
  if (code === 1005) connection.closeWithoutCode(); // only reachable by the WHATWG path
  else connection.close(code ?? 1000, reason ?? '');
  fields.flush(ws);
  return ws.finished;
}

/** Start the closing handshake with an empty close frame (see `kCloseEmpty`). @internal */
export function closeEmpty(ws: WebSocket): void {
  if (fields.flags(ws) & CLOSED) return;
  fields.connection(ws).closeWithoutCode();
  fields.flush(ws);
}

/** The engine waits for the peer's close: drop the transport if it has not closed within `closeTimeout`. @internal */
export function armCloseTimer(ws: WebSocket): void {
  const timer = setTimeout(() => fields.transport(ws).destroy(), fields.options(ws).closeTimeout ?? 10_000);
  timer.unref?.();
  fields.r(ws).closeTimer = timer;
}

/** The peer ended its side: tell the engine, write what is left, end ours. @internal */
export function peerEnded(ws: WebSocket): void {
  fields.connection(ws).receiveEof();
  if ((fields.flags(ws) & ENDED) === 0) {
    fields.flush(ws);
    fields.setFlags(ws, fields.flags(ws) | ENDED); // read again: the flush changes flags
    fields.transport(ws).end();
  }
}

/** Call `listener` once when `ws` closes: at once if it has. The first is kept in a field, any others in the rare state. @internal */
export function onceClosed(ws: WebSocket, listener: (ws: WebSocket) => void): void {
  if (fields.flags(ws) & CLOSED) {
    listener(ws);
    return;
  }
  if (fields.onClosed(ws) === undefined) fields.setOnClosed(ws, listener);
  else (fields.r(ws).closeListeners ??= []).push(listener);
}

/** The transport of `ws` closed (once): stop the keepalive clock, settle, then close the inbox, pings and outbox. @internal */
export function transportClosed(ws: WebSocket): void {
  const flags = fields.flags(ws);
  if (flags & CLOSED) return;
  fields.setFlags(ws, flags | CLOSED);
  fields.keepalive(ws)?.stop(ws);
  const rare = fields.r(ws);
  const first = fields.onClosed(ws);
  fields.setOnClosed(ws, undefined);
  settleClose(ws, fields.connection(ws), rare, first, fields.openedAt(ws), (fields.flags(ws) & EVENTS) !== 0);
  fields.inbox(ws)?.close(rare.error);
  rare.pings?.close();
  fields.outbox(ws)?.close();
}

/**
 * Settle the engine, record the outcome, tell the `close` channel, the
 * `closed` hook, the WHATWG listeners (when `events`), the close listeners
 * (`first`, then those in `rare`) and `finished`, in that order.
 */
function settleClose(ws: WebSocket, connection: Connection, rare: Rare, first: ((ws: WebSocket) => void) | undefined, openedAt: number, events: boolean): void {
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
