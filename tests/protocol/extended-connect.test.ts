/**
 * RFC 8441 handshake rules: the extended CONNECT request check, the headers
 * both sides send, and the client's check of the answer.
 */
import test from 'ava';
import {
  connectRequestHeaders,
  connectResponseHeaders,
  extraHttp2Headers,
  isExtendedConnect,
  validateConnectRequest,
  validateConnectResponse,
} from '../../src/protocol/extended-connect.js';
import { permessageDeflate } from '../../src/extensions/index.js';
import { WebSocketError } from '../../src/protocol/errors.js';

const good = {
  ':method': 'CONNECT',
  ':protocol': 'websocket',
  ':scheme': 'https',
  ':authority': 'example.com',
  ':path': '/chat?room=1',
  'sec-websocket-version': '13',
  'sec-websocket-protocol': 'chat, superchat',
  'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
  origin: 'https://example.com',
};

function status(headers: Record<string, string | undefined>): number | undefined {
  const check = validateConnectRequest(headers);
  return check.ok ? undefined : check.error.httpStatus;
}

test('§5 example: an extended CONNECT with its offers is accepted', (t) => {
  const check = validateConnectRequest(good);
  t.true(check.ok);
  if (!check.ok) return;
  t.deepEqual(check.protocols, ['chat', 'superchat']);
  t.is(check.extensions[0]?.name, 'permessage-deflate');
  t.is(check.origin, 'https://example.com');
});

test('only CONNECT with :protocol websocket is ours; a plain CONNECT is not', (t) => {
  t.true(isExtendedConnect(good));
  t.true(isExtendedConnect({ ...good, ':protocol': 'WebSocket' }));
  t.false(isExtendedConnect({ ...good, ':protocol': undefined }));
  t.false(isExtendedConnect({ ...good, ':method': 'GET' }));
  t.false(isExtendedConnect({ ...good, ':protocol': 'connect-udp' }));
  t.is(status({ ...good, ':method': 'GET' }), 400);
});

test('refusals: :path, :authority, version, protocol and extension grammar, repeated origin', (t) => {
  t.is(status({ ...good, ':path': undefined }), 400);
  t.is(status({ ...good, ':path': '*' }), 400);
  t.is(status({ ...good, ':authority': '' }), 400);
  t.is(status({ ...good, 'sec-websocket-version': '8' }), 426);
  const check = validateConnectRequest({ ...good, 'sec-websocket-version': '8' });
  t.deepEqual(check.ok ? undefined : check.error.httpHeaders, { 'sec-websocket-version': '13' });
  t.is(status({ ...good, 'sec-websocket-version': undefined }), undefined, 'absent version is accepted (RFC 8441 needs none)');
  t.is(status({ ...good, 'sec-websocket-protocol': '' }), 400);
  t.is(status({ ...good, 'sec-websocket-protocol': 'a b' }), 400);
  t.is(status({ ...good, 'sec-websocket-extensions': 'x; y="' }), 400);
  t.is(status({ ...good, origin: 'a, b' }), 400);
  t.is(status({ ...good, 'sec-websocket-key': 'not even base64' }), undefined, 'a key is ignored (§5)');
});

test('the client request carries the pseudo-headers and offers, lower-cased extras, and refuses what would corrupt it', (t) => {
  t.deepEqual(
    connectRequestHeaders({ scheme: 'https', authority: 'example.com', path: '/chat', protocols: ['chat'], origin: 'https://example.com', headers: { 'X-Trace': '1' } }),
    {
      'x-trace': '1',
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':authority': 'example.com',
      ':path': '/chat',
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'chat',
      origin: 'https://example.com',
    },
  );
  t.throws(() => connectRequestHeaders({ scheme: 'http', authority: 'a', path: 'chat' }), { instanceOf: WebSocketError });
  t.throws(() => connectRequestHeaders({ scheme: 'http', authority: 'a', path: '/', protocols: ['x', 'x'] }), { instanceOf: WebSocketError });
  t.throws(() => extraHttp2Headers({ Upgrade: 'websocket' }), { instanceOf: WebSocketError });
  t.throws(() => extraHttp2Headers({ ':path': '/' }), { instanceOf: WebSocketError });
  t.throws(() => extraHttp2Headers({ 'x-a': 'b\nc' }), { instanceOf: WebSocketError });
});

test('the answer is :status 200 with the selected subprotocol and extensions', (t) => {
  t.deepEqual(connectResponseHeaders({ protocol: 'chat', extensions: 'permessage-deflate', headers: { 'X-Powered-By': 'ws4ts' } }), {
    'x-powered-by': 'ws4ts',
    ':status': 200,
    'sec-websocket-protocol': 'chat',
    'sec-websocket-extensions': 'permessage-deflate',
  });
  t.throws(() => connectResponseHeaders({ protocol: 'a b' }), { instanceOf: WebSocketError });
  // A client that sent a key anyway (undici 7) gets its accept (RFC 6455 §1.3 sample).
  const check = validateConnectRequest({ ...good, 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' });
  t.is(check.ok ? check.key : undefined, 'dGhlIHNhbXBsZSBub25jZQ==');
  t.is(connectResponseHeaders({ key: 'dGhlIHNhbXBsZSBub25jZQ==' })['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('the client accepts any 2xx, checks the subprotocol and builds the extensions it offered', (t) => {
  const deflate = permessageDeflate();
  const ok = validateConnectResponse(
    { status: 200, headers: { 'sec-websocket-protocol': 'chat', 'sec-websocket-extensions': 'permessage-deflate' } },
    { protocols: ['chat'], extensions: [deflate] },
  );
  t.is(ok.protocol, 'chat');
  t.is(ok.extensions.length, 1);
  for (const extension of ok.extensions) extension.dispose();
  t.throws(() => validateConnectResponse({ status: 101, headers: {} }, { protocols: [], extensions: [] }), { message: /101/ });
  t.throws(() => validateConnectResponse({ status: 404, headers: {} }, { protocols: [], extensions: [] }));
  t.throws(() => validateConnectResponse({ status: 200, headers: { 'sec-websocket-protocol': 'other' } }, { protocols: ['chat'], extensions: [] }), {
    message: /not offered/,
  });
  t.throws(() => validateConnectResponse({ status: 200, headers: { 'sec-websocket-extensions': 'x-unknown' } }, { protocols: [], extensions: [deflate] }), {
    message: /not offered/,
  });
  t.is(validateConnectResponse({ status: 204, headers: {} }, { protocols: [], extensions: [] }).protocol, undefined);
});
