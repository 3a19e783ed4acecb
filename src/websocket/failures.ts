/**
 * How a connection fails on its own side: a hook or handler that threw
 * (reported, then closed with 1011), a peer over `maxBufferedAmount` (a
 * slow consumer, 1008), a peer that stopped answering keepalive pings
 * (heartbeat.ts, 1011). Separate from websocket.ts because none of it runs
 * while a connection is healthy.
 *
 * @module
 */
import { ReadyState } from '../protocol/connection.js';
import { WebSocketError } from '../protocol/errors.js';
import { errorChannel } from '../observe/channels.js';
import { CLOSED, fields } from './fields.js';
import { report } from './report.js';
import type { WebSocket } from './websocket.js';

/** Report a handler failure and close `ws` with 1011. @internal */
export function handlerFailed(ws: WebSocket, error: unknown): void {
  // Not handler bugs, so not reported: the peer's own protocol error coming
  // back out of `for await` or `messages$` (it already closed the
  // connection with its code), and a send that lost the race with a close.
  const failed = fields.rare(ws)?.error;
  if (ws.readyState !== ReadyState.OPEN && error instanceof WebSocketError && (error.code === 'WS_ERR_CLOSED' || error === failed)) return;
  if (errorChannel.hasSubscribers) errorChannel.publish({ role: fields.connection(ws).role, websocket: ws, error });
  report(ws, error);
  const connection = fields.connection(ws);
  if (fields.flags(ws) & CLOSED || connection.closeExpected) return;
  connection.fail(new WebSocketError('WS_ERR_HANDLER', 'internal error', { closeCode: 1011, side: 'local', cause: error }));
  fields.flush(ws);
}

/** A send found `backlog` bytes queued, over the `cap` rule (outbox.ts `overCap`): fail `ws` with 1008. @internal */
export function slowConsumer(ws: WebSocket, backlog: number, cap: number): void {
  const error = new WebSocketError('WS_ERR_SLOW_CONSUMER', `slow consumer: ${backlog} bytes queued, over maxBufferedAmount (${cap})`, { closeCode: 1008, side: 'local' });
  fields.r(ws).error = error;
  report(ws, error);
  // The peer does not read: the close frame would wait behind the backlog.
  // Queue it (a peer that wakes up sees why) and free the memory at once.
  drop(ws, error);
}

/**
 * Fail `ws` with `error` (its close frame queued) and drop the transport at
 * once. `ws.error` holds it: the engine's error event would only be read on
 * the next input, which never comes. @internal
 */
export function drop(ws: WebSocket, error: WebSocketError): void {
  fields.r(ws).error ??= error;
  fields.connection(ws).fail(error);
  fields.flush(ws);
  fields.transport(ws).destroy();
}
