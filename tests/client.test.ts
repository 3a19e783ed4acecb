import test, { type ExecutionContext } from 'ava';
import type { Socket } from 'node:net';
import { connect, HandshakeError } from '../src/client.js';
import { WebSocketError } from '../src/protocol/errors.js';
import { EchoWebSocket, WebSocket } from '../src/websocket.js';
import type { Message } from '../src/protocol/message.js';
import { accept, client, closePayload, delay, frame, netServer, serverWith, within, PATIENCE } from './helpers/loopback.js';

/**
 * A fake server on raw TCP: reads the request head, then writes what
 * `respond(request, key)` returns (and keeps the socket open).
 */
async function fake(t: ExecutionContext, respond: (request: string, key: string, socket: Socket) => string | Buffer | undefined) {
  const requests: string[] = [];
  const { port } = await netServer(t, (socket) => {
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      requests.push(head);
      const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? '';
      const answer = respond(head, key, socket);
      if (answer !== undefined) socket.write(answer);
    };
    socket.on('data', onData);
  });
  return { url: `ws://127.0.0.1:${port}/`, requests };
}

const switching = (key: string, extra = ''): string =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n${extra}\r\n`;

test('connect() opens a connection to our server and returns a WebSocket', async (t) => {
  const { url, port } = await serverWith(t, { handler: EchoWebSocket });
  const ws = await client(t, url);
  t.true(ws instanceof WebSocket);
  t.is(ws.readyState, 1);
  ws.send('hello');
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'hello' });
  // http:// URLs and URL objects are accepted too.
  const again = await client(t, new URL(`http://127.0.0.1:${port}/`) as unknown as string);
  t.is(again.readyState, 1);
});

test('connect() refuses other URL schemes and URLs with a fragment', async (t) => {
  await t.throwsAsync(connect('ftp://127.0.0.1/'), { instanceOf: WebSocketError, message: /scheme/ });
  await t.throwsAsync(connect('ws://127.0.0.1/#frag'), { instanceOf: WebSocketError, message: /fragment/ });
});

test('the request carries the key, version, protocols, origin and extra headers', async (t) => {
  const { url, requests } = await fake(t, (_request, key) => switching(key, 'Sec-WebSocket-Protocol: b\r\n'));
  const ws = await client(t, `${url}path?q=1`, { protocols: ['a', 'b'], origin: 'https://app.example', headers: { 'X-Token': 't1' } });
  t.is(ws.protocol, 'b');
  const request = requests[0]!;
  t.regex(request, /^GET \/path\?q=1 HTTP\/1\.1\r\n/);
  t.regex(request, /\r\nsec-websocket-version: 13\r\n/i);
  t.regex(request, /\r\nsec-websocket-protocol: a, b\r\n/i);
  t.regex(request, /\r\norigin: https:\/\/app\.example\r\n/i);
  t.regex(request, /\r\nx-token: t1\r\n/i);
  t.regex(request, /\r\nupgrade: websocket\r\n/i);
});

test('a refusal rejects with a HandshakeError carrying status, headers and body', async (t) => {
  const body = 'go away, please';
  const { url } = await fake(
    t,
    () => `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
  const error = await t.throwsAsync(within(connect(url), PATIENCE), { instanceOf: HandshakeError });
  t.is(error.status, 401);
  t.is(error.httpStatus, 401);
  t.is(error.code, 'WS_ERR_HANDSHAKE');
  t.is(error.headers['www-authenticate'], 'Basic');
  t.is(error.body, body);
  t.regex(error.message, /401/);
});

test('a refusal body is kept up to 64 KiB', async (t) => {
  const body = 'x'.repeat(100_000);
  const { url } = await fake(t, () => `HTTP/1.1 400 Bad Request\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const error = await t.throwsAsync(within(connect(url), PATIENCE), { instanceOf: HandshakeError });
  t.is(error.body.length, 64 * 1024);
});

const invalidAnswers: Record<string, (key: string) => string> = {
  'a wrong Sec-WebSocket-Accept': () =>
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  'no Sec-WebSocket-Accept': () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  'a subprotocol that was not offered': (key) => switching(key, 'Sec-WebSocket-Protocol: other\r\n'),
  // The client offers permessage-deflate by default, so the unoffered one is another extension.
  'an extension that was not offered': (key) => switching(key, 'Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n'),
  'an Upgrade header other than websocket': (key) =>
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`,
};

for (const [name, answer] of Object.entries(invalidAnswers)) {
  test(`a 101 answer with ${name} rejects with a HandshakeError and closes the socket`, async (t) => {
    let closed: Promise<void> | undefined;
    const { url } = await fake(t, (_request, key, socket) => {
      closed = new Promise((resolve) => socket.once('close', () => resolve()));
      return answer(key);
    });
    const error = await t.throwsAsync(within(connect(url, { protocols: ['chat'] }), PATIENCE), { instanceOf: HandshakeError });
    t.is(error.status, 101);
    t.is(typeof error.headers, 'object');
    await within(closed!, PATIENCE, 'the client closing the socket');
  });
}

test('a handshake with no answer times out with a HandshakeError', async (t) => {
  const { url } = await fake(t, () => undefined);
  const started = performance.now();
  const error = await t.throwsAsync(within(connect(url, { timeout: 150 }), PATIENCE), { instanceOf: HandshakeError });
  t.is(error.status, 0);
  t.regex(error.message, /timed out/);
  t.true(performance.now() - started >= 140);
});

test("ws's handshakeTimeout is accepted as connect()'s timeout", async (t) => {
  const { url } = await fake(t, () => undefined);
  const error = await t.throwsAsync(within(connect(url, { handshakeTimeout: 150 }), 5_000, 'a bounded handshake'), { instanceOf: HandshakeError });
  t.regex(error.message, /timed out/);
  await t.throwsAsync(connect(url, { handshakeTimeout: -1 }), { instanceOf: RangeError, message: /handshakeTimeout/ });
});

test('an unparsable URL rejects with a TypeError instead of throwing', async (t) => {
  let promise: Promise<unknown> | undefined;
  t.notThrows(() => {
    promise = connect('not a url');
  });
  await t.throwsAsync(promise!, { instanceOf: TypeError, message: /not a valid URL/ });
});

test('an abort signal cancels the handshake with its reason', async (t) => {
  const { url } = await fake(t, () => undefined);
  const controller = new AbortController();
  const pending = connect(url, { signal: controller.signal });
  await delay(20);
  controller.abort(new Error('user cancelled'));
  await t.throwsAsync(within(pending, PATIENCE), { message: 'user cancelled' });
  await t.throwsAsync(connect(url, { signal: AbortSignal.abort(new Error('too early')) }), { message: 'too early' });
});

test('a refused TCP connection rejects with a HandshakeError of status 0', async (t) => {
  const { port, server } = await netServer(t, () => {});
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const error = await t.throwsAsync(within(connect(`ws://127.0.0.1:${port}/`), PATIENCE), { instanceOf: HandshakeError });
  t.is(error.status, 0);
  t.regex(error.message, /connection failed/);
  // A network failure is not a protocol error from the remote side (no 1002).
  t.is(error.code, 'WS_ERR_TRANSPORT');
  t.is(error.side, 'local');
  t.is(error.closeCode, 1006);
  t.deepEqual(error.headers, {});
});

test('frames that arrive with the 101 answer are delivered', async (t) => {
  const { url } = await fake(t, (_request, key) =>
    Buffer.concat([Buffer.from(switching(key)), frame(1, 'welcome', { mask: false }), frame(2, new Uint8Array([1, 2]), { mask: false })]),
  );
  const ws = await client(t, url);
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'welcome' });
  t.deepEqual([...((await within(ws.receive(), PATIENCE)).data as Uint8Array)], [1, 2]);
});

test('client frames are masked and the server close is answered', async (t) => {
  const frames: Buffer[] = [];
  const { url } = await fake(t, (_request, key, socket) => {
    socket.on('data', (chunk: Buffer) => frames.push(chunk));
    setTimeout(() => socket.write(frame(8, closePayload(4000, 'done'), { mask: false })), 50);
    return switching(key);
  });
  const ws = await client(t, url, { closeTimeout: 200 });
  ws.send('masked');
  const outcome = await within(ws.finished, PATIENCE);
  t.deepEqual(outcome, { code: 4000, reason: 'done', wasClean: true });
  const bytes = Buffer.concat(frames);
  t.is(bytes[0], 0x81);
  t.is(bytes[1]! & 0x80, 0x80, 'the mask bit is set');
  t.false(bytes.includes(Buffer.from('masked')), 'the payload is not in clear');
  // The answer to the close frame echoes its code.
  const close = bytes.subarray(2 + 4 + 6);
  t.is(close[0], 0x88);
});

test('the WebSocketClass option runs a subclass with its hooks on the client', async (t) => {
  const seen: string[] = [];
  class Recorder extends WebSocket {
    override opened(): void {
      seen.push('opened');
    }
    override receivedMessage(message: Message): void {
      seen.push(String(message.data));
    }
  }
  const { url } = await serverWith(t, { handler: EchoWebSocket });
  const ws = await client(t, url, { WebSocketClass: Recorder });
  t.true(ws instanceof Recorder);
  ws.send('ping-pong');
  await within(
    (async () => {
      while (seen.length < 2) await delay(5);
    })(), PATIENCE,
  );
  t.deepEqual(seen, ['opened', 'ping-pong']);
});

test('maxPayload applies to what the client receives', async (t) => {
  const { url } = await serverWith(t, { handler: EchoWebSocket });
  const ws = await client(t, url, { maxPayload: 100 });
  ws.send(new Uint8Array(200));
  const outcome = await within(ws.finished, PATIENCE);
  t.is(ws.error?.closeCode, 1009);
  t.false(outcome.wasClean && outcome.code === 1000);
});
