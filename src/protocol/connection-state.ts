/**
 * The connection's state machine (RFC 6455 §7): who closed first, and every
 * transition in one table, applied by one function.
 *
 * As in h11's `_state.py`, this file holds all the transitions and knows
 * nothing of bytes; `connection.ts` holds the RFC rules and calls
 * {@link transition} for each event. A call that the table does not allow
 * in the current state (sending after a close frame) is our caller's
 * mistake: a *local* `WS_ERR_CLOSED`, never mistaken for a violation by the
 * peer (as tungstenite keeps `AlreadyClosed` apart from `ConnectionClosed`).
 *
 * | state          | event                 | action                                    | next           |
 * | -------------- | --------------------- | ----------------------------------------- | -------------- |
 * | open           | `close()`             | send a close frame (§7.1.2)               | closing-by-us  |
 * | open           | close frame received  | echo its code and reason (§5.5.1)         | closed-by-peer |
 * | closing-by-us  | close frame received  | — (closing handshake complete)            | closed-by-us   |
 * | open           | failure               | send close with its code, stop parsing    | failed         |
 * | closing-by-us  | failure               | stop parsing (close frame already sent)   | failed         |
 * | any            | `receiveEof()`        | stop parsing                              | ended          |
 * | not open       | send, ping, pong      | throw a local `WS_ERR_CLOSED`             | —              |
 *
 * @module
 */
import { localError } from './errors.js';

/** Connection states (the numbers match the WHATWG `readyState`). */
export const ReadyState = {
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;
/** One of {@link ReadyState}. */
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

// ─── the state machine ───────────────────────────────────────────────────
//
// Who closed first is the state; every transition is one entry of TABLE,
// applied by transition() (as h11's _state.py does).

/**
 * Where a connection stands in the closing handshake, saying who closed
 * first (compare wsproto's `LOCAL_CLOSING`/`REMOTE_CLOSING` and tungstenite's
 * `ClosedByUs`/`ClosedByPeer`).
 */
export type ConnectionState =
  /** Data flows both ways. */
  | 'open'
  /** We sent the first close frame and wait for the peer's (§7.1.2). */
  | 'closing-by-us'
  /** The peer's close frame came first and we echoed it (§5.5.1): waiting for the TCP close. */
  | 'closed-by-peer'
  /** The peer answered our close frame: the closing handshake is complete (§7.1.2). */
  | 'closed-by-us'
  /** We failed the connection (§7.1.7): a close frame with the error's code went out, nothing more is read. */
  | 'failed'
  /** The transport ended (§7.1.4 "The WebSocket Connection is Closed"). */
  | 'ended';

export const OPEN = 0;
export const CLOSING_BY_US = 1;
export const CLOSED_BY_PEER = 2;
export const CLOSED_BY_US = 3;
export const FAILED = 4;
export const ENDED = 5;
export type State = typeof OPEN | typeof CLOSING_BY_US | typeof CLOSED_BY_PEER | typeof CLOSED_BY_US | typeof FAILED | typeof ENDED;
const STATE_NAMES: readonly ConnectionState[] = ['open', 'closing-by-us', 'closed-by-peer', 'closed-by-us', 'failed', 'ended'];
/** The WHATWG view of each state. */
const READY_STATES: readonly ReadyState[] = [
  ReadyState.OPEN,
  ReadyState.CLOSING,
  ReadyState.CLOSED,
  ReadyState.CLOSED,
  ReadyState.CLOSING,
  ReadyState.CLOSED,
];

// Events: a call of ours or something the peer did.
export const SEND = 0; // a data or control frame (send, sendFragment, sendFrames, ping, pong)
export const CLOSE = 1; // close(): start the closing handshake
export const PEER_CLOSE = 2; // the peer's close frame arrived
export const FAIL = 3; // a protocol violation by the peer, a failed transform, or fail()
export const EOF = 4; // the transport ended
export type Event = typeof SEND | typeof CLOSE | typeof PEER_CLOSE | typeof FAIL | typeof EOF;
const EVENTS = 5;
const EVENT_NAMES = ['send', 'close', 'receive a close frame', 'fail', 'end'] as const;

/** A table entry: the next state, "nothing happens", or "not allowed here" (a local error). */
export const IGNORE = -1;
export const REFUSE = -2;
export type Entry = State | typeof IGNORE | typeof REFUSE;

// prettier-ignore
const TABLE: readonly Entry[] = [
  //                 SEND     CLOSE          PEER_CLOSE      FAIL            EOF
  /* open */         OPEN,    CLOSING_BY_US, CLOSED_BY_PEER, FAILED,         ENDED,
  /* closing-by-us */REFUSE,  IGNORE,        CLOSED_BY_US,   FAILED,         ENDED,
  /* closed-by-peer*/REFUSE,  IGNORE,        REFUSE,         CLOSED_BY_PEER, ENDED,
  /* closed-by-us */ REFUSE,  IGNORE,        REFUSE,         CLOSED_BY_US,   ENDED,
  /* failed */       REFUSE,  IGNORE,        REFUSE,         IGNORE,         ENDED,
  /* ended */        REFUSE,  IGNORE,        REFUSE,         ENDED,          ENDED,
];
// Notes on the table:
// - PEER_CLOSE is refused after a close frame or a failure because the parser
//   stops there (§5.5.1, §7.1.7): reaching it would be a bug of ours.
// - FAIL after the closing handshake or the transport's end keeps the state
//   (the close frame already went, or cannot): the error is still reported,
//   e.g. a message received before the close whose decoding failed later.

/**
 * The next state after `event` in `state`, or {@link IGNORE} when the event
 * changes nothing. Throws a local `WS_ERR_CLOSED` for an event the table
 * refuses. No allocation unless it throws: it runs for every frame sent.
 */
export function transition(state: State, event: Event): State | typeof IGNORE {
  const next = TABLE[state * EVENTS + event]!;
  if (next === REFUSE) {
    throw localError('WS_ERR_CLOSED', `cannot ${EVENT_NAMES[event]}: the connection is ${STATE_NAMES[state]}`);
  }
  return next;
}

/** The public name of a state. */
export function stateName(state: State): ConnectionState {
  return STATE_NAMES[state]!;
}

/** The WHATWG `readyState` view of a state. */
export function readyStateOf(state: State): ReadyState {
  return READY_STATES[state]!;
}
