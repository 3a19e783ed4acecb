import test, { type ExecutionContext } from 'ava';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebStreamTransport, type WebStreamPair } from '../../src/transport/web-stream.js';
import type { TransportSink } from '../../src/transport/transport.js';
import { runHandler, type Handler } from '../../src/handler.js';
import { EchoWebSocket, WebSocket, startWebSocket, type WebSocketOptions } from '../../src/websocket.js';
import type { Message } from '../../src/protocol/message.js';
import { accept, client, delay, netServer, Queue, until, within, PATIENCE } from '../helpers/loopback.js';

/**
 * A WebSocket server that does the handshake by hand on raw TCP and then
 * runs the connection over `Duplex.toWeb(socket)`.
 */
async function webStreamServer(t: ExecutionContext, handler: Handler, options: WebSocketOptions = {}) {
  const accepted = new Queue<WebSocket>();
  const { port } = await netServer(t, (socket: Socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const key = /sec-websocket-key: *(\S+)/i.exec(head.subarray(0, end).toString())![1]!;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
      const rest = head.subarray(end + 4);
      const pair = Duplex.toWeb(socket) as unknown as WebStreamPair;
      const ws = runHandler(handler, {
        transport: new WebStreamTransport(pair, socket.remoteAddress),
        role: 'server',
        head: rest.length > 0 ? rest : undefined,
        options,
      });
      accepted.push(ws);
    };
    socket.on('data', onData);
  });
  return { url: `ws://127.0.0.1:${port}/`, accepted };
}

test('a server connection over Duplex.toWeb(socket) echoes text, binary and 1 MiB messages', async (t) => {
  const { url, accepted } = await webStreamServer(t, EchoWebSocket);
  const ws = await client(t, url);
  const server = await accepted.next();
  t.is(server.remoteAddress, '127.0.0.1');
  ws.send('web streams');
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'web streams' });
  ws.send(new Uint8Array([1, 2, 3]));
  t.deepEqual([...((await within(ws.receive(), PATIENCE)).data as Uint8Array)], [1, 2, 3]);
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
  ws.send(big);
  const reply = await within(ws.receive(), PATIENCE);
  t.true(Buffer.from(reply.data as Uint8Array).equals(Buffer.from(big)));
});

test('close handshakes over web streams are clean in both directions', async (t) => {
  const { url, accepted } = await webStreamServer(t, EchoWebSocket);
  const a = await client(t, url);
  const serverA = await accepted.next();
  t.deepEqual(await within(a.close(4000, 'from client'), PATIENCE), { code: 4000, reason: 'from client', wasClean: true });
  t.deepEqual(await within(serverA.finished, PATIENCE), { code: 4000, reason: 'from client', wasClean: true });
  const b = await client(t, url);
  const serverB = await accepted.next();
  await within(serverB.close(4001, 'from server'), PATIENCE);
  t.deepEqual(await within(b.finished, PATIENCE), { code: 4001, reason: 'from server', wasClean: true });
});

test('an abrupt drop of the peer is 1006 over web streams', async (t) => {
  const { url, accepted } = await webStreamServer(t, EchoWebSocket);
  const ws = await client(t, url);
  const server = await accepted.next();
  ws.terminate();
  t.deepEqual(await within(server.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });
});

test('a consumer that does not pull stops the reads over web streams too', async (t) => {
  let delivered = 0;
  class Counting extends WebSocket {
    override receivedMessage(message: Message): void {
      delivered++;
      super.receivedMessage(message);
    }
  }
  const { url, accepted } = await webStreamServer(t, Counting, { highWaterMark: 4 });
  const ws = await client(t, url, { maxBufferedAmount: null }); // 19 MiB queued at once on purpose
  const server = await accepted.next();
  const count = 300;
  for (let i = 0; i < count; i++) ws.send(new Uint8Array(64 * 1024).fill(i & 0xff));
  await delay(500);
  t.true(delivered < 40, `${delivered} messages taken in by a consumer that never pulled`);
  t.true(ws.bufferedAmount > 4 * 1024 * 1024, `client still holds ${ws.bufferedAmount} bytes`);
  let i = 0;
  for await (const message of server) {
    t.is((message.data as Uint8Array)[0], i & 0xff);
    if (++i === count) break;
  }
  t.is(i, count);
});

/** Two WebSockets joined by a pair of TransformStreams (no socket at all). */
function webPair(): { client: WebSocket; server: WebSocket; clientTransport: WebStreamTransport; serverTransport: WebStreamTransport } {
  const up = new TransformStream<Uint8Array, Uint8Array>();
  const down = new TransformStream<Uint8Array, Uint8Array>();
  const clientTransport = new WebStreamTransport({ readable: down.readable, writable: up.writable });
  const serverTransport = new WebStreamTransport({ readable: up.readable, writable: down.writable });
  const server = runHandler(EchoWebSocket, { transport: serverTransport, role: 'server' });
  const client = new WebSocket({ transport: clientTransport, role: 'client' });
  startWebSocket(client);
  return { client, server, clientTransport, serverTransport };
}

test('two WebSockets talk over in-memory web streams', async (t) => {
  const { client, server } = webPair();
  t.teardown(() => {
    client.terminate();
    server.terminate();
  });
  client.send('in memory');
  t.deepEqual(await within(client.receive(), PATIENCE), { type: 'text', data: 'in memory' });
  t.is(client.remoteAddress, undefined);
  t.deepEqual(await within(client.close(), PATIENCE), { code: 1000, reason: '', wasClean: true });
  t.deepEqual(await within(server.finished, PATIENCE), { code: 1000, reason: '', wasClean: true });
});

test('writableLength counts bytes the writable has not taken yet, and onDrain follows', async (t) => {
  // A writable that holds every chunk until released.
  const held: (() => void)[] = [];
  const writable = new WritableStream<Uint8Array>(
    { write: () => new Promise<void>((resolve) => held.push(resolve)) },
    { highWaterMark: 1 },
  );
  const readable = new ReadableStream<Uint8Array>();
  const transport = new WebStreamTransport({ readable, writable });
  const events: string[] = [];
  const sink: TransportSink = {
    onData: () => {},
    onEnd: () => void events.push('end'),
    onClose: () => void events.push('close'),
    onDrain: () => void events.push('drain'),
  };
  transport.attach(sink);
  t.true(transport.write([new Uint8Array(1000)]));
  t.false(transport.write([new Uint8Array(100_000)]));
  t.is(transport.writableLength, 101_000);
  while (transport.writableLength > 0) {
    held.shift()?.();
    await delay(1);
  }
  t.true(events.includes('drain'));
  transport.destroy();
  transport.destroy();
  t.is(events.filter((e) => e === 'close').length, 1);
});

test('pause stops pulling from the readable until resume', async (t) => {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) }, { highWaterMark: 0 });
  const transport = new WebStreamTransport({ readable, writable: new WritableStream() });
  const data: string[] = [];
  transport.attach({ onData: (chunk) => void data.push(Buffer.from(chunk).toString()), onEnd: () => {}, onClose: () => {}, onDrain: () => {} });
  controller.enqueue(Buffer.from('a'));
  await until(() => data.length === 1, PATIENCE);
  transport.pause();
  controller.enqueue(Buffer.from('b')); // may already be awaited by the pending read
  controller.enqueue(Buffer.from('c'));
  await delay(20);
  t.true(data.length <= 2, 'at most the read already in flight completes while paused');
  transport.resume();
  await until(() => data.length === 3, PATIENCE);
  t.deepEqual(data, ['a', 'b', 'c']);
  transport.destroy();
});
