/**
 * RedisBus in steady state, across three real server processes on one real
 * redis-server: every message reaches every client of every process exactly
 * once, in publish order per publisher; text stays text, binary stays binary;
 * a process's own messages are delivered to its clients once (echo dropped).
 */
import test from 'ava';
import { redisServer } from '../helpers/redis-server.js';
import { redisNode, type RedisNode } from '../helpers/redis-nodes.js';
import { until } from '../helpers/loopback.js';
import type { WsPeer } from '../helpers/ws-peer.js';

/** Assert `received` holds, for each label, `label:1` … `label:n` exactly once and in order. */
function assertOrdered(t: import('ava').ExecutionContext, received: readonly (string | Buffer)[], labels: readonly string[], n: number, who: string): void {
  const byLabel = new Map<string, number[]>(labels.map((label) => [label, []]));
  for (const message of received) {
    if (typeof message !== 'string') continue;
    const [label, i] = message.split(':');
    byLabel.get(label!)?.push(Number(i));
  }
  for (const label of labels) {
    const seen = byLabel.get(label)!;
    t.deepEqual(seen, Array.from({ length: n }, (_, i) => i + 1), `${who}: ${label} exactly once, in order`);
  }
}

async function three(t: import('ava').ExecutionContext, url: string): Promise<RedisNode[]> {
  return Promise.all([redisNode(t, url), redisNode(t, url), redisNode(t, url)]);
}

test.serial('topics: three processes, every message once and in order per publisher', async (t) => {
  t.timeout(60_000);
  const redis = await redisServer(t);
  const nodes = await three(t, redis.url);
  t.is(new Set(nodes.map((node) => node.node)).size, 3, 'each process has its own node id');
  const clients: WsPeer[][] = [];
  for (const node of nodes) clients.push([await node.client('/t/room'), await node.client('/t/room')]);
  const other = await nodes[0]!.client('/t/elsewhere');
  const n = 300;
  const labels = nodes.map((_, i) => `p${i}`);
  nodes.forEach((_, i) => clients[i]![0]!.ws.send(`burst:${labels[i]}:${n}`));
  const all = clients.flat();
  await until(() => all.every((peer) => peer.received.length >= 3 * n), 30_000, 'every client got every message');
  await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more comes
  all.forEach((peer, i) => {
    t.is(peer.received.length, 3 * n, `client ${i}: no duplicates`);
    assertOrdered(t, peer.received, labels, n, `client ${i}`);
  });
  t.deepEqual(other.received, [], 'a client of another topic gets nothing');
  for (const node of nodes) t.deepEqual(node.gaps, [], 'no gap in steady state');
  const outcomes = await Promise.all(nodes.map((node) => node.outcomes()));
  for (const outcome of outcomes) t.deepEqual(outcome, { sent: n, dropped: 0, buffered: 0 });
});

test.serial('broadcast: every client of every process, text as text and binary as binary', async (t) => {
  t.timeout(60_000);
  const redis = await redisServer(t);
  const nodes = await three(t, redis.url);
  const clients = await Promise.all(nodes.map((node) => node.client('/')));
  clients[0]!.ws.send('héllo ✓');
  clients[1]!.ws.send(Buffer.from([0, 1, 2, 0xff, 0xfe]));
  clients[2]!.ws.send('');
  await until(() => clients.every((peer) => peer.received.length >= 3), 15_000, 'three messages everywhere');
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const peer of clients) {
    t.is(peer.received.length, 3, 'each message once');
    t.true(peer.received.includes('héllo ✓'), 'text arrives as text, UTF-8 intact');
    t.true(peer.received.includes(''), 'an empty text message arrives');
    const binary = peer.received.find((m) => Buffer.isBuffer(m));
    t.deepEqual(binary, Buffer.from([0, 1, 2, 0xff, 0xfe]), 'binary arrives as binary');
  }
  const bursts = nodes.map((_, i) => `b${i}`);
  clients.forEach((peer, i) => peer.ws.send(`burst:${bursts[i]}:200`));
  await until(() => clients.every((peer) => peer.received.length >= 3 + 600), 30_000, 'bursts everywhere');
  await new Promise((resolve) => setTimeout(resolve, 200));
  clients.forEach((peer, i) => {
    t.is(peer.received.length, 603);
    assertOrdered(t, peer.received.slice(3), bursts, 200, `client ${i}`);
  });
});
