/**
 * A client that comes back with the last id it saw (`manager.resume`, on a
 * RedisStreamBus against a real redis-server) gets exactly what it missed,
 * then the live messages: none lost, none twice, even while publishing goes
 * on during the replay; an id whose history is gone is reported incomplete.
 */
import test, { type ExecutionContext } from 'ava';
import type { AddressInfo } from 'node:net';
import { redisServer } from '../helpers/redis-server.js';
import { until, within } from '../helpers/loopback.js';
import { wsPeer } from '../helpers/ws-peer.js';
import { range } from '../helpers/sequences.js';
import { serve } from '../../src/server/serve.js';
import { WebSocketManager } from '../../src/server/manager.js';
import type { WebSocket } from '../../src/websocket.js';
import { RedisStreamBus } from '../../src/scale/index.js';

async function resumableServer(t: ExecutionContext, url: string, maxLen = 10_000): Promise<{ manager: WebSocketManager; base: string; bus: RedisStreamBus }> {
  const bus = new RedisStreamBus({ url, maxLen });
  // Clients get `<id> <text>`: the id is what they send back to resume.
  const manager = new WebSocketManager({ bus, withId: (data, id) => `${id} ${String(data)}` });
  const handler = async (ws: WebSocket): Promise<void> => {
    const after = new URL(ws.request?.url ?? '/', 'http://x').searchParams.get('after');
    if (after === null) await manager.subscribe(ws, 'room');
    else ws.send(`resumed ${JSON.stringify(await manager.resume(ws, 'room', after))}`);
    for await (const _ of ws) {
      // listen only
    }
  };
  const server = serve({ port: 0, host: '127.0.0.1', handler, manager });
  t.teardown(async () => {
    await server.close({ timeout: 200 });
    await bus.close();
  });
  await within(server.listening, 5000, 'listening');
  await bus.ready;
  return { manager, bus, base: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

const texts = (received: readonly (string | Buffer)[]): string[] => received.filter((m): m is string => typeof m === 'string' && !m.startsWith('resumed')).map((m) => m.slice(m.indexOf(' ') + 1));

test('resume after the last id seen: exactly the missed messages, then live ones, even with publishing during the replay', async (t) => {
  t.timeout(60_000);
  const redis = await redisServer(t);
  const { manager, base } = await resumableServer(t, redis.url);
  const first = await wsPeer(t, base);
  await until(() => manager.subscribers('room').size === 1, 5000, 'subscribed');
  for (let k = 1; k <= 5; k++) await manager.publish('room', `m:${k}`);
  await until(() => first.received.length === 5, 10_000, 'five live');
  const lastId = String(first.received.at(-1)).split(' ')[0]!;
  first.ws.terminate(); // the client drops…
  for (let k = 6; k <= 20; k++) await manager.publish('room', `m:${k}`); // …and misses these
  const publishing = (async () => {
    for (let k = 21; k <= 60; k++) await manager.publish('room', `m:${k}`);
  })();
  const again = await wsPeer(t, `${base}?after=${lastId}`);
  await publishing;
  await until(() => texts(again.received).length >= 55, 10_000, 'missed and live');
  t.deepEqual(texts(again.received), range(55, 6).map((k) => `m:${k}`), 'm:6 … m:60, once each, in order');
  const resumed = again.received.find((m) => String(m).startsWith('resumed'));
  t.regex(String(resumed), /"complete":true/);
});

test('resume from an id whose history was trimmed: told incomplete, given what is left', async (t) => {
  t.timeout(60_000);
  const redis = await redisServer(t, { args: ['--stream-node-max-entries', '10'] });
  const { manager, base } = await resumableServer(t, redis.url, 20);
  const first = await wsPeer(t, base);
  await until(() => manager.subscribers('room').size === 1, 5000, 'subscribed');
  await manager.publish('room', 'old');
  await until(() => first.received.length === 1, 10_000, 'one live');
  const lastId = String(first.received[0]).split(' ')[0]!;
  first.ws.terminate();
  await Promise.all(range(200).map((k) => manager.publish('room', `m:${k}`)));
  const again = await wsPeer(t, `${base}?after=${lastId}`);
  await until(() => again.received.some((m) => String(m).startsWith('resumed')), 10_000, 'resumed');
  t.regex(String(again.received.find((m) => String(m).startsWith('resumed'))), /"complete":false/);
  const got = texts(again.received);
  t.true(got.length > 0 && got.length < 200 && got.at(-1) === 'm:200', `the retained tail: ${got.join(",")}`);
});
