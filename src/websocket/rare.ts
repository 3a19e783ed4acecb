/**
 * `Rare`: the state of a WebSocket that most idle connections never need
 * (the bytes read with the upgrade, the close timer and outcome, the
 * `finished` promise, pings awaiting pongs, extra close listeners, the
 * WHATWG face's listeners and state), in one object created on first use.
 * Separate from websocket.ts because it is plain data: the connection
 * keeps one field for all of it.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { CloseOutcome } from '../protocol/connection.js';
import type { WebSocketError } from '../protocol/errors.js';
import type { Message } from '../protocol/message.js';
import type { PingTracker } from './pings.js';
import type { Listeners } from '../web/event-target.js';
import type { WebState } from '../web/client.js';
import type { WebSocket } from './websocket.js';

/** The state of a WebSocket that most idle connections never need. @internal */
export class Rare {
  head: Uint8Array | undefined = undefined;
  closeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  outcome: CloseOutcome | undefined = undefined;
  error: WebSocketError | undefined = undefined;
  messages$: Observable<Message> | undefined = undefined;
  finished: Promise<CloseOutcome> | undefined = undefined;
  resolveFinished: ((outcome: CloseOutcome) => void) | undefined = undefined;
  pings: PingTracker | undefined = undefined;
  closeListeners: ((ws: WebSocket) => void)[] | undefined = undefined;
  stallBuffered = 0; // bufferedAmount at the last keepalive tick while output-paused
  events: Listeners | undefined = undefined; // EventTarget listeners (src/web)
  web: WebState | undefined = undefined; // the WHATWG face's state (src/web)

  /** `ws.finished`: made on first request, already settled once the outcome is known. */
  whenFinished(): Promise<CloseOutcome> {
    if (this.finished === undefined) {
      if (this.outcome !== undefined) this.finished = Promise.resolve(this.outcome);
      else this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    }
    return this.finished;
  }
}
