/**
 * Counters (src/observe/counters.ts): per connection (`ws.counters`) and per
 * manager (`manager.stats()`), checked against what a real `ws` peer sent.
 */
import test from 'ava';
import { once } from 'node:events';
import WS from 'ws';
import { serve, WebSocketManager, type WebSocket } from '../../src/index.js';
import { ManagerCounters } from '../../src/observe/counters.js';
import { PATIENCE, until, within } from '../helpers/loopback.js';

test('a connection counts messages and wire bytes each way; the manager folds closed ones in', async (t) => {
  const manager = new WebSocketManager();
  const connections: WebSocket[] = [];
  const server = serve({ port: 0, manager, deflate: false, handler: async (ws: WebSocket) => { connections.push(ws); for await (const m of ws) ws.send(m.data); } });
  await server.listening;
  t.teardown(() => server.close({ timeout: 500 }));
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/`;
  t.like(manager.stats(), { active: 0, total: 0, messagesIn: 0, bytesIn: 0, closeCodes: {} });

  const a = new WS(url, { perMessageDeflate: false });
  await within(once(a, 'open'), PATIENCE);
  const replies: string[] = [];
  a.on('message', (data) => replies.push(data.toString()));
  a.send('hello'); // 5 bytes: a 2-byte header + 4-byte mask + 5 = 11 wire bytes in
  a.send('x'.repeat(200)); // 2 + 2 (extended length) + 4 + 200 = 208
  await until(() => replies.length === 2, PATIENCE, 'both echoes');
  const live = connections[0]!.counters;
  t.like(live, { messagesIn: 2, messagesOut: 2, bytesIn: 11 + 208, closeCode: undefined });
  t.is(live.bytesOut, 2 + 5 + (2 + 2 + 200), 'server frames are unmasked');
  t.true(live.openedAt <= Date.now());
  t.like(manager.stats(), { active: 1, total: 1, messagesIn: 2, messagesOut: 2, bytesIn: 219 });

  a.close(4001, 'bye');
  await within(once(a, 'close'), PATIENCE);
  await until(() => manager.size === 0, PATIENCE, 'the manager forgetting it');
  const b = new WS(url, { perMessageDeflate: false });
  await within(once(b, 'open'), PATIENCE);
  b.send('y');
  await within(once(b, 'message'), PATIENCE);
  const stats = manager.stats();
  t.like(stats, { active: 1, total: 2, messagesIn: 3, messagesOut: 3 });
  t.deepEqual(stats.closeCodes, { 4001: 1 });
  t.true(stats.bytesIn > 219 + 4, 'the closed connection (with its close frame) and the live one');
  t.is(connections[0]!.counters.closeCode, 4001);
  b.terminate();
  await until(() => manager.size === 0, PATIENCE);
  t.deepEqual(manager.stats().closeCodes, { 1006: 1, 4001: 1 });
});

test('ManagerCounters sorts close codes and sums live connections on demand', (t) => {
  const counters = new ManagerCounters();
  const conn = (messagesIn: number, closeCode?: number) => ({ counters: { messagesIn, messagesOut: 1, bytesIn: 10, bytesOut: 20, openedAt: 0, closeCode } });
  counters.added();
  counters.added();
  counters.added();
  counters.removed(conn(5, 1006));
  counters.removed(conn(1, 1000));
  const snapshot = counters.snapshot([conn(2)], 1);
  t.deepEqual(Object.keys(snapshot.closeCodes), ['1000', '1006']);
  t.like(snapshot, { active: 1, total: 3, messagesIn: 8, messagesOut: 3, bytesIn: 30, bytesOut: 60 });
});
