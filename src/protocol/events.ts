/**
 * What a {@link Connection} reports: the events its owner drains, and the
 * close outcome.
 *
 * @module
 */
import type { WebSocketError } from './errors.js';
import type { Message } from './message.js';

/** A ping received from the peer (already answered unless `autoPong` is off). */
export interface PingEvent {
  readonly type: 'ping';
  readonly data: Uint8Array;
}
/** A pong received from the peer. */
export interface PongEvent {
  readonly type: 'pong';
  readonly data: Uint8Array;
}
/** The peer's close frame; `code` is 1005 when it carried none. */
export interface CloseEvent {
  readonly type: 'close';
  readonly code: number;
  readonly reason: string;
}
/** A protocol violation by the peer; a close frame with `error.closeCode` is queued. */
export interface ErrorEvent {
  readonly type: 'error';
  readonly error: WebSocketError;
}
/** Everything {@link Connection.nextEvent} yields. */
export type ConnectionEvent = Message | PingEvent | PongEvent | CloseEvent | ErrorEvent;


/** The close outcome: what `WebSocket.finished` resolves with. */
export interface CloseOutcome {
  /** The peer's close code; 1005 if its frame had none, 1006 if none arrived. */
  readonly code: number;
  readonly reason: string;
  /** True when close frames went both ways. */
  readonly wasClean: boolean;
}

