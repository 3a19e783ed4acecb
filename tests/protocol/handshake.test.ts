import type { IncomingHttpHeaders } from 'node:http';
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { WebSocketError } from '../../src/protocol/errors.js';
import type { Extension, ExtensionFactory, ExtensionOffer } from '../../src/protocol/extension.js';
import { RSV1, RSV2 } from '../../src/protocol/frame.js';
import {
  GUID,
  acceptKey,
  buildRequest,
  buildResponse,
  generateKey,
  isValidKey,
  negotiateExtensions,
  selectProtocol,
  validateRequest,
  validateResponse,
  type ResponseCheck,
  type UpgradeRequest,
} from '../../src/protocol/handshake.js';
import type { HttpHeaders } from '../../src/protocol/headers.js';

// RFC 6455 §1.3's example.
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function request(headers: HttpHeaders = {}, method = 'GET', httpVersion = '1.1'): UpgradeRequest {
  const base: Record<string, string | readonly string[] | undefined> = {
    host: 'server.example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
  };
  return { method, httpVersion, url: '/chat', headers: { ...base, ...headers } };
}

/** Assert the request is refused with `status` and a reason matching `reason` (RFC 6455 §4.2.1). */
function assertRejected(t: ExecutionContext, req: UpgradeRequest, status: number, reason: RegExp): WebSocketError {
  const check = validateRequest(req);
  if (check.ok) {
    t.fail(`expected a ${status} rejection`);
    throw new Error('unreachable');
  }
  t.true(check.error instanceof WebSocketError);
  t.is(check.error.code, 'WS_ERR_HANDSHAKE');
  t.is(check.error.side, 'remote');
  t.is(check.error.httpStatus, status);
  t.regex(check.error.message, reason);
  return check.error;
}

// --- a fake extension ----------------------------------------------------

interface FakeOptions {
  name?: string;
  rsvMask?: number;
}

/** An extension factory that accepts the first offer without a `bad` parameter and echoes it. */
function fakeFactory({ name = 'x-fake', rsvMask = RSV1 }: FakeOptions = {}) {
  const disposed: string[] = [];
  const seenOffers: ExtensionOffer[][] = [];
  const make = (params: ExtensionOffer['params']): Extension => ({
    name,
    rsvMask,
    params,
    decode: (chunks) => chunks[0] ?? new Uint8Array(0),
    encode: (data) => ({ data, rsv: 0 }),
    dispose: () => {
      disposed.push(name);
    },
  });
  const factory: ExtensionFactory = {
    name,
    offer: () => [{ name, params: [] }],
    accept(offers) {
      seenOffers.push([...offers]);
      const chosen = offers.find((o) => !o.params.some((p) => p.name === 'bad'));
      if (chosen === undefined) return undefined;
      return { response: { name, params: chosen.params }, extension: make(chosen.params) };
    },
    complete(response) {
      if (response.params.some((p) => p.name === 'reject')) {
        throw new WebSocketError('WS_ERR_HANDSHAKE', 'unacceptable parameters');
      }
      return make(response.params);
    },
  };
  return { factory, disposed, seenOffers };
}

// --- key and accept ------------------------------------------------------

test('acceptKey answers RFC 6455 §1.3 example key with its example accept value', (t) => {
  t.is(GUID, '258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
  t.is(acceptKey(KEY), ACCEPT);
});

test('generateKey draws 16 bytes from the injected random source and base64-encodes them', (t) => {
  let asked = 0;
  const key = generateKey((n) => {
    asked = n;
    return Uint8Array.from({ length: n }, (_, i) => i);
  });
  t.is(asked, 16);
  t.is(key, 'AAECAwQFBgcICQoLDA0ODw==');
  t.true(isValidKey(key));
});

test('generateKey uses crypto randomness by default and gives valid, distinct keys', (t) => {
  const keys = new Set(Array.from({ length: 50 }, () => generateKey()));
  t.is(keys.size, 50);
  for (const key of keys) t.true(isValidKey(key));
});

test('generateKey refuses a random source that returns the wrong length', (t) => {
  const error = t.throws(() => generateKey((n) => new Uint8Array(n - 1)), { instanceOf: WebSocketError });
  t.is(error?.code, 'WS_ERR_INVALID_ARGUMENT');
});

test('generateKey honours the view of a random source that returns a subarray', (t) => {
  const big = Uint8Array.from({ length: 32 }, (_, i) => i);
  t.is(generateKey(() => big.subarray(16)), Buffer.from(big.subarray(16)).toString('base64'));
});

test('isValidKey accepts exactly 22 standard base64 characters followed by "=="', (t) => {
  t.true(isValidKey(KEY));
  t.true(isValidKey('AAAAAAAAAAAAAAAAAAAAAA=='));
  t.true(isValidKey('+/+/+/+/+/+/+/+/+/+/+w=='));
  for (const bad of [
    '',
    'dGhlIHNhbXBsZSBub25jZQ',
    'dGhlIHNhbXBsZSBub25jZQ=',
    'dGhlIHNhbXBsZSBub25jZQ===',
    'dGhlIHNhbXBsZSBub25jZQ==A',
    'dGhlIHNhbXBsZSBub25jZ===',
    'dGhlIHNhbXBsZSBub25jZQA=',
    '-_hlIHNhbXBsZSBub25jZQ==',
    'dGhlIHNhbXBsZSBub25jZ Q==',
    'dGhlIHNhbXBsZSBub25jZ\u00e9==',
    'dGhlIHNhbXBsZSBub25jZQo=',
    'dGhlIHNhbXBsZSBub25jZSBmb28=',
  ]) {
    t.false(isValidKey(bad), bad);
  }
});

test('isValidKey agrees with base64 decoding to 16 bytes for every generated key', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const key = Buffer.from(bytes).toString('base64');
        return isValidKey(key) && Buffer.from(key, 'base64').length === 16;
      }),
      { numRuns: 1000 },
    ),
  );
});

// --- validateRequest: accepted requests ------------------------------------

test('validateRequest accepts RFC 6455 §1.3 example request', (t) => {
  const check = validateRequest(
    request({
      origin: 'http://example.com',
      'sec-websocket-protocol': 'chat, superchat',
    }),
  );
  t.deepEqual(check, {
    ok: true,
    key: KEY,
    protocols: ['chat', 'superchat'],
    extensions: [],
    origin: 'http://example.com',
  });
});

test('validateRequest reads Upgrade and Connection as case-insensitive token lists', (t) => {
  const check = validateRequest(request({ upgrade: 'h2c, WebSocket', connection: 'keep-alive, UPGRADE' }));
  t.true(check.ok);
  t.true(validateRequest(request({ connection: ['keep-alive', 'upgrade'] })).ok);
});

test('validateRequest accepts HTTP versions from 1.1 up', (t) => {
  for (const version of ['1.1', '1.2', '2.0', '3.0', '1.10']) {
    t.true(validateRequest(request({}, 'GET', version)).ok, version);
  }
});

test('validateRequest returns the extension offers and protocols of repeated headers', (t) => {
  const check = validateRequest(
    request({
      'sec-websocket-extensions': ['permessage-deflate; client_max_window_bits', 'x-fake; a="1"'],
      'sec-websocket-protocol': ['chat', 'superchat, v2'],
    }),
  );
  if (!check.ok) return t.fail(check.error.message);
  t.deepEqual(check.protocols, ['chat', 'superchat', 'v2']);
  t.deepEqual(check.extensions, [
    { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true }] },
    { name: 'x-fake', params: [{ name: 'a', value: '1' }] },
  ]);
  t.is(check.origin, undefined);
});

test('validateRequest accepts single-valued headers given as one-element arrays and trims OWS', (t) => {
  const check = validateRequest(
    request({ host: ['h'], 'sec-websocket-key': [` ${KEY} `], 'sec-websocket-version': [' 13'] }),
  );
  if (!check.ok) return t.fail(check.error.message);
  t.is(check.key, KEY);
});

test('validateRequest accepts node:http IncomingHttpHeaders', (t) => {
  const headers: IncomingHttpHeaders = {
    host: 'h',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
    'set-cookie': ['a=1', 'b=2'],
  };
  t.true(validateRequest({ method: 'GET', httpVersion: '1.1', headers }).ok);
});

// --- validateRequest: every rejection rule ----------------------------------

test('a method other than GET is refused with 405 and Allow: GET', (t) => {
  for (const method of ['POST', 'HEAD', 'get', 'CONNECT']) {
    const error = assertRejected(t, request({}, method), 405, /method/);
    t.deepEqual(error.httpHeaders, { Allow: 'GET' });
    t.regex(error.httpResponse(), /^HTTP\/1\.1 405 Method Not Allowed\r\n[^]*Allow: GET\r\n/);
  }
});

test('an HTTP version below 1.1 or malformed is refused with 400', (t) => {
  for (const version of ['1.0', '0.9', '1', '', '1.', '.1', 'x.y', '1.1.1', ' 1.1', '1.-1']) {
    assertRejected(t, request({}, 'GET', version), 400, /HTTP version/);
  }
});

test('a missing or empty Host is refused with 400', (t) => {
  assertRejected(t, request({ host: undefined }), 400, /Missing Host/);
  assertRejected(t, request({ host: [] }), 400, /Missing Host/);
  assertRejected(t, request({ host: '  ' }), 400, /Missing Host/);
});

test('a repeated Host is refused with 400', (t) => {
  assertRejected(t, request({ host: ['a', 'b'] }), 400, /Repeated Host/);
  assertRejected(t, request({ host: 'a, b' }), 400, /Repeated Host/);
});

test('an Upgrade header without the websocket token is refused with 400', (t) => {
  const values = [undefined, '', 'h2c', 'websocket2', 'web socket', 'websocket/', 'websocket;', 'websocket/13'];
  for (const upgrade of values) {
    assertRejected(t, request({ upgrade }), 400, /Invalid Upgrade header/);
  }
});

test('a Connection header without the upgrade token is refused with 400', (t) => {
  for (const connection of [undefined, '', 'keep-alive', 'Upgrade-Insecure', 'keep-alive Upgrade', 'upgrade;']) {
    assertRejected(t, request({ connection }), 400, /Invalid Connection header/);
  }
});

test('a missing or invalid Sec-WebSocket-Key is refused with 400', (t) => {
  const keys = [
    undefined,
    '',
    'abc',
    'dGhlIHNhbXBsZSBub25jZQ',
    'dGhlIHNhbXBsZSBub25jZSBmb28=',
    '-_hlIHNhbXBsZSBub25jZQ==',
  ];
  for (const key of keys) {
    assertRejected(t, request({ 'sec-websocket-key': key }), 400, /Missing or invalid Sec-WebSocket-Key/);
  }
});

test('a repeated Sec-WebSocket-Key is refused with 400', (t) => {
  assertRejected(t, request({ 'sec-websocket-key': [KEY, KEY] }), 400, /Repeated Sec-WebSocket-Key/);
  assertRejected(t, request({ 'sec-websocket-key': `${KEY}, ${KEY}` }), 400, /Repeated Sec-WebSocket-Key/);
});

test('a Sec-WebSocket-Version other than 13 is refused with 426 and Sec-WebSocket-Version: 13', (t) => {
  for (const version of [undefined, '', '8', '12', '14', '013', '13.0']) {
    const error = assertRejected(t, request({ 'sec-websocket-version': version }), 426, /Sec-WebSocket-Version/);
    t.deepEqual(error.httpHeaders, { 'Sec-WebSocket-Version': '13' });
    t.regex(error.httpResponse(), /^HTTP\/1\.1 426 Upgrade Required\r\n[^]*Sec-WebSocket-Version: 13\r\n/);
  }
});

test('a repeated Sec-WebSocket-Version is refused with 400', (t) => {
  assertRejected(t, request({ 'sec-websocket-version': ['13', '13'] }), 400, /Repeated Sec-WebSocket-Version/);
  assertRejected(t, request({ 'sec-websocket-version': '13, 8' }), 400, /Repeated Sec-WebSocket-Version/);
});

test('a malformed Sec-WebSocket-Protocol is refused with 400', (t) => {
  for (const value of ['', ' , ', 'chat superchat', 'chat;v=1', '"chat"', ['chat', 'a b']]) {
    assertRejected(t, request({ 'sec-websocket-protocol': value }), 400, /Invalid Sec-WebSocket-Protocol/);
  }
});

test('a malformed Sec-WebSocket-Extensions is refused with 400', (t) => {
  for (const value of ['', 'a;', 'a; x="1', 'a; x="a b"', 'a b', ['a', 'b;=']]) {
    assertRejected(t, request({ 'sec-websocket-extensions': value }), 400, /Invalid Sec-WebSocket-Extensions/);
  }
});

test('a repeated Origin is refused with 400', (t) => {
  assertRejected(t, request({ origin: ['http://a', 'http://b'] }), 400, /Repeated Origin/);
  assertRejected(t, request({ origin: 'http://a, http://b' }), 400, /Repeated Origin/);
});

test('a rejection renders as a plain-text HTTP answer with its reason', (t) => {
  const error = assertRejected(t, request({ upgrade: 'h2c' }), 400, /Upgrade/);
  const body = 'Invalid Upgrade header\n';
  t.is(
    error.httpResponse(),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
});

// --- selectProtocol ----------------------------------------------------------

test('selectProtocol picks the first supported subprotocol the client offered', (t) => {
  t.is(selectProtocol(['chat', 'superchat'], ['superchat', 'chat']), 'superchat');
  t.is(selectProtocol(['chat', 'superchat'], ['v2', 'chat']), 'chat');
  t.is(selectProtocol(['chat'], ['Chat']), undefined);
  t.is(selectProtocol([], ['chat']), undefined);
  t.is(selectProtocol(['chat'], []), undefined);
});

test('selectProtocol asks a function only when the client offered something', (t) => {
  let calls = 0;
  const pick = (offered: readonly string[]) => {
    calls++;
    return offered[offered.length - 1];
  };
  t.is(selectProtocol(['a', 'b'], pick), 'b');
  t.is(selectProtocol([], pick), undefined);
  t.is(calls, 1);
  t.is(
    selectProtocol(['a'], () => undefined),
    undefined,
  );
});

test('selectProtocol refuses a function that picks a subprotocol nobody offered', (t) => {
  const error = t.throws(() => selectProtocol(['a'], () => 'b'), { instanceOf: WebSocketError });
  t.is(error?.code, 'WS_ERR_INVALID_ARGUMENT');
  t.is(error?.side, 'local');
});

// --- negotiateExtensions -----------------------------------------------------

test('negotiateExtensions gives each factory every offer of its name and builds the response header', (t) => {
  const fake = fakeFactory();
  const offers: ExtensionOffer[] = [
    { name: 'x-fake', params: [{ name: 'bad', value: true }] },
    { name: 'other', params: [] },
    { name: 'x-fake', params: [{ name: 'a', value: '1' }, { name: 'a', value: '2' }] },
  ];
  const result = negotiateExtensions(offers, [fake.factory]);
  t.deepEqual(fake.seenOffers, [[offers[0], offers[2]]]);
  t.is(result.extensions.length, 1);
  t.is(result.extensions[0].name, 'x-fake');
  t.is(result.header, 'x-fake; a=1; a=2');
});

test('negotiateExtensions returns no header when nothing is accepted or offered', (t) => {
  const fake = fakeFactory();
  t.deepEqual(negotiateExtensions([{ name: 'x-fake', params: [{ name: 'bad', value: true }] }], [fake.factory]), {
    extensions: [],
    header: undefined,
  });
  t.deepEqual(negotiateExtensions([], [fake.factory]), { extensions: [], header: undefined });
  t.deepEqual(negotiateExtensions([{ name: 'x-fake', params: [] }], []), { extensions: [], header: undefined });
  t.is(fake.seenOffers.length, 1);
});

test('negotiateExtensions follows the factories order and skips a later extension claiming a taken RSV bit', (t) => {
  const a = fakeFactory({ name: 'a', rsvMask: RSV1 });
  const b = fakeFactory({ name: 'b', rsvMask: RSV1 });
  const c = fakeFactory({ name: 'c', rsvMask: RSV2 });
  const offers: ExtensionOffer[] = [
    { name: 'c', params: [] },
    { name: 'b', params: [] },
    { name: 'a', params: [] },
  ];
  const result = negotiateExtensions(offers, [a.factory, b.factory, c.factory]);
  t.deepEqual(
    result.extensions.map((e) => e.name),
    ['a', 'c'],
  );
  t.is(result.header, 'a, c');
  t.deepEqual(b.disposed, ['b']);
  t.deepEqual(a.disposed, []);
});

// --- buildResponse -----------------------------------------------------------

test('buildResponse writes RFC 6455 §1.3 example response head', (t) => {
  t.is(
    buildResponse({ key: KEY, protocol: 'chat' }),
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${ACCEPT}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`,
  );
});

test('buildResponse adds extensions and extra headers', (t) => {
  t.is(
    buildResponse({ key: KEY, extensions: 'x-fake; a=1', headers: { 'X-Powered-By': 'ws4ts', 'Set-Cookie': 'a=b' } }),
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${ACCEPT}\r\nSec-WebSocket-Extensions: x-fake; a=1\r\n` +
      'X-Powered-By: ws4ts\r\nSet-Cookie: a=b\r\n\r\n',
  );
});

test('buildResponse refuses CR, LF and NUL in values, bad names and the handshake headers', (t) => {
  const cases: Parameters<typeof buildResponse>[0][] = [
    { key: `${KEY}\r\nX: 1` },
    { key: KEY, protocol: 'chat\r\nX: 1' },
    { key: KEY, protocol: 'a b' },
    { key: KEY, protocol: '' },
    { key: KEY, extensions: 'a\nX: 1' },
    { key: KEY, headers: { 'X-A': 'b\r\n\r\nHTTP/1.1 200 OK' } },
    { key: KEY, headers: { 'X-A': 'b\u0000' } },
    { key: KEY, headers: { 'X A': 'b' } },
    { key: KEY, headers: { 'X-A\r\n': 'b' } },
    { key: KEY, headers: { 'sec-websocket-accept': 'x' } },
    { key: KEY, headers: { Upgrade: 'x' } },
  ];
  for (const options of cases) {
    const error = t.throws(() => buildResponse(options), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_INVALID_ARGUMENT');
    t.is(error?.side, 'local');
  }
});

// --- buildRequest ------------------------------------------------------------

test('buildRequest writes RFC 6455 §1.3 example request head', (t) => {
  t.is(
    buildRequest({
      host: 'server.example.com',
      path: '/chat',
      key: KEY,
      protocols: ['chat', 'superchat'],
      origin: 'http://example.com',
    }),
    'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n` +
      'Origin: http://example.com\r\n\r\n',
  );
});

test('buildRequest omits an empty protocol list and adds extensions and extra headers', (t) => {
  t.is(
    buildRequest({
      host: 'h:8080',
      path: '/a?b=c',
      key: KEY,
      protocols: [],
      extensions: 'permessage-deflate; client_max_window_bits',
      headers: { Authorization: 'Bearer x' },
    }),
    'GET /a?b=c HTTP/1.1\r\nHost: h:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
      'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nAuthorization: Bearer x\r\n\r\n',
  );
});

test('a request built by buildRequest passes validateRequest', (t) => {
  const key = generateKey();
  const head = buildRequest({ host: 'h', path: '/', key, protocols: ['a', 'b'], extensions: 'x; y=1', origin: 'null' });
  const lines = head.split('\r\n');
  const [method, , version] = lines[0].split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1, -2)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  t.deepEqual(validateRequest({ method, httpVersion: version.slice(5), headers }), {
    ok: true,
    key,
    protocols: ['a', 'b'],
    extensions: [{ name: 'x', params: [{ name: 'y', value: '1' }] }],
    origin: 'null',
  });
});

test('buildRequest refuses invalid or duplicate subprotocols, bad paths, keys and header values', (t) => {
  const ok = { host: 'h', path: '/', key: KEY };
  const cases: Parameters<typeof buildRequest>[0][] = [
    { ...ok, protocols: ['chat', 'chat'] },
    { ...ok, protocols: ['a b'] },
    { ...ok, protocols: [''] },
    { ...ok, protocols: ['a,b'] },
    { ...ok, path: '' },
    { ...ok, path: 'chat' },
    { ...ok, path: '/a b' },
    { ...ok, path: '/a\r\nX: 1' },
    { ...ok, key: 'abc' },
    { ...ok, host: '' },
    { ...ok, host: 'h\r\nX: 1' },
    { ...ok, origin: 'http://a\nX: 1' },
    { ...ok, extensions: 'x\r\n' },
    { ...ok, headers: { 'X-A': 'b\r\nc' } },
    { ...ok, headers: { 'Sec-WebSocket-Key': KEY } },
    { ...ok, headers: { Host: 'other' } },
  ];
  for (const options of cases) {
    const error = t.throws(() => buildRequest(options), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_INVALID_ARGUMENT');
  }
});

// --- validateResponse --------------------------------------------------------

function response(headers: HttpHeaders = {}, status = 101) {
  const base: Record<string, string | readonly string[] | undefined> = {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-accept': ACCEPT,
  };
  return { status, headers: { ...base, ...headers } };
}

const NOTHING = { key: KEY, protocols: [], extensions: [] };

/** The accepted answer of validateResponse (fails the test when refused). */
function accepted(t: ExecutionContext, check: ResponseCheck): { protocol: string | undefined; extensions: Extension[] } {
  if (!check.ok) t.fail(check.error.message);
  return check.ok ? { protocol: check.protocol, extensions: check.extensions } : { protocol: undefined, extensions: [] };
}

/** validateResponse refused the answer (it returns the error, never throws: one convention with validateRequest). */
function assertFails(t: ExecutionContext, check: ResponseCheck, reason: RegExp): void {
  t.false(check.ok);
  const error = check.ok ? undefined : check.error;
  t.true(error instanceof WebSocketError);
  t.is(error?.code, 'WS_ERR_HANDSHAKE');
  t.is(error?.side, 'remote');
  t.regex(error?.message ?? '', reason);
}

test('validateResponse accepts RFC 6455 §1.3 example response', (t) => {
  const expected = { ...NOTHING, protocols: ['chat', 'superchat'] };
  t.deepEqual(accepted(t, validateResponse(response({ 'sec-websocket-protocol': 'chat' }), expected)), {
    protocol: 'chat',
    extensions: [],
  });
});

test('validateResponse accepts case-insensitive Upgrade and Connection token lists', (t) => {
  t.deepEqual(accepted(t, validateResponse(response({ upgrade: 'WebSocket', connection: 'keep-alive, upgrade' }), NOTHING)), {
    protocol: undefined,
    extensions: [],
  });
});

test('validateResponse reads a missing subprotocol as none, even when some were offered', (t) => {
  t.is(accepted(t, validateResponse(response(), { ...NOTHING, protocols: ['chat'] })).protocol, undefined);
});

test('validateResponse fails on a status other than 101', (t) => {
  for (const status of [200, 400, 426, 302]) {
    assertFails(t, validateResponse(response({}, status), NOTHING), new RegExp(`${status}`));
  }
});

test('validateResponse fails without the websocket Upgrade or the upgrade Connection token', (t) => {
  for (const upgrade of [undefined, 'h2c', 'web socket']) {
    assertFails(t, validateResponse(response({ upgrade }), NOTHING), /Upgrade/);
  }
  for (const connection of [undefined, 'close', 'up grade']) {
    assertFails(t, validateResponse(response({ connection }), NOTHING), /Connection/);
  }
});

test('validateResponse fails on a missing, wrong or repeated Sec-WebSocket-Accept', (t) => {
  const withAccept = (accept: string | string[] | undefined) =>
    validateResponse(response({ 'sec-websocket-accept': accept }), NOTHING);
  assertFails(t, withAccept(undefined), /Missing Sec-WebSocket-Accept/);
  assertFails(t, withAccept(acceptKey('AAAAAAAAAAAAAAAAAAAAAA==')), /Invalid Sec-WebSocket-Accept/);
  assertFails(t, withAccept(ACCEPT.toLowerCase()), /Invalid Sec-WebSocket-Accept/);
  assertFails(t, withAccept([ACCEPT, ACCEPT]), /Repeated Sec-WebSocket-Accept/);
  assertFails(t, withAccept(`${ACCEPT}, ${ACCEPT}`), /Repeated Sec-WebSocket-Accept/);
});

test('validateResponse fails on a subprotocol that was not offered or not single', (t) => {
  const offered = { ...NOTHING, protocols: ['chat', 'superchat'] };
  assertFails(t, validateResponse(response({ 'sec-websocket-protocol': 'chat' }), NOTHING), /not offered: chat/);
  assertFails(t, validateResponse(response({ 'sec-websocket-protocol': 'v2' }), offered), /not offered/);
  assertFails(t, validateResponse(response({ 'sec-websocket-protocol': 'Chat' }), offered), /not offered/);
  for (const value of ['chat, superchat', ['chat', 'chat'], '', 'a b']) {
    const answer = response({ 'sec-websocket-protocol': value });
    assertFails(t, validateResponse(answer, offered), /Invalid Sec-WebSocket-Protocol/);
  }
});

test('validateResponse completes each accepted extension with its factory', (t) => {
  const a = fakeFactory({ name: 'a', rsvMask: RSV1 });
  const b = fakeFactory({ name: 'b', rsvMask: RSV2 });
  const result = accepted(t, validateResponse(response({ 'sec-websocket-extensions': 'b; q=1, a' }), {
    ...NOTHING,
    extensions: [a.factory, b.factory],
  }));
  t.deepEqual(
    result.extensions.map((e) => [e.name, e.params]),
    [
      ['b', [{ name: 'q', value: '1' }]],
      ['a', []],
    ],
  );
});

test('validateResponse fails on an extension that was not offered, is named twice or is malformed', (t) => {
  const a = fakeFactory({ name: 'a' });
  const expected = { ...NOTHING, extensions: [a.factory] };
  assertFails(t, validateResponse(response({ 'sec-websocket-extensions': 'a' }), NOTHING), /not offered: a/);
  assertFails(t, validateResponse(response({ 'sec-websocket-extensions': 'a, z' }), expected), /not offered: z/);
  assertFails(t, validateResponse(response({ 'sec-websocket-extensions': 'a, a' }), expected), /twice/);
  assertFails(t, validateResponse(response({ 'sec-websocket-extensions': ['a', 'a; x'] }), expected), /twice/);
  for (const malformed of ['a; x="', '', 'a b']) {
    const answer = response({ 'sec-websocket-extensions': malformed });
    assertFails(t, validateResponse(answer, expected), /Invalid Sec-WebSocket-Extensions/);
  }
  // Every extension built before the failure was released.
  t.deepEqual(a.disposed, ['a', 'a', 'a']);
});

test('validateResponse fails when a factory refuses the answer or two extensions share an RSV bit', (t) => {
  const a = fakeFactory({ name: 'a', rsvMask: RSV1 });
  const b = fakeFactory({ name: 'b', rsvMask: RSV1 });
  const expected = { ...NOTHING, extensions: [a.factory, b.factory] };
  const refused = response({ 'sec-websocket-extensions': 'a, b; reject' });
  assertFails(t, validateResponse(refused, expected), /unacceptable/);
  t.deepEqual(a.disposed, ['a']);
  assertFails(t, validateResponse(response({ 'sec-websocket-extensions': 'a, b' }), expected), /RSV/);
  t.deepEqual(a.disposed, ['a', 'a']);
  t.deepEqual(b.disposed, ['b']);
});

test('a response built by buildResponse passes validateResponse', (t) => {
  const fake = fakeFactory();
  const key = generateKey();
  const negotiated = negotiateExtensions([{ name: 'x-fake', params: [{ name: 'w', value: '10' }] }], [fake.factory]);
  const head = buildResponse({ key, protocol: 'b', extensions: negotiated.header });
  const lines = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1, -2)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(lines[0].split(' ')[1]);
  const result = accepted(t, validateResponse({ status, headers }, { key, protocols: ['a', 'b'], extensions: [fake.factory] }));
  t.is(result.protocol, 'b');
  t.deepEqual(result.extensions.map((e) => e.params), [[{ name: 'w', value: '10' }]]);
});
