import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { serve, type ServeOptions, type WebSocketServer } from '../../src/server/serve.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { delay, frame, rawClient, rawHttp, tcp, upgradeRequest, within, closePayload, accept } from '../helpers/loopback.js';
import { wsPeer } from '../helpers/ws-peer.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';

/** `serve()` on 127.0.0.1 and a free port, closed on teardown. */
async function start(t: ExecutionContext, options: Partial<ServeOptions>): Promise<{ server: WebSocketServer; port: number; url: string }> {
  const server = serve({ port: 0, host: '127.0.0.1', ...options } as ServeOptions);
  t.teardown(() => server.close({ timeout: 200 }));
  await within(server.listening, 3000, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, port, url: `ws://127.0.0.1:${port}` };
}

/** Send `text` and read the raw reply until the server ends the connection. */
function ask(t: ExecutionContext, port: number, text: string | Buffer): ReturnType<typeof rawHttp> {
  return rawHttp(t, port, text as string);
}

async function echoes(t: ExecutionContext, url: string, text = 'still alive'): Promise<void> {
  const peer = await wsPeer(t, url);
  peer.ws.send(text);
  t.is(await peer.messages.next(3000), text);
  peer.ws.close(1000);
  t.is((await within(peer.closed, 3000)).code, 1000);
}

/** Resolves when `socket` is closed, whether it ended or was reset. */
function closed(socket: Socket): Promise<void> {
  return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/** 'connected', or the error code of a TCP connection attempt to `port`. */
function connectOutcome(port: number): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket: Socket = netConnect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

const shout = (prefix: string) => async (ws: WebSocket) => {
  for await (const message of ws) ws.send(`${prefix}${String(message.data)}`);
};

test('a ws client is echoed and closes cleanly with 1000', async (t) => {
  const { url, server } = await start(t, { handler: EchoWebSocket });
  const peer = await wsPeer(t, `${url}/`);
  peer.ws.send('hello');
  t.is(await peer.messages.next(3000), 'hello');
  peer.ws.send(Buffer.from([1, 2, 3]));
  t.deepEqual(await peer.messages.next(3000), Buffer.from([1, 2, 3]));
  t.is(server.manager.size, 1);
  peer.ws.close(1000, 'bye');
  t.deepEqual(await within(peer.closed, 3000), { code: 1000, reason: 'bye' });
  await within(
    (async () => {
      while (server.manager.size > 0) await delay(5);
    })(),
    3000,
    'manager emptied',
  );
  t.is(server.manager.size, 0);
});

test('upgrades are routed by exact path, and an unknown path gets 404', async (t) => {
  const { url, port } = await start(t, { routes: { '/a': shout('a:'), '/b': shout('b:') } });
  const a = await wsPeer(t, `${url}/a?query=1`);
  const b = await wsPeer(t, `${url}/b`);
  a.ws.send('x');
  b.ws.send('y');
  t.is(await a.messages.next(3000), 'a:x');
  t.is(await b.messages.next(3000), 'b:y');
  for (const path of ['/c', '/a/', '/constructor', '/__proto__']) {
    const response = await ask(t, port, upgradeRequest(path).text);
    t.is(response.status, 404, path);
    t.is(response.body, 'No WebSocket endpoint at this path\n');
  }
  // An absolute-form request-target is routed by its path.
  const { text } = upgradeRequest(`http://127.0.0.1:${port}/a`);
  const socket = await tcp(t, port);
  socket.write(text);
  const [head] = (await within(once(socket, 'data'), 3000)) as [Buffer];
  t.regex(head.toString('latin1'), /^HTTP\/1\.1 101 /);
});

test('a routing function chooses the handler per request; undefined means 404', async (t) => {
  const { url, port } = await start(t, {
    routes: (request) => (request.url?.startsWith('/room/') ? shout(`${request.url}:`) : undefined),
  });
  const peer = await wsPeer(t, `${url}/room/7`);
  peer.ws.send('hi');
  t.is(await peer.messages.next(3000), '/room/7:hi');
  t.is((await ask(t, port, upgradeRequest('/hall').text)).status, 404);
});

test('serve() needs a handler or routes', (t) => {
  t.throws(() => serve({ port: 0 }), { instanceOf: TypeError });
});

test('an ordinary HTTP request gets 426 with a short text', async (t) => {
  const { port } = await start(t, { handler: EchoWebSocket });
  const response = await ask(t, port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  t.is(response.status, 426);
  t.is(response.headers.upgrade, 'websocket');
  t.is(response.headers.connection, 'close');
  t.is(response.body, 'This server only speaks WebSocket\n');
  // fetch() sees the same answer.
  const fetched = await fetch(`http://127.0.0.1:${port}/`);
  t.is(fetched.status, 426);
  t.is(await fetched.text(), 'This server only speaks WebSocket\n');
});

test('onRequest answers ordinary HTTP requests while upgrades still work', async (t) => {
  const { port, url } = await start(t, {
    handler: EchoWebSocket,
    onRequest: (request, socket) => {
      const body = `${request.method} ${request.url} ${String(request.headers['x-test'])}`;
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    },
  });
  const response = await fetch(`http://127.0.0.1:${port}/health?x=1`, { headers: { 'X-Test': 'yes' } });
  t.is(response.status, 200);
  t.is(await response.text(), 'GET /health?x=1 yes');
  await echoes(t, url);
});

// Every malformed request gets its status, and the server keeps serving.
const malformed: [title: string, request: () => string | Buffer, status: number, body?: RegExp][] = [
  ['a bad request line', () => 'GET /\r\nHost: x\r\n\r\n', 400, /request line/],
  ['two spaces in the request line', () => 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n', 400, /request line/],
  ['a lower-case HTTP version', () => 'GET / http/1.1\r\nHost: x\r\n\r\n', 400, /version/],
  ['an HTTP/2 preface', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505],
  ['a header without a colon', () => upgradeRequest('/').text.replace('Upgrade: websocket', 'Upgrade websocket'), 400, /colon/],
  ['whitespace before the colon', () => upgradeRequest('/').text.replace('Upgrade:', 'Upgrade :'), 400, /whitespace/],
  ['a bare LF line ending', () => upgradeRequest('/').text.replace('Connection: Upgrade\r\n', 'Connection: Upgrade\n'), 400, /bare LF/],
  ['a bare CR', () => upgradeRequest('/').text.replace('Connection: Upgrade\r\n', 'Connection: Upgrade\rX: y\r\n'), 400, /bare CR/],
  ['a NUL byte', () => upgradeRequest('/').text.replace('Upgrade: websocket', 'Upgrade: web\0socket'), 400, /NUL/],
  ['obs-fold', () => upgradeRequest('/').text.replace('Connection: Upgrade\r\n', 'Connection: keep-alive,\r\n Upgrade\r\n'), 400, /folding/],
  ['a duplicate Sec-WebSocket-Key', () => upgradeRequest('/').text.replace('\r\n\r\n', '\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n'), 400, /Sec-WebSocket-Key/],
  ['a duplicate Host', () => upgradeRequest('/').text.replace('\r\n\r\n', '\r\nHost: other\r\n\r\n'), 400, /Host/],
  ['a missing Host', () => upgradeRequest('/', { Host: null }).text, 400, /Host/],
  ['Content-Length: 5 on the upgrade', () => upgradeRequest('/', { 'Content-Length': '5' }).text + 'hello', 400, /body/],
  ['Transfer-Encoding on the upgrade', () => upgradeRequest('/', { 'Transfer-Encoding': 'chunked' }).text + '0\r\n\r\n', 400, /body/],
  ['Content-Length with Transfer-Encoding', () => upgradeRequest('/', { 'Content-Length': '0', 'Transfer-Encoding': 'chunked' }).text, 400, /Transfer-Encoding/],
  ['POST instead of GET', () => upgradeRequest('/', {}, 'POST').text, 405],
  ['version 8', () => upgradeRequest('/', { 'Sec-WebSocket-Version': '8' }).text, 426],
  ['HTTP/1.0', () => upgradeRequest('/').text.replace('HTTP/1.1', 'HTTP/1.0'), 400, /version/],
  ['a missing Sec-WebSocket-Key', () => upgradeRequest('/', { 'Sec-WebSocket-Key': null }).text, 400, /Sec-WebSocket-Key/],
  ['an invalid Sec-WebSocket-Key', () => upgradeRequest('/', { 'Sec-WebSocket-Key': 'short' }).text, 400, /Sec-WebSocket-Key/],
  ['a non-websocket Upgrade', () => upgradeRequest('/', { Upgrade: 'h2c' }).text, 400, /Upgrade/],
  ['a 20 KiB header (default limit 16 KiB)', () => upgradeRequest('/', { 'X-Big': 'a'.repeat(20 * 1024) }).text, 431],
  ['101 header fields (default limit 100)', () => upgradeRequest('/', Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`X-H${i}`, 'v']))).text, 431],
];

test('malformed requests get the right status and a reason, and the server keeps serving', async (t) => {
  const { port, url } = await start(t, { handler: EchoWebSocket });
  for (const [title, request, status, body] of malformed) {
    const response = await ask(t, port, request());
    t.is(response.status, status, title);
    t.is(response.headers['content-type'], 'text/plain; charset=utf-8', title);
    if (body) t.regex(response.body, body, title);
    if (status === 405) t.is(response.headers.allow, 'GET');
    if (status === 426) t.is(response.headers['sec-websocket-version'], '13');
  }
  await echoes(t, url);
});

test('maxHeaderBytes and maxHeaderCount are configurable and answered 431', async (t) => {
  const { port, url } = await start(t, { handler: EchoWebSocket, maxHeaderBytes: 1024, maxHeaderCount: 8 });
  const big = await ask(t, port, upgradeRequest('/', { 'X-Big': 'a'.repeat(1100) }).text);
  t.is(big.status, 431);
  t.regex(big.body, /larger than 1024 bytes/);
  const many = await ask(t, port, upgradeRequest('/', { A: '1', B: '2', C: '3', D: '4' }).text);
  t.is(many.status, 431);
  t.regex(many.body, /more than 8 header fields/);
  // A head that never ends is cut at the limit instead of being buffered.
  const socket = await tcp(t, port);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write('GET / HTTP/1.1\r\nX: ');
  for (let i = 0; i < 4; i++) socket.write('b'.repeat(400));
  await within(once(socket, 'end'), 3000, 'cut at the limit');
  t.regex(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 431 /);
  await echoes(t, url);
});

test('an upgrade request split into single bytes, with a frame pipelined after it, is served', async (t) => {
  const { port } = await start(t, { handler: EchoWebSocket });
  const socket = await tcp(t, port);
  const { text, key } = upgradeRequest('/');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  for (const byte of Buffer.concat([Buffer.from(text), frame(0x1, 'early')])) {
    socket.write(Buffer.from([byte]));
    await delay(0);
  }
  const expected = [0x81, 5, ...Buffer.from('early')];
  const reply = (): Buffer => Buffer.concat(chunks);
  const bodyOf = (data: Buffer): Buffer => data.subarray(data.indexOf('\r\n\r\n') + 4);
  await within(
    (async () => {
      while (!reply().includes('\r\n\r\n') || bodyOf(reply()).length < expected.length) await delay(5);
    })(),
    3000,
    'echo',
  );
  const data = reply();
  t.true(data.subarray(0, data.indexOf('\r\n\r\n')).toString().includes(`Sec-WebSocket-Accept: ${accept(key)}`));
  t.deepEqual([...bodyOf(data)], expected);
  // The head and the first frame in one write work too.
  const together = await tcp(t, port);
  const answer: Buffer[] = [];
  together.on('data', (chunk: Buffer) => answer.push(chunk));
  together.write(Buffer.concat([Buffer.from(upgradeRequest('/').text), frame(0x1, 'early')]));
  await within(
    (async () => {
      while (bodyOf(Buffer.concat(answer)).length < expected.length || !Buffer.concat(answer).includes('\r\n\r\n')) await delay(5);
    })(),
    3000,
    'echo of a pipelined frame',
  );
  t.deepEqual([...bodyOf(Buffer.concat(answer))], expected);
});

test('property: arbitrary request heads never crash the server', async (t) => {
  const { port, url } = await start(t, { handler: EchoWebSocket, headerTimeout: 500 });
  const line = fc.stringMatching(/^[ -~]{0,40}$/);
  const failures: string[] = [];
  const result = await fc.check(
    fc.asyncProperty(fc.array(fc.oneof(line, fc.constant('Upgrade: websocket'), fc.constant('Host: x')), { maxLength: 6 }), fc.constantFrom('\r\n', '\n', '\r'), async (lines, eol) => {
      const socket = await tcp(t, port);
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.end(`${lines.join(eol)}\r\n\r\n`);
      await within(closed(socket), 5000, 'server answer');
      const reply = Buffer.concat(chunks).toString('latin1');
      // Either nothing (dropped) or an HTTP error answer: never a 101, never a crash.
      if (reply === '' || /^HTTP\/1\.1 (4\d\d|505) /.test(reply)) return true;
      failures.push(`unexpected reply ${JSON.stringify(reply)} to ${JSON.stringify(lines.join(eol))}`);
      return false;
    }),
    { numRuns: 200 },
  );
  t.false(result.failed, `${fc.defaultReportMessage(result)} ${String((result.errorInstance as Error | undefined)?.message)} ${failures.join(', ')}`);
  await echoes(t, url);
});

test('slowloris: a client that never finishes its head is dropped after headerTimeout', async (t) => {
  const { port, url } = await start(t, { handler: EchoWebSocket, headerTimeout: 200 });
  const silent = await tcp(t, port);
  const started = Date.now();
  silent.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  // A second one trickles bytes: activity does not extend the deadline.
  const trickler = await tcp(t, port);
  let stop = false;
  void (async () => {
    for (const byte of Buffer.from(upgradeRequest('/').text)) {
      if (stop || trickler.destroyed) break;
      trickler.write(Buffer.from([byte]));
      await delay(20);
    }
  })();
  await within(Promise.all([closed(silent), closed(trickler)]), 3000, 'slow clients dropped');
  stop = true;
  const elapsed = Date.now() - started;
  t.true(elapsed >= 150, `dropped after ${elapsed} ms`);
  await echoes(t, url);
});

test('handshakeTimeout, the deprecated name of headerTimeout, still drops a client that never finishes its head; headerTimeout wins over it', async (t) => {
  let dropped = 0;
  for (const options of [{ handshakeTimeout: 200 }, { handshakeTimeout: 60_000, headerTimeout: 200 }]) {
    const { port } = await start(t, { handler: EchoWebSocket, ...options });
    const silent = await tcp(t, port);
    silent.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await within(closed(silent), 5000, `silent client dropped with ${JSON.stringify(options)}`);
    dropped++;
  }
  t.is(dropped, 2);
});

test('headerTimeout bounds the request head only: a verify() slower than it still opens', async (t) => {
  const { url } = await start(t, { handler: EchoWebSocket, headerTimeout: 300, verify: () => delay(600).then(() => true) });
  await echoes(t, url);
});

test('the header timeout (here by its deprecated name, handshakeTimeout) does not touch a connection once it is open', async (t) => {
  // Long enough for a loaded machine to finish the handshake in time (100 ms was not, on CI).
  const { url } = await start(t, { handler: EchoWebSocket, headerTimeout: 1000 });
  const peer = await wsPeer(t, url);
  await delay(1300);
  peer.ws.send('after the deadline');
  t.is(await peer.messages.next(3000), 'after the deadline');
});

/** A throwaway self-signed certificate from openssl (run asynchronously: RSA key generation takes a while), or undefined. */
async function makeCertificate(): Promise<{ key: string; cert: string } | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'ws4ts-tls-'));
  try {
    const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'];
    await promisify(execFile)('openssl', [...args, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { timeout: 30_000 });
    return { key: await readFile(join(dir, 'key.pem'), 'utf8'), cert: await readFile(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('tls: {key, cert} serves wss:// to a ws client', async (t) => {
  // A fresh certificate from openssl, or the committed test certificate without it.
  const credentials = (await makeCertificate()) ?? { key: TEST_KEY, cert: TEST_CERT };
  const { port, server } = await start(t, { handler: EchoWebSocket, tls: credentials, headerTimeout: 300 });
  // A client that never starts its TLS handshake is dropped after headerTimeout too.
  const silent = await tcp(t, port);
  const silentGone = closed(silent);
  const url = `wss://127.0.0.1:${port}/`;
  const peer = await wsPeer(t, url, { ca: credentials.cert });
  peer.ws.send('secret');
  t.is(await peer.messages.next(3000), 'secret');
  const big = Buffer.alloc(1 << 20, 7);
  peer.ws.send(big);
  // (Buffer.equals: ava's deepEqual walks a 1 MiB buffer for a second, stalling every test in the file.)
  t.true(big.equals((await peer.messages.next(5000)) as Buffer));
  const insecure = await wsPeer(t, url, { rejectUnauthorized: false });
  insecure.ws.send('x');
  t.is(await insecure.messages.next(3000), 'x');
  // A plain-TCP client speaking HTTP to the TLS port is dropped without a crash.
  const plain = await tcp(t, port);
  plain.write(upgradeRequest('/').text);
  await within(closed(plain), 3000, 'plain client dropped');
  await within(silentGone, 3000, 'silent client dropped');
  peer.ws.close(1000);
  t.is((await within(peer.closed, 3000)).code, 1000);
  await server.close({ timeout: 500 });
  t.is((await within(insecure.closed, 3000)).code, 1001);
});

test('a Unix socket path is served and removed on close', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ws4ts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'serve.sock');
  const server = serve({ path, handler: EchoWebSocket });
  t.teardown(() => server.close({ timeout: 200 }));
  await within(server.listening, 3000, 'listening');
  t.is(server.address(), path);
  const peer = await wsPeer(t, `ws+unix:${path}:/`);
  peer.ws.send('over a unix socket');
  t.is(await peer.messages.next(3000), 'over a unix socket');
  await server.close();
  t.is((await within(peer.closed, 3000)).code, 1001);
  t.false(existsSync(path));
  await within(server.listen(), 3000, 'listening again on the same path');
  const again = await wsPeer(t, `ws+unix:${path}:/`);
  again.ws.send('again');
  t.is(await again.messages.next(3000), 'again');
});

test('listening, address(), close() and listening again', async (t) => {
  const { server, port, url } = await start(t, { handler: EchoWebSocket });
  const address = server.address() as AddressInfo;
  t.is(address.address, '127.0.0.1');
  t.true(port > 0);
  const peer = await wsPeer(t, url);
  const half = await tcp(t, port); // in its HTTP handshake
  const halfClosed = closed(half);
  half.write('GET / HTTP/1.1\r\n');
  const started = Date.now();
  await within(server.close({ timeout: 1000 }), 3000, 'close');
  t.true(Date.now() - started < 5000, 'close does not wait for the 10 s handshake timeout');
  t.deepEqual(await within(peer.closed, 3000), { code: 1001, reason: 'server closing' });
  await within(halfClosed, 3000, 'half-open client dropped');
  t.is(server.manager.size, 0);
  t.is(server.address(), null);
  // Nobody listens any more.
  t.is(await connectOutcome(port), 'ECONNREFUSED');
  // Listening again (same options: a new free port here).
  await within(server.listen(), 3000, 'listen again');
  await within(server.listening, 1000);
  const again = (server.address() as AddressInfo).port;
  await echoes(t, `ws://127.0.0.1:${again}`);
  await server.close();
  await server.close(); // idempotent
});

test('listening rejects when the port is taken, and close() still resolves', async (t) => {
  const blocker = createNetServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const { port } = blocker.address() as AddressInfo;
  const server = serve({ port, host: '127.0.0.1', handler: EchoWebSocket });
  const error = await t.throwsAsync(within(server.listening, 3000));
  t.is((error as NodeJS.ErrnoException).code, 'EADDRINUSE');
  await within(server.close(), 3000, 'close after a failed listen');
});

test('serve() shares the given manager and its shutdown stops the listener', async (t) => {
  const { server, url, port } = await start(t, { handler: EchoWebSocket });
  const peer = await wsPeer(t, url);
  await within(server.manager.shutdown({ timeout: 500 }), 3000, 'shutdown');
  t.is((await within(peer.closed, 3000)).code, 1001);
  t.is(await connectOutcome(port), 'ECONNREFUSED');
  await server.listen();
  await echoes(t, `ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

test('a raw client that closes is answered and removed from the manager', async (t) => {
  const { port, server } = await start(t, { handler: EchoWebSocket });
  const peer = await rawClient(t, port, '/');
  peer.socket.write(frame(0x1, 'raw'));
  const echo = await peer.frames.waitFor((f) => f.opcode === 0x1);
  t.is(echo.payload.toString(), 'raw');
  t.false(echo.masked);
  peer.socket.write(frame(0x8, closePayload(1000, 'done')));
  const close = await peer.frames.waitFor((f) => f.opcode === 0x8);
  t.is(close.payload.readUInt16BE(0), 1000);
  await peer.frames.waitEnd();
  await within(
    (async () => {
      while (server.manager.size > 0) await delay(5);
    })(),
    3000,
  );
  t.is(server.manager.size, 0);
});

/** Capture console.error while `fn` runs (a throwing callback is reported there). */
async function capturingErrors<T>(fn: () => Promise<T>): Promise<{ result: T; reported: string[] }> {
  const original = console.error;
  const reported: string[] = [];
  console.error = (...args: unknown[]) => void reported.push(args.map(String).join(' '));
  try {
    return { result: await fn(), reported };
  } finally {
    console.error = original;
  }
}

test('a throwing onRequest or routes function answers 500 and the server keeps serving', async (t) => {
  const { port, url } = await start(t, {
    routes: (request) => {
      if (request.url === '/throw') throw new Error('routing failed');
      return EchoWebSocket;
    },
    onRequest: (request, socket) => {
      if (request.url === '/half') socket.write('HTTP/1.1 200 OK\r\n');
      throw new Error('onRequest failed');
    },
  });
  const { result, reported } = await capturingErrors(async () => ({
    plain: await ask(t, port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    routed: await ask(t, port, upgradeRequest('/throw').text),
    half: await (async () => {
      // Half an answer was written: the connection is closed rather than answered twice.
      const socket = await tcp(t, port);
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.write('GET /half HTTP/1.1\r\nHost: x\r\n\r\n');
      await within(closed(socket), 3000, 'closed');
      return Buffer.concat(chunks).toString();
    })(),
  }));
  t.is(result.plain.status, 500);
  t.is(result.plain.body, 'Internal server error\n');
  t.is(result.routed.status, 500);
  t.is(result.half, 'HTTP/1.1 200 OK\r\n');
  t.true(reported.some((line) => line.includes('onRequest threw') && line.includes('onRequest failed')));
  t.true(reported.some((line) => line.includes('routes function threw') && line.includes('routing failed')));
  await echoes(t, url);
});

test('close() does not wait for a client holding an ordinary HTTP connection open', async (t) => {
  const { port, server } = await start(t, {
    handler: EchoWebSocket,
    // A keep-alive answer: the socket stays open after it.
    onRequest: (_request, socket) => void socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
  });
  const socket = await tcp(t, port);
  const gone = closed(socket);
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await within(once(socket, 'data'), 3000, 'answer');
  const started = Date.now();
  await within(server.close({ timeout: 200 }), 3000, 'close');
  t.true(Date.now() - started >= 150, 'the request had its grace period');
  await within(gone, 1000);
});

test('an upgrade whose async verify ends during a shutdown is refused with 503, and the shutdown completes', async (t) => {
  let verifying!: () => void;
  const verifyStarted = new Promise<void>((resolve) => (verifying = resolve));
  const verify = (): Promise<boolean> => {
    verifying();
    return delay(300).then(() => true);
  };
  const { url, server } = await start(t, { handler: EchoWebSocket, verify });
  const opening = wsPeer(t, url);
  opening.catch(() => {});
  await within(verifyStarted, 3000, 'verify called');
  await within(server.manager.shutdown({ timeout: 3000 }), 3000, 'shutdown');
  const refused = await t.throwsAsync(opening);
  t.regex(refused.message, /503/);
});
