/**
 * src/websocket/echo.ts: EchoWebSocket sends every message back with its
 * type, and is a base for subclasses.
 */
import test from 'ava';
import { EchoWebSocket } from '../../src/websocket.js';
import type { Message } from '../../src/protocol/message.js';
import { within, PATIENCE } from '../helpers/loopback.js';
import { bytes, memoryPair, plain } from './shared.js';

test('EchoWebSocket sends text back as text and binary back as binary, in order', async (t) => {
  const { client } = memoryPair(t, { server: EchoWebSocket });
  client.send('one');
  client.send(bytes(70_000));
  client.send('');
  t.deepEqual(await within(client.receive(), PATIENCE), { type: 'text', data: 'one' });
  t.deepEqual(plain(await within(client.receive(), PATIENCE)), { type: 'binary', data: bytes(70_000) });
  t.deepEqual(await within(client.receive(), PATIENCE), { type: 'text', data: '' });
});

test('a subclass of EchoWebSocket can change the message and still echo through super', async (t) => {
  class Shouting extends EchoWebSocket {
    override receivedMessage(message: Message): void {
      super.receivedMessage(message.type === 'text' ? { type: 'text', data: message.data.toUpperCase() } : message);
    }
  }
  const { client } = memoryPair(t, { server: Shouting });
  client.send('quiet');
  t.deepEqual(await within(client.receive(), PATIENCE), { type: 'text', data: 'QUIET' });
});
