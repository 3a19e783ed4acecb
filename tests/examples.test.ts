/**
 * Every server example in examples/ runs with plain `node` against the built
 * package (`npm test` builds dist/ before ava runs) and serves a real `ws`
 * client on 127.0.0.1:PORT at `/`.
 *
 * Adding an example is one line in `EXAMPLES`.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, delay } from './helpers/loopback.js';
import { wsPeer } from './helpers/ws-peer.js';
import { redisServer } from './helpers/redis-server.js';

interface Example {
  /** File under examples/. */
  readonly file: string;
  /** `echo`: a message comes back; `chat`: a message goes to every client. */
  readonly check: 'echo' | 'chat';
  /** Extra environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** SIGTERM closes open WebSockets with 1001 before the process exits 0. */
  readonly graceful?: boolean;
  /** node:cluster: the primary prints `worker <pid> listening` and must take its workers down with it. */
  readonly cluster?: boolean;
  /** Written by another part of the project: tested once the file exists. */
  readonly optional?: boolean;
  /** Needs Redis: a redis-server of its own is started and REDIS_URL set. */
  readonly redis?: boolean;
  /** Messages reach clients as `<id> <text>` (a resumable room): the id is checked and stripped. */
  readonly ids?: boolean;
}

const EXAMPLES: readonly Example[] = [
  { file: 'attach-http.mjs', check: 'echo', graceful: true },
  { file: 'standalone.mjs', check: 'echo', graceful: true },
  { file: 'broadcast.mjs', check: 'chat', graceful: true },
  { file: 'cluster.mjs', check: 'echo', graceful: true, cluster: true, env: { WORKERS: '2' } },
  { file: 'cluster.mjs', check: 'chat', graceful: true, cluster: true, redis: true, env: { WORKERS: '2' } },
  { file: 'redis-chat.mjs', check: 'chat', graceful: true, redis: true },
  { file: 'redis-streams.mjs', check: 'chat', graceful: true, redis: true, ids: true },
  { file: 'express.mjs', check: 'echo', optional: true },
  { file: 'fastify.mjs', check: 'echo', optional: true },
  { file: 'handler-hooks.mjs', check: 'echo' },
  { file: 'handler-loop.mjs', check: 'echo' },
  { file: 'handler-observable.mjs', check: 'echo' },
  { file: 'from-ws.mjs', check: 'echo', graceful: true },
];

const root = fileURLToPath(new URL('..', import.meta.url));


/** Whether something accepts TCP connections on `port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolve once something accepts TCP connections on `port`. */
async function waitForListener(port: number, child: ChildProcess, output: () => string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`example exited early: ${output()}`);
    if (await accepts(port)) return;
    if (Date.now() > deadline) throw new Error(`example not listening on ${port} within ${ms} ms: ${output()}`);
    await delay(50);
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Start `examples/<file>` with PORT set; killed on teardown whatever happens. */
async function run(t: ExecutionContext, example: Example, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [`examples/${example.file}`], {
    cwd: root,
    env: { ...process.env, PORT: String(port), ...example.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Cluster workers, should the primary have been killed before them.
    for (const match of output.matchAll(/worker (\d+) listening/g)) {
      try {
        process.kill(Number(match[1]), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  await waitForListener(port, child, () => output);
  return { child, output: () => output };
}

for (const example of EXAMPLES) {
  const path = `${root}examples/${example.file}`;
  if (example.optional && !existsSync(path)) continue;
  test(`examples/${example.file} serves a ws client (${example.check})`, async (t) => {
    t.timeout(30_000);
    t.true(existsSync(`${root}dist/index.js`), 'dist/ is built (npm test runs the build first)');
    const port = await freePort();
    const env = example.redis ? { ...example.env, REDIS_URL: (await redisServer(t)).url } : example.env;
    const { child, output } = await run(t, { ...example, env }, port);
    const url = `ws://127.0.0.1:${port}/`;
    if (example.cluster) {
      // The port accepts once the first worker listens; wait for all of them.
      const deadline = Date.now() + 15_000;
      while (!/with \d+ workers/.test(output()) && Date.now() < deadline) await delay(50);
    }
    const a = await wsPeer(t, url);
    if (example.check === 'echo') {
      a.ws.send('hello example');
      t.is(await a.messages.next(5000), 'hello example');
      a.ws.send(Buffer.from([0, 1, 2, 255]));
      t.deepEqual(await a.messages.next(5000), Buffer.from([0, 1, 2, 255]));
    } else {
      const b = await wsPeer(t, url);
      await delay(example.ids ? 300 : 50); // both joined on the server (a stream subscription reads from Redis first)
      // A resumable room prefixes each message with its stream id (`<ms>-<seq> `).
      const text = async (peer: typeof a): Promise<unknown> => {
        const message = await peer.messages.next(5000);
        if (!example.ids) return message;
        const match = /^(\d+-\d+) (.*)$/s.exec(String(message));
        t.truthy(match, `a stream id prefixes ${String(message)}`);
        return match?.[2];
      };
      a.ws.send('hello room');
      t.is(await text(a), 'hello room');
      t.is(await text(b), 'hello room');
      b.ws.send('hi back');
      t.is(await text(a), 'hi back');
      t.is(await text(b), 'hi back');
    }
    if (example.cluster) {
      // More connections, spread over the workers by the primary.
      for (let i = 0; i < 4; i++) {
        const peer = await wsPeer(t, url);
        peer.ws.send(`n${i}`);
        if (example.check === 'chat') {
          // A chat also relays the earlier peers' lines (through Redis, a little later): skip to our own.
          const own = async (m: unknown): Promise<boolean> => m === `n${i}` || own(await peer.messages.next(5000));
          t.true(await own(await peer.messages.next(5000)));
        } else t.is(await peer.messages.next(5000), `n${i}`);
      }
    }
    if (example.cluster && example.check === 'chat') {
      // A room across workers: with two workers, some of these land on the other one.
      const room = [a];
      for (let i = 0; i < 3; i++) room.push(await wsPeer(t, url));
      await delay(100);
      room[3]!.ws.send('across workers');
      for (const peer of room) t.true(await peer.messages.next(5000).then(async function skip(m): Promise<boolean> { return m === 'across workers' || skip(await peer.messages.next(5000)); }));
    }
    const workers = [...output().matchAll(/worker (\d+) listening/g)].map((match) => Number(match[1]));
    if (example.cluster) t.is(workers.length, 2, output());

    child.kill('SIGTERM');
    const exit = await Promise.race([exited(child), delay(10_000).then(() => undefined)]);
    t.truthy(exit, `example did not exit on SIGTERM: ${output()}`);
    if (example.graceful) {
      t.is((await a.closed).code, 1001, 'open clients get 1001 on SIGTERM');
      t.deepEqual(exit, { code: 0, signal: null }, output());
    }
    for (const pid of workers) {
      const deadline = Date.now() + 5000;
      while (isAlive(pid) && Date.now() < deadline) await delay(50);
      t.false(isAlive(pid), `worker ${pid} still running after the primary exited`);
    }
    // Nothing listens on the port any more.
    t.false(await accepts(port), 'nothing listens on the port any more');
  });
}

/**
 * Run `node args…` to completion (killed at teardown), capturing stdout and
 * stderr together; `exit` is undefined if it has not exited within `limitMs`.
 */
async function runToExit(
  t: ExecutionContext,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
  limitMs: number,
): Promise<{ exit: Awaited<ReturnType<typeof exited>> | undefined; output: string }> {
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = await Promise.race([exited(child), delay(limitMs).then(() => undefined)]);
  return { exit, output };
}

test('examples/client.mjs talks to examples/standalone.mjs', async (t) => {
  t.timeout(30_000);
  const port = await freePort();
  await run(t, { file: 'standalone.mjs', check: 'echo' }, port);
  const { exit, output } = await runToExit(t, ['examples/client.mjs', `ws://127.0.0.1:${port}/`], { cwd: root }, 10_000);
  t.deepEqual(exit, { code: 0, signal: null }, output);
  t.regex(output, /received text hello/);
  t.regex(output, /closed .*1000/);
});

/** Self-contained examples: each starts what it needs, prints, and exits 0. */
const SCRIPTS: readonly { file: string; expect: RegExp; tls?: boolean }[] = [
  { file: 'deflate.mjs', expect: /negotiated: permessage-deflate.*\| none[\s\S]*intact[\s\S]*intact/ },
  { file: 'sans-io.mjs', expect: /send 810548454c4c4f/ },
  { file: 'diagnostics.mjs', expect: /server handshake accepted \(101\)[\s\S]*connection closed with 1000/ },
  { file: 'http2.mjs', expect: /serve: over h2[\s\S]*attach: over attach/, tls: true },
];

for (const script of SCRIPTS) {
  test(`examples/${script.file} runs to completion`, async (t) => {
    t.timeout(40_000);
    let cwd = root;
    const env: Record<string, string> = {};
    if (script.tls) {
      // key.pem and cert.pem in the working directory, as the example asks.
      const { TEST_KEY, TEST_CERT } = await import('./helpers/tls-fixture.js');
      cwd = mkdtempSync(join(tmpdir(), 'ws4ts-example-'));
      t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
      writeFileSync(join(cwd, 'key.pem'), TEST_KEY);
      writeFileSync(join(cwd, 'cert.pem'), TEST_CERT);
      env['PORT'] = String(await freePort());
      env['ATTACH_PORT'] = String(await freePort());
    }
    const { exit, output } = await runToExit(t, [join(root, 'examples', script.file)], { cwd, env: { ...process.env, ...env } }, 30_000);
    t.deepEqual(exit, { code: 0, signal: null }, output);
    t.regex(output, script.expect);
  });
}
