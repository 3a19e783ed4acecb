/**
 * A WebSocket's inbox and outbox (inbox.ts, outbox.ts), each created on
 * first use and wired to the connection through its host: the inbox pauses
 * reading (flow-control.ts) and sees the engine's pending decodes; the
 * outbox writes, reports and reads the write high-water mark. Also the two
 * faces of the inbox that are not `for await`: `messages$` and
 * `receive()`. Separate from websocket.ts because set-up runs once per
 * connection; the class keeps the boxes in fields, so using them costs no
 * call through here.
 *
 * @module
 */
import { CLOSED, INBOX_PAUSED, fields } from './fields.js';
import { handlerFailed } from './failures.js';
import { pause } from './flow-control.js';
import type { Observable } from 'rxjs';
import { WebSocketError } from '../protocol/errors.js';
import type { Message } from '../protocol/message.js';
import { handled } from './handled.js';
import { guardedObservable } from './guarded-observable.js';
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

/** `ws.messages$`: an exception in a subscriber closes `ws` with 1011 instead of reaching RxJS's rethrow. @internal */
export function observeMessages(ws: WebSocket): Observable<Message> {
  return guardedObservable<Message>(
    (error) => handlerFailed(ws, error),
    (subscriber) => fields.inboxed(ws).subscribe(subscriber),
  );
}

/** `ws.receive()`: the next message of `inbox`; `WS_ERR_CLOSED` once it is done. @internal */
export function nextMessage(inbox: Inbox, signal: AbortSignal | undefined): Promise<Message> {
  return handled(
    inbox.next(signal).then((result) => {
      if (result.done) throw new WebSocketError('WS_ERR_CLOSED', 'the connection is closed', { side: 'local' });
      return result.value;
    }),
  );
}
