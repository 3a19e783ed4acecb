/**
 * src/websocket/opening.ts: what setup() gives a connection (request,
 * response, protocol, extensions, remote address) and the opened hook,
 * first of the hooks.
 */
import test from 'ava';
import { EchoWebSocket, WebSocket, startWebSocket } from '../../src/websocket.js';
import type { Message } from '../../src/protocol/message.js';
import { client, closePayload, frame, serverWith, until, within, PATIENCE } from '../helpers/loopback.js';
import { echo, memoryPair, memoryRawPeer, throwingHook } from './shared.js';

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

// ─── start() over in-memory transports ────────────────────────────────────────

test('bytes read with the upgrade are handed to the engine at start, after opened and before later input', async (t) => {
  const calls: string[] = [];
  class Recording extends WebSocket {
    override opened(): void {
      calls.push('opened');
    }
    override receivedMessage(message: Message): void {
      calls.push(`message ${String(message.data)}`);
    }
  }
  const { ws, write } = memoryRawPeer(t, { Class: Recording, head: frame(1, 'early') });
  t.deepEqual(calls, [], 'nothing runs before start');
  startWebSocket(ws);
  startWebSocket(ws); // a second start does nothing
  await within(write(frame(1, 'late')), PATIENCE);
  await until(() => calls.length >= 3, PATIENCE, 'both messages');
  t.deepEqual(calls, ['opened', 'message early', 'message late']);
});

test('a listener added before start gets one open event, after the opened hook', async (t) => {
  const calls: string[] = [];
  class Hooked extends WebSocket {
    override opened(): void {
      calls.push(`hook ${this.readyState}`);
    }
  }
  const { server } = memoryPair(t, {
    server: Hooked,
    beforeStart: (server) => server.addEventListener('open', (event) => void calls.push(`event ${(event as Event).type}`)),
  });
  t.deepEqual(calls, ['hook 1', 'event open']);
  t.is(server.readyState, 1);
});

test('an opened hook that throws is reported and fails the connection with 1011', async (t) => {
  const { Class, reported } = throwingHook('opened', 'cannot open');
  const { ws, frames } = memoryRawPeer(t, { Class });
  startWebSocket(ws);
  const close = await frames.waitFor((f) => f.opcode === 8);
  t.deepEqual(close.payload, closePayload(1011, 'internal error'));
  t.is((reported[0] as Error).message, 'cannot open');
  t.is(ws.readyState, 2, 'closing: the peer has not answered');
});
