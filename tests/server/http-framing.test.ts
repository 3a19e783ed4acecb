import test from 'ava';
import { asksForUpgrade, checkFraming, headError, isAbsoluteForm } from '../../src/server/http-framing.js';

test('headError builds a remote WS_ERR_HANDSHAKE error carrying the status', (t) => {
  const error = headError(431, 'too big');
  t.is(error.code, 'WS_ERR_HANDSHAKE');
  t.is(error.side, 'remote');
  t.is(error.status, 431);
});

test('isAbsoluteForm accepts the four upgrade schemes with an authority only', (t) => {
  t.true(isAbsoluteForm('ws://example.com/chat'));
  t.true(isAbsoluteForm('HTTPS://example.com'));
  t.false(isAbsoluteForm('ftp://example.com/'));
  t.false(isAbsoluteForm('http:///path'));
  t.false(isAbsoluteForm('http://'));
  t.false(isAbsoluteForm('/chat'));
});

test('asksForUpgrade sees an Upgrade field or the upgrade Connection option', (t) => {
  t.true(asksForUpgrade({ upgrade: 'websocket' }));
  t.true(asksForUpgrade({ connection: 'keep-alive, Upgrade' }));
  t.true(asksForUpgrade({ connection: ['keep-alive', 'upgrade'] }));
  t.false(asksForUpgrade({ connection: 'keep-alive' }));
  t.false(asksForUpgrade({}));
});

test('checkFraming requires one Host on HTTP/1.1 and refuses a body on an upgrade request', (t) => {
  t.notThrows(() => checkFraming({ host: 'a' }, 1));
  t.notThrows(() => checkFraming({}, 0));
  t.throws(() => checkFraming({}, 1), { message: /missing Host/ });
  t.throws(() => checkFraming({ host: ['a', 'b'] }, 1), { message: /duplicate Host/ });
  t.throws(() => checkFraming({ host: 'a', 'content-length': ['1', '1'] }, 1), { message: /duplicate Content-Length/ });
  t.throws(() => checkFraming({ host: 'a', 'content-length': '1x' }, 1), { message: /invalid Content-Length/ });
  t.throws(() => checkFraming({ host: 'a', 'content-length': '1', 'transfer-encoding': 'chunked' }, 1), { message: /both/ });
  t.throws(() => checkFraming({ 'transfer-encoding': 'chunked' }, 0), { message: /HTTP\/1\.0/ });
  t.throws(() => checkFraming({ host: 'a', upgrade: 'websocket', 'content-length': '5' }, 1), { message: /must not have a body/ });
  t.notThrows(() => checkFraming({ host: 'a', upgrade: 'websocket', 'content-length': '0' }, 1));
});
