import test from 'ava';
import { STATUS_TEXT, WebSocketError, localError, protocolError } from '../../src/protocol/errors.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

test('a WebSocketError defaults to a remote protocol error with close code 1002 and no HTTP status', (t) => {
  const error = new WebSocketError('WS_ERR_INVALID_OPCODE', 'opcode 3 is reserved');
  t.true(error instanceof Error);
  t.is(error.name, 'WebSocketError');
  t.is(error.code, 'WS_ERR_INVALID_OPCODE');
  t.is(error.closeCode, 1002);
  t.is(error.side, 'remote');
  t.is(error.status, undefined);
  t.deepEqual(error.headers, {});
  t.is(error.cause, undefined);
});

test('protocolError is remote with the close code given; localError is local with 1011', (t) => {
  const remote = protocolError('WS_ERR_INVALID_UTF8', 'bad text', 1007);
  t.is(remote.side, 'remote');
  t.is(remote.closeCode, 1007);
  const local = localError('WS_ERR_CLOSED', 'closed');
  t.is(local.side, 'local');
  t.is(local.closeCode, 1011);
});

test('a local WebSocketError without a close code is 1011, not a protocol error (1002)', (t) => {
  t.is(new WebSocketError('WS_ERR_CLOSED', 'closed before the pong arrived', { side: 'local' }).closeCode, 1011);
  t.is(new WebSocketError('WS_ERR_TRANSPORT', 'refused', { side: 'local', closeCode: 1006 }).closeCode, 1006);
});

test('the cause is kept', (t) => {
  const cause = new Error('zlib');
  t.is(new WebSocketError('WS_ERR_EXTENSION_FAILED', 'failed', { cause }).cause, cause);
});

test('RFC 7230 §3.1.2: httpResponse answers with the status, its reason phrase, Connection: close, an exact Content-Length and the headers', (t) => {
  const error = new WebSocketError('WS_ERR_HANDSHAKE', 'Unsupported version ✓', {
    status: 426,
    headers: { 'Sec-WebSocket-Version': '13', Vary: ['a', 'b'], Skipped: undefined },
  });
  const response = error.httpResponse();
  const [head, body] = response.split('\r\n\r\n');
  const lines = head!.split('\r\n');
  t.is(lines[0], 'HTTP/1.1 426 Upgrade Required');
  t.true(lines.includes('Connection: close'));
  t.true(lines.includes(`Content-Length: ${Buffer.byteLength('Unsupported version ✓\n')}`));
  t.true(lines.includes('Sec-WebSocket-Version: 13'));
  t.deepEqual(lines.filter((l) => l.startsWith('Vary:')), ['Vary: a', 'Vary: b']);
  t.false(head!.includes('Skipped'));
  t.is(body, 'Unsupported version ✓\n');
});

test('httpResponse without a status answers 400; an unknown status gets a generic phrase', (t) => {
  t.true(new WebSocketError('WS_ERR_HANDSHAKE', 'x').httpResponse().startsWith('HTTP/1.1 400 Bad Request\r\n'));
  t.true(new WebSocketError('WS_ERR_HANDSHAKE', 'x', { status: 418 }).httpResponse().startsWith('HTTP/1.1 418 Error\r\n'));
  t.is(STATUS_TEXT[431], 'Request Header Fields Too Large');
});

test('the deprecated httpStatus/httpHeaders options and getters are aliases of status/headers', (t) => {
  const error = new WebSocketError('WS_ERR_HANDSHAKE', 'x', { httpStatus: 405, httpHeaders: { Allow: 'GET' } });
  t.is(error.status, 405);
  t.deepEqual(error.headers, { Allow: 'GET' });
  t.is(error.httpStatus, error.status);
  t.is(error.httpHeaders, error.headers);
});

test('every code of WebSocketErrorCode is raised somewhere in src/ (no dead codes)', (t) => {
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const union = readFileSync(join(src, 'protocol/errors.ts'), 'utf8');
  const codes = [...new Set([...union.matchAll(/\| '(WS_ERR_[A-Z0-9_]+)'/g)].map((m) => m[1]!))];
  t.true(codes.length >= 20, `found ${codes.length} codes`);
  const sources = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && file !== join('protocol', 'errors.ts'))
    .map((file) => readFileSync(join(src, file), 'utf8'))
    .join('\n');
  t.deepEqual(codes.filter((code) => !sources.includes(`'${code}'`)), []);
});
