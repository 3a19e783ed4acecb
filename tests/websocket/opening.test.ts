/**
 * src/websocket/opening.ts: what setup() gives a connection (request,
 * response, protocol, extensions, remote address) and the opened hook,
 * first of the hooks.
 */
import test from 'ava';
import { EchoWebSocket, WebSocket } from '../../src/websocket.js';
import type { Message } from '../../src/protocol/message.js';
import { client, serverWith, within, PATIENCE } from '../helpers/loopback.js';
import { echo } from './shared.js';

test('hooks run in order: opened, receivedMessage, closed with the peer code and reason', async (t) => {
  const calls: string[] = [];
  class Hooked extends WebSocket {
    override opened(): void {
      calls.push(`opened ${this.readyState}`);
    }
    override receivedMessage(message: Message): void {
      calls.push(`message ${String(message.data)}`);
      this.send(message.data);
    }
    override closed(code: number, reason: string): void {
      calls.push(`closed ${code} ${reason}`);
    }
  }
  const { url, accepted } = await serverWith(t, { handler: Hooked });
  const ws = await client(t, url);
  const server = await accepted.next();
  ws.send('hi');
  await ws.receive();
  await ws.close(4000, 'bye');
  await within(server.finished, PATIENCE);
  t.deepEqual(calls, ['opened 1', 'message hi', 'closed 4000 bye']);
});

test('EchoWebSocket echoes, and request/response/remoteAddress describe the connection', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, `${url}/?x=1`, { headers: { 'X-Test': 'yes' }, deflate: false });
  const server = await accepted.next();
  t.true(server instanceof EchoWebSocket);
  t.is(server.request?.url, '/?x=1');
  t.is(server.request?.method, 'GET');
  t.is(server.request?.headers['x-test'], 'yes');
  t.is(server.response, undefined);
  t.is(ws.response?.status, 101);
  t.is(ws.request, undefined);
  t.is(server.remoteAddress, '127.0.0.1');
  t.is(ws.remoteAddress, '127.0.0.1');
  t.is(ws.protocol, '');
  t.is(ws.extensions, '');
});
