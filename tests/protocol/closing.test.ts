import test from 'ava';
import { closeOutcomeOf, closeReasonFor, echoOf, failureOf, startingClosePayload } from '../../src/protocol/closing.js';
import { WebSocketError, localError, protocolError } from '../../src/protocol/errors.js';
import { toHex, utf8Bytes } from './arbitraries.js';

test('RFC 6455 §7.1.2: the first close frame carries the code big-endian, then the reason', (t) => {
  t.is(toHex(startingClosePayload(1000, '')), '03 e8');
  t.is(toHex(startingClosePayload(4000, 'bye')), `0f a0 ${toHex(utf8Bytes('bye'))}`);
});

test('RFC 6455 §7.4.1: 1005, 1006, 1015 and codes outside the wire ranges may not start a close', (t) => {
  for (const code of [1005, 1006, 1015, 999, 1004, 2000, 5000, 1000.5]) {
    const error = t.throws(() => startingClosePayload(code, ''), { instanceOf: WebSocketError }, String(code));
    t.is(error?.code, 'WS_ERR_INVALID_CLOSE_CODE', String(code));
    t.is(error?.side, 'local', String(code));
  }
});

test('RFC 6455 §5.5.1: a close reason over 123 UTF-8 bytes is refused, 123 are accepted', (t) => {
  t.is(startingClosePayload(1000, 'é'.repeat(61) + 'a').length, 125);
  const error = t.throws(() => startingClosePayload(1000, 'é'.repeat(62)), { instanceOf: WebSocketError });
  t.is(error?.code, 'WS_ERR_INVALID_ARGUMENT');
});

test('RFC 6455 §5.5.1: the answer echoes the peer’s code and reason; a frame without a code is answered by an empty one', (t) => {
  t.deepEqual(echoOf({ code: 4001, reason: 'done' }), { code: 4001, reason: 'done' });
  t.deepEqual(echoOf({ code: 1000, reason: '' }), { code: 1000, reason: '' });
  t.deepEqual(echoOf({ code: 1005, reason: '' }), { code: undefined, reason: '' });
});

test('RFC 6455 §7.1.7: a WebSocketError fails the connection as is; anything else becomes a local 1011 keeping its cause', (t) => {
  const violation = protocolError('WS_ERR_INVALID_OPCODE', 'opcode 3', 1002);
  t.is(failureOf(violation), violation);
  const bug = new TypeError('x is undefined');
  const wrapped = failureOf(bug);
  t.is(wrapped.code, 'WS_ERR_INTERNAL');
  t.is(wrapped.closeCode, 1011);
  t.is(wrapped.side, 'local');
  t.is(wrapped.cause, bug);
  t.regex(wrapped.message, /x is undefined/);
  t.regex(failureOf('a string').message, /a string/);
  t.is(failureOf(undefined).closeCode, 1011);
});

test('the close reason of a failure: a peer’s violation says what it was, our own 1011 only "internal error"', (t) => {
  t.is(closeReasonFor(protocolError('WS_ERR_INVALID_OPCODE', 'opcode 3 is reserved', 1002)), 'opcode 3 is reserved');
  t.is(closeReasonFor(failureOf(new Error('secret path /etc/x'))), 'internal error');
  t.is(closeReasonFor(localError('WS_ERR_INTERNAL', 'handler threw')), 'internal error');
  const timeout = new WebSocketError('WS_ERR_PING_TIMEOUT', 'no pong within 5000 ms', { closeCode: 1011, side: 'local' });
  t.is(closeReasonFor(timeout), 'no pong within 5000 ms', 'a keepalive timeout says so');
  const long = closeReasonFor(protocolError('WS_ERR_INVALID_UTF8', 'é'.repeat(100), 1007));
  t.is(utf8Bytes(long).length, 122, 'cut at a code point within 123 bytes');
});

test('RFC 6455 §7.1.5, §7.1.6: the outcome is the peer’s close frame, clean when ours went too; 1006 without one', (t) => {
  t.deepEqual(closeOutcomeOf(undefined, undefined), { code: 1006, reason: '', wasClean: false });
  t.deepEqual(closeOutcomeOf({ code: 1000, reason: '' }, undefined), { code: 1006, reason: '', wasClean: false });
  t.deepEqual(closeOutcomeOf(undefined, { code: 4000, reason: 'x' }), { code: 4000, reason: 'x', wasClean: false });
  t.deepEqual(closeOutcomeOf({ code: 1000, reason: '' }, { code: 1001, reason: 'away' }), { code: 1001, reason: 'away', wasClean: true });
});
