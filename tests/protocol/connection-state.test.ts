import test from 'ava';
import {
  CLOSE,
  CLOSED_BY_PEER,
  CLOSED_BY_US,
  CLOSING_BY_US,
  ENDED,
  EOF,
  FAIL,
  FAILED,
  IGNORE,
  OPEN,
  PEER_CLOSE,
  ReadyState,
  SEND,
  readyStateOf,
  stateName,
  transition,
  type Event,
  type State,
} from '../../src/protocol/connection-state.js';
import { WebSocketError } from '../../src/protocol/errors.js';

const STATES: readonly State[] = [OPEN, CLOSING_BY_US, CLOSED_BY_PEER, CLOSED_BY_US, FAILED, ENDED];
const EVENTS: readonly Event[] = [SEND, CLOSE, PEER_CLOSE, FAIL, EOF];

test('RFC 6455 §7.1.2: close() while open starts the closing handshake by us, and the peer’s answer completes it', (t) => {
  t.is(transition(OPEN, CLOSE), CLOSING_BY_US);
  t.is(transition(CLOSING_BY_US, PEER_CLOSE), CLOSED_BY_US);
});

test('RFC 6455 §5.5.1: a close frame from the peer while open means the peer closed first', (t) => {
  t.is(transition(OPEN, PEER_CLOSE), CLOSED_BY_PEER);
});

test('RFC 6455 §7.1.7: a failure while open or closing fails the connection; a second failure changes nothing', (t) => {
  t.is(transition(OPEN, FAIL), FAILED);
  t.is(transition(CLOSING_BY_US, FAIL), FAILED);
  t.is(transition(FAILED, FAIL), IGNORE);
});

test('the end of the transport ends the connection from every state', (t) => {
  for (const state of STATES) t.is(transition(state, EOF), ENDED, stateName(state));
});

test('sending is allowed only while open; elsewhere it raises a local WS_ERR_CLOSED naming the state', (t) => {
  t.is(transition(OPEN, SEND), OPEN);
  for (const state of STATES.filter((s) => s !== OPEN)) {
    const error = t.throws(() => transition(state, SEND), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_CLOSED');
    t.is(error?.side, 'local');
    t.true(error!.message.includes(stateName(state)), error?.message);
  }
});

test('close() is idempotent: once a close frame was sent or received, or the transport ended, it does nothing', (t) => {
  for (const state of STATES.filter((s) => s !== OPEN)) t.is(transition(state, CLOSE), IGNORE, stateName(state));
});

test('a close frame after ours was answered, after a failure or after the end is refused (the parser stops before it)', (t) => {
  for (const state of [CLOSED_BY_PEER, CLOSED_BY_US, FAILED, ENDED] as const) {
    t.throws(() => transition(state, PEER_CLOSE), { instanceOf: WebSocketError }, stateName(state));
  }
});

test('every entry of the table is a state, IGNORE, or a local error: no event is left undefined', (t) => {
  let entries = 0;
  for (const state of STATES) {
    for (const event of EVENTS) {
      try {
        const next = transition(state, event);
        t.true(next === IGNORE || STATES.includes(next), `${stateName(state)} × ${event}`);
      } catch (error) {
        t.true(error instanceof WebSocketError && error.side === 'local');
      }
      entries++;
    }
  }
  t.is(entries, 30);
});

test('readyState is a view of the state: CLOSING while our close frame waits, CLOSED once the handshake is done or the transport ended', (t) => {
  t.deepEqual(
    STATES.map((s) => [stateName(s), readyStateOf(s)]),
    [
      ['open', ReadyState.OPEN],
      ['closing-by-us', ReadyState.CLOSING],
      ['closed-by-peer', ReadyState.CLOSED],
      ['closed-by-us', ReadyState.CLOSED],
      ['failed', ReadyState.CLOSING],
      ['ended', ReadyState.CLOSED],
    ],
  );
});
