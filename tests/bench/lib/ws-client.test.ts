import test from 'ava';
import fc from 'fast-check';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { FrameCounter, openMany, openWebSocket, pongFrame, upgradeRequest } from '../../../bench/lib/ws-client.js';
import { frame, messageStream } from '../../../bench/lib/frames.js';

const MASK = Uint8Array.of(1, 2, 3, 4);

/** Feed `bytes` in pieces cut at `cuts` (sorted offsets); returns the total count. */
function countSplit(bytes: Uint8Array, cuts: readonly number[]): number {
  const counter = new FrameCounter();
  let total = 0;
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    total += counter.push(bytes.subarray(at, cut));
    at = cut;
  }
  return total;
}

test('the upgrade request carries the headers RFC 6455 §4.1 requires', (t) => {
  const text = upgradeRequest('127.0.0.1', 9000, '/x').toString('latin1');
  t.true(text.startsWith('GET /x HTTP/1.1\r\n'));
  for (const header of ['Host: 127.0.0.1:9000', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13']) t.true(text.includes(`${header}\r\n`));
  t.true(text.endsWith('\r\n\r\n'));
});

test('the counter counts data messages of every length form, masked or not', (t) => {
  const frames = [0, 5, 125, 126, 65535, 65536, 70000].flatMap((n) => [frame(0x82, new Uint8Array(n)), frame(0x81, new Uint8Array(n).fill(0x61), MASK)]);
  const counter = new FrameCounter();
  t.is(counter.push(Buffer.concat(frames)), frames.length);
  t.is(counter.payloadBytes, 2 * (0 + 5 + 125 + 126 + 65535 + 65536 + 70000));
});

test('the counter skips control frames and counts a fragmented message once', (t) => {
  const bytes = Buffer.concat([
    frame(0x89, Uint8Array.of(1, 2)), // ping
    frame(0x02, new Uint8Array(10)), // first fragment
    frame(0x8a, new Uint8Array(0)), // pong in between
    frame(0x00, new Uint8Array(10)), // continuation
    frame(0x80, new Uint8Array(3)), // final continuation
  ]);
  t.is(new FrameCounter().push(bytes), 1);
});

test('the counter gives the same count for any split of the stream', (t) => {
  const stream = Buffer.concat([messageStream(new Uint8Array(3), 2, 5, 1), messageStream(new Uint8Array(300), 1, 3, 2), messageStream(new Uint8Array(70_000), 2, 2, 3, 1000)]);
  const expected = 5 + 3 + 2;
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
      return countSplit(stream, [...cuts].sort((a, b) => a - b)) === expected;
    }),
    { numRuns: 1000 },
  );
  // One byte at a time too.
  t.is(countSplit(stream, Array.from({ length: stream.length - 1 }, (_, i) => i + 1)), expected);
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

test('openWebSocket completes the upgrade and keeps bytes that follow the 101 head', async (t) => {
  const server = createServer((socket) => {
    socket.once('data', () => socket.end(Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'), frame(0x82, Uint8Array.of(7))])));
  });
  const port = await listen(server);
  try {
    const { socket, rest } = await openWebSocket('127.0.0.1', port);
    t.is(new FrameCounter().push(rest), 1);
    socket.destroy();
  } finally {
    server.close();
  }
});

test('openWebSocket rejects a refused upgrade and openMany opens every connection', async (t) => {
  let refuse = true;
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => socket.write(refuse ? 'HTTP/1.1 403 Forbidden\r\n\r\n' : 'HTTP/1.1 101 Switching Protocols\r\n\r\n'));
  });
  const port = await listen(server);
  try {
    await t.throwsAsync(openWebSocket('127.0.0.1', port), { message: /403/ });
    refuse = false;
    const opened = await openMany('127.0.0.1', port, 20, 4);
    t.is(opened.length, 20);
    for (const { socket } of opened) socket.destroy();
  } finally {
    for (const socket of sockets) socket.destroy();
    server.close();
  }
});

test('the counter hands every ping payload over, even split across chunks, and pongFrame masks it', (t) => {
  const pings: string[] = [];
  const counter = new FrameCounter((payload) => pings.push(Buffer.from(payload).toString()));
  const bytes = Buffer.concat([frame(0x89, Buffer.from('ka')), frame(0x82, Uint8Array.of(1)), frame(0x89, Buffer.alloc(0)), frame(0x89, Buffer.from('hello'))]);
  t.is(countSplit(bytes, []), 1);
  let total = 0;
  for (let i = 0; i < bytes.length; i++) total += counter.push(bytes.subarray(i, i + 1));
  t.is(total, 1);
  t.deepEqual(pings, ['ka', '', 'hello']);
  const pong = pongFrame(Buffer.from('ka'));
  t.is(pong[0], 0x8a);
  t.is(pong[1], 0x82);
  t.is(String.fromCharCode(pong[6]! ^ pong[2]!, pong[7]! ^ pong[3]!), 'ka');
});
