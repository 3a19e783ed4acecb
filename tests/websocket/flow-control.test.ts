/**
 * src/websocket/flow-control.ts: reading pauses while the application does
 * not take what was read, and drain() waits for a peer that does not read.
 */
import test from 'ava';
import { WebSocket } from '../../src/websocket.js';
import type { Message } from '../../src/protocol/message.js';
import { client, delay, rawClient, serverWith, until, within } from '../helpers/loopback.js';
import { echo } from './shared.js';

test.serial('a consumer that does not pull pauses the socket: the server queue stays bounded and the sender buffers', async (t) => {
  let delivered = 0;
  class Counting extends WebSocket {
    override receivedMessage(message: Message): void {
      delivered++;
      super.receivedMessage(message);
    }
  }
  // Incompressible-size messages: permessage-deflate off, so the sender's buffer shows the backpressure.
  const { url, accepted, sockets } = await serverWith(t, { handler: Counting, highWaterMark: 8, deflate: false });
  // The sender queues 25 MiB at once on purpose: no output cap on it.
  const ws = await client(t, url, { maxBufferedAmount: null });
  const server = await accepted.next();
  const count = 400; // 400 × 64 KiB = 25 MiB
  for (let i = 0; i < count; i++) {
    const message = new Uint8Array(64 * 1024);
    message[0] = i & 0xff;
    ws.send(message);
  }
  const [socket] = sockets;
  await until(() => socket!.isPaused(), 5000, 'server socket paused');
  await delay(300);
  // Several messages can arrive in the chunk that crossed the mark, no more.
  t.true(delivered <= 8 + 4, `${delivered} messages delivered to a consumer that never pulled`);
  t.true(socket!.isPaused());
  t.true(ws.bufferedAmount > 8 * 1024 * 1024, `client still holds ${ws.bufferedAmount} bytes`);
  // Once the consumer pulls, everything arrives in order and the sender drains.
  let i = 0;
  for await (const message of server) {
    t.is((message.data as Uint8Array)[0], i & 0xff);
    if (++i === count) break;
  }
  await until(() => ws.bufferedAmount === 0, 10_000, 'client drained');
  t.is(i, count);
});

test.serial('bufferedAmount grows while the peer does not read and drain() resolves once it reads', async (t) => {
  // 32 MiB queued to a paused peer on purpose: no output cap here.
  const { port, accepted } = await serverWith(t, { ...echo, maxBufferedAmount: null });
  const peer = await rawClient(t, port);
  peer.socket.pause();
  const server = await accepted.next();
  const chunk = new Uint8Array(64 * 1024);
  for (let i = 0; i < 512; i++) {
    server.send(chunk);
    if (i % 16 === 0) await new Promise(setImmediate);
  }
  await delay(50);
  const buffered = server.bufferedAmount;
  t.true(buffered > 2 * 1024 * 1024, `bufferedAmount ${buffered}`);
  let drained = false;
  const drain = server.drain().then(() => (drained = true));
  await delay(100);
  t.false(drained, 'drain() waits while the peer does not read');
  peer.socket.resume();
  await within(drain, 10_000, 'drain()');
  t.true(server.bufferedAmount <= 1024 * 1024);
  await peer.frames.waitFor(() => peer.frames.received.length === 512, 10_000);
  t.is(peer.frames.received.length, 512);
});
