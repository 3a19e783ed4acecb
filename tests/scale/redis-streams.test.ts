/**
 * Resumable mode (RedisStreamBus) against a real redis-server: a restart
 * with persistence mid-stream loses nothing and delivers nothing twice, in
 * three processes; a restart without persistence reports a `trimmed` gap;
 * a client resuming after an id gets exactly what it missed, or is told
 * the history is gone.
 */
import test from 'ava';
import { redisServer } from '../helpers/redis-server.js';
import { redisNode } from '../helpers/redis-nodes.js';
import { delay, until } from '../helpers/loopback.js';
import { numbers, range } from '../helpers/sequences.js';
import { RedisStreamBus, compareIds, isStreamId } from '../../src/scale/index.js';
import type { BusGap } from '../../src/server/manager.js';
import type { SendData } from '../../src/websocket.js';

const fast = { maxReconnectDelay: 100 };
const streams = { BUS: 'streams' };

test.serial('redis-server killed and restarted (with persistence) mid-stream: no loss, no duplicate, in order, everywhere', async (t) => {
  t.timeout(90_000);
  const redis = await redisServer(t, { persistence: true });
  const nodes = await Promise.all([0, 1, 2].map(() => redisNode(t, redis.url, fast, streams)));
  const sender = await nodes[0]!.client('/t/room');
  const peers = [sender, await nodes[0]!.client('/t/room'), await nodes[1]!.client('/t/room'), await nodes[2]!.client('/t/room')];
  let i = 0;
  const pump = async (count: number): Promise<void> => {
    for (let k = 0; k < count; k++) {
      sender.ws.send(`s:${++i}`);
      await delay(10);
    }
  };
  await pump(50);
  const streaming = pump(100);
  await delay(200);
  await redis.kill();
  await delay(500);
  await redis.start();
  await streaming;
  await pump(50);
  const total = i;
  await until(() => peers.every((peer) => numbers(peer.received, 's').length >= total), 30_000, 'everything everywhere');
  await delay(300);
  peers.forEach((peer, k) => t.deepEqual(numbers(peer.received, 's'), range(total), `client ${k}: every message once, in order`));
  for (const node of nodes) t.deepEqual(node.gaps, [], `no gap: history was kept (${node.output()})`);
  for (const node of nodes) t.is(await node.stop(), 0);
});

test.serial('redis-server restarted without persistence: a trimmed gap, then delivery goes on', async (t) => {
  t.timeout(90_000);
  const redis = await redisServer(t);
  const nodes = await Promise.all([0, 1].map(() => redisNode(t, redis.url, fast, streams)));
  const sender = await nodes[0]!.client('/t/room');
  const remote = await nodes[1]!.client('/t/room');
  sender.ws.send('s:1');
  await until(() => remote.received.includes('s:1'), 10_000, 'before');
  await redis.kill();
  await redis.start();
  for (const node of nodes) await until(() => node.gaps.some((gap) => gap.reason === 'trimmed'), 20_000, `trimmed gap on ${node.node}`);
  // The gap that names the room may follow one for streams not yet read: wait for it.
  await until(() => nodes[1]!.gaps.some((g) => g.reason === 'trimmed' && g.topics.length > 0), 20_000, 'a trimmed gap naming the room');
  const gap = nodes[1]!.gaps.find((g) => g.reason === 'trimmed' && g.topics.length > 0)!;
  t.deepEqual(gap.topics, ['room']);
  t.true(isStreamId(gap.lastId), 'the last id seen is reported');
  t.true(gap.since <= gap.until);
  sender.ws.send('s:2');
  await until(() => remote.received.includes('s:2'), 15_000, 'after');
  t.deepEqual(remote.received, ['s:1', 's:2']);
});

test.serial('readAfter: a client resuming after an id gets exactly what it missed, or learns the history is gone', async (t) => {
  t.timeout(60_000);
  const redis = await redisServer(t, { args: ['--stream-node-max-entries', '10'] });
  const bus = new RedisStreamBus({ url: redis.url, maxLen: 20 });
  t.teardown(() => bus.close());
  const got: { data: SendData; id: string | undefined }[] = [];
  const gaps: BusGap[] = [];
  bus.listen((_topic, data, info) => got.push({ data, id: info?.id }), { broadcast: () => {}, gap: (gap) => gaps.push(gap), error: () => {} });
  await bus.ready;
  await bus.subscribe('news');
  for (let k = 1; k <= 10; k++) await bus.publish('news', `n:${k}`);
  await until(() => got.length === 10, 10_000, 'ten delivered with ids');
  t.true(got.every(({ id }) => isStreamId(id)), 'each delivered message carries its stream id');
  t.true(got.every(({ id }, k) => k === 0 || compareIds(id!, got[k - 1]!.id!) > 0), 'ids increase');
  const history = await bus.readAfter('news', got[3]!.id!);
  t.true(history.complete);
  t.deepEqual(history.entries.map((e) => e.data), range(6, 5).map((k) => `n:${k}`), 'exactly the ones after that id');
  t.deepEqual(history.entries.map((e) => e.id), got.slice(4).map((g) => g.id));
  t.deepEqual((await bus.readAfter('news', got[9]!.id!)).entries, [], 'nothing after the last one');
  const binary = new Uint8Array([0, 255, 7]);
  await bus.publish('news', binary);
  t.deepEqual((await bus.readAfter('news', got[9]!.id!)).entries.map((e) => Buffer.from(e.data as Uint8Array)), [Buffer.from(binary)], 'binary stays binary');
  // Push the early ones out of the stream (MAXLEN ~ 20): resuming from them is incomplete.
  const outcomes = await Promise.all(range(190, 11).map((k) => bus.publish('news', `n:${k}`)));
  t.true(outcomes.every((o) => o === 'sent'));
  await delay(500);
  const late = await bus.readAfter('news', got[3]!.id!);
  t.false(late.complete, 'history after that id was trimmed');
  t.true(late.entries.length > 0 && late.entries.length < 197, 'what is left is given');
  await t.throwsAsync(bus.readAfter('news', 'nope'), { instanceOf: TypeError });
  // A reader that fell behind the trimming missed some: it must have said so.
  const missed = 201 - got.length;
  t.is(gaps.filter((g) => g.reason === 'sequence').reduce((sum, g) => sum + (g.missed ?? 0), 0), missed, `missed ${missed}, reported exactly that`);
});
