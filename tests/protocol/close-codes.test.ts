import test from 'ava';
import {
  CloseCode,
  MAX_CLOSE_REASON_BYTES,
  buildClosePayload,
  isValidCloseCode,
  parseClosePayload,
} from '../../src/protocol/close-codes.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { concat, hex, toHex, utf8Bytes } from './arbitraries.js';

test('RFC 6455 §7.4: isValidCloseCode accepts exactly 1000–1003, 1007–1014 and 3000–4999 among all 65,536 codes', (t) => {
  const wrong: number[] = [];
  for (let code = 0; code <= 0xffff; code++) {
    const expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    if (isValidCloseCode(code) !== expected) wrong.push(code);
  }
  t.deepEqual(wrong, []);
});

test('RFC 6455 §7.4.1: the reserved codes 1004, 1005, 1006 and 1015 are never valid on the wire', (t) => {
  for (const code of [CloseCode.Reserved, CloseCode.NoStatus, CloseCode.Abnormal, CloseCode.TlsHandshake]) t.false(isValidCloseCode(code));
});

// ─── parseClosePayload ─────────────────────────────────────────────────────

test('RFC 6455 §7.1.5: an empty close payload means code 1005 and no reason', (t) => {
  t.deepEqual(parseClosePayload(new Uint8Array(0)), { code: 1005, reason: '' });
});

test('RFC 6455 §5.5.1: a 1-byte close payload fails with 1002', (t) => {
  const error = t.throws(() => parseClosePayload(hex('03')), { instanceOf: WebSocketError });
  t.is(error?.code, 'WS_ERR_INVALID_CLOSE_PAYLOAD');
  t.is(error?.closeCode, 1002);
  t.is(error?.side, 'remote');
});

test('RFC 6455 §7.4: a close code that may not be sent fails with 1002', (t) => {
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
    const error = t.throws(() => parseClosePayload(Uint8Array.of(code >> 8, code & 0xff)), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_INVALID_CLOSE_CODE', String(code));
    t.is(error?.closeCode, 1002);
  }
});

test('RFC 6455 §5.5.1: a close reason that is not valid UTF-8 fails with 1007', (t) => {
  for (const reason of ['ff', 'c0 80', 'ed a0 80', '61 e2 82', 'f4 90 80 80']) {
    const error = t.throws(() => parseClosePayload(concat([hex('03 e8'), hex(reason)])), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_INVALID_UTF8', reason);
    t.is(error?.closeCode, 1007);
  }
});

test('RFC 6455 §5.5.1: valid close payloads give their code and reason', (t) => {
  t.deepEqual(parseClosePayload(hex('03 e8')), { code: 1000, reason: '' });
  t.deepEqual(parseClosePayload(concat([hex('0f a0'), utf8Bytes('bye €😀')])), { code: 4000, reason: 'bye €😀' });
  t.deepEqual(parseClosePayload(concat([hex('0b b8'), utf8Bytes('x'.repeat(123))])), { code: 3000, reason: 'x'.repeat(123) });
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) {
    t.is(parseClosePayload(Uint8Array.of(code >> 8, code & 0xff)).code, code);
  }
});

// ─── buildClosePayload ─────────────────────────────────────────────────────

test('buildClosePayload writes the code big-endian followed by the UTF-8 reason', (t) => {
  t.is(toHex(buildClosePayload(1000)), '03 e8');
  t.is(toHex(buildClosePayload(4999, 'é')), '13 87 c3 a9');
  t.is(toHex(buildClosePayload(3000, 'ok')), '0b b8 6f 6b');
});

test('buildClosePayload builds an empty payload for no code or 1005 without a reason', (t) => {
  t.is(buildClosePayload(undefined).length, 0);
  t.is(buildClosePayload(1005).length, 0);
  t.is(buildClosePayload(1005, '').length, 0);
});

test('buildClosePayload rejects 1004, 1006, 1015, out-of-range and non-integer codes as local errors', (t) => {
  for (const code of [1004, 1006, 1015, 0, 999, 1016, 2999, 5000, 65536, -1, 1000.5, Number.NaN]) {
    const error = t.throws(() => buildClosePayload(code), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_INVALID_CLOSE_CODE', String(code));
    t.is(error?.side, 'local');
  }
});

test('buildClosePayload rejects a reason without a code (1005 or none)', (t) => {
  for (const code of [undefined, 1005]) {
    const error = t.throws(() => buildClosePayload(code, 'why'), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_INVALID_ARGUMENT');
    t.is(error?.side, 'local');
  }
});

test('RFC 6455 §5.5: buildClosePayload accepts a reason of exactly 123 UTF-8 bytes and rejects 124', (t) => {
  t.is(MAX_CLOSE_REASON_BYTES, 123);
  // 41 × "€" (3 bytes each) = 123 bytes; multi-byte, so a UTF-16 length check would be wrong.
  const max = '€'.repeat(41);
  const payload = buildClosePayload(1000, max);
  t.is(payload.length, 125);
  t.deepEqual(parseClosePayload(payload), { code: 1000, reason: max });
  t.is(buildClosePayload(1000, `${'😀'.repeat(30)}abc`).length, 125); // 120 + 3 bytes
  for (const reason of [`${max}x`, 'x'.repeat(124), `${'😀'.repeat(30)}abcd`]) {
    const error = t.throws(() => buildClosePayload(1000, reason), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_INVALID_ARGUMENT');
    t.is(error?.side, 'local');
  }
});

test('every valid code round-trips through buildClosePayload and parseClosePayload', (t) => {
  const broken: number[] = [];
  for (let code = 0; code <= 0xffff; code++) {
    if (!isValidCloseCode(code)) continue;
    const parsed = parseClosePayload(buildClosePayload(code, 'r'));
    if (parsed.code !== code || parsed.reason !== 'r') broken.push(code);
  }
  t.deepEqual(broken, []);
});
