/**
 * examples/redis-chat.mjs as a user runs it: two independent processes on
 * one real redis-server, real `ws` clients on each, Redis restarted in the
 * middle. Messages cross processes before and after the restart; each
 * process keeps serving its own clients while Redis is away; both exit 0.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { redisServer } from '../helpers/redis-server.js';
import { delay, freePort, until } from '../helpers/loopback.js';
import { wsPeer, type WsPeer } from '../helpers/ws-peer.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function chatProcess(t: import('ava').ExecutionContext, redisUrl: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['examples/redis-chat.mjs'], { cwd: root, env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(() => /listening/.test(output) || child.exitCode !== null, 30_000, 'listening');
  t.regex(output, /listening.*redis connected/);
  return { child, url: `ws://127.0.0.1:${port}/`, output: () => output };
}

async function heardBy(peers: readonly WsPeer[], message: string): Promise<void> {
  await until(() => peers.every((peer) => peer.received.includes(message)), 15_000, `"${message}" heard by everyone`);
}

test('two redis-chat processes chat through Redis, before and after a Redis restart', async (t) => {
  t.timeout(90_000);
  t.true(existsSync(`${root}dist/index.js`), 'dist/ is built (npm test builds it first)');
  const redis = await redisServer(t);
  const [one, two] = [await chatProcess(t, redis.url), await chatProcess(t, redis.url)];
  const a = await wsPeer(t, one.url);
  const b = await wsPeer(t, two.url);
  const c = await wsPeer(t, two.url);
  await delay(100);
  a.ws.send('hello from one');
  await heardBy([a, b, c], 'hello from one');
  b.ws.send('hello from two');
  await heardBy([a, b, c], 'hello from two');
  b.ws.send(Buffer.from([1, 2, 3])); // binary: not chat, ignored

  await redis.kill();
  b.ws.send('while redis is down');
  await heardBy([b, c], 'while redis is down'); // the local room goes on
  await redis.start();
  await until(() => /gap/.test(one.output()) && /gap/.test(two.output()), 20_000, 'both logged the gap after reconnecting');
  a.ws.send('after the restart');
  await heardBy([a, b, c], 'after the restart');
  c.ws.send('and back');
  await heardBy([a, b, c], 'and back');
  for (const peer of [a, b, c]) {
    t.is(peer.received.filter((m) => m === 'after the restart').length, 1, 'once each');
    t.false(peer.received.some((m) => Buffer.isBuffer(m)), 'binary is not chat');
  }
  for (const { child } of [one, two]) {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    t.is(await exited, 0);
  }
  t.is((await a.closed).code, 1001);
});
