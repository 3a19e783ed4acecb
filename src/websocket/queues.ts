/**
 * A WebSocket's inbox and outbox (inbox.ts, outbox.ts), each created on
 * first use and wired to the connection through its host: the inbox pauses
 * reading (flow-control.ts) and sees the engine's pending decodes; the
 * outbox writes, reports and reads the write high-water mark. Separate from
 * websocket.ts because it runs once per connection; the class keeps the
 * boxes in fields, so using them costs no call through here.
 *
 * @module
 */
import { CLOSED, INBOX_PAUSED, fields } from './fields.js';
import { handlerFailed } from './failures.js';
import { pause } from './flow-control.js';
import { Inbox, type InboxHost } from './inbox.js';
import { Outbox, type OutboxHost } from './outbox.js';
import { report } from './report.js';
import type { WebSocket } from './websocket.js';

/** A new inbox for `ws`, already closed if `ws` is. @internal */
export function openInbox(ws: WebSocket): Inbox {
  const host: InboxHost = {
    pauseInput: (paused) => pause(ws, INBOX_PAUSED, paused),
    pendingEvents: () => fields.connection(ws).queuedEvents,
  };
  const options = fields.options(ws);
  const inbox = new Inbox({ highWaterMark: options.highWaterMark ?? 64, highWaterMarkBytes: options.highWaterMarkBytes ?? 4 * 1024 * 1024 }, host);
  if (fields.flags(ws) & CLOSED) inbox.close(fields.rare(ws)?.error);
  return inbox;
}

/** A new outbox for `ws`, already closed if `ws` is. @internal */
export function openOutbox(ws: WebSocket): Outbox {
  const host: OutboxHost = {
    connection: fields.connection(ws),
    flushNow: () => fields.flush(ws),
    scheduleFlush: () => fields.scheduleFlush(ws),
    bufferedAmount: () => fields.queued(ws),
    get writeHighWaterMark() {
      return fields.writeHighWaterMark(ws);
    },
    sourceFailed: (error) => handlerFailed(ws, error),
    report: (error) => report(ws, error),
  };
  const outbox = new Outbox(host);
  if (fields.flags(ws) & CLOSED) outbox.close();
  return outbox;
}
