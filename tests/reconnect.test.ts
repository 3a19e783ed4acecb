/**
 * reconnect() and ReconnectingWebSocket against real servers that refuse,
 * drop, restart on the same port and answer 503/404, with a fake clock for
 * the delays (no test waits for a backoff in real time).
 */
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { HandshakeError } from '../src/client.js';
import { backoffDelays, classifyError, reconnect, type ReconnectClock } from '../src/reconnect.js';
import { ReconnectingWebSocket } from '../src/web/reconnecting.js';
import { freePort, within } from './helpers/loopback.js';

/** Timers that fire only when the test says so. */
function fakeClock() {
  let now = 0;
  const pending: { fn: () => void; ms: number }[] = [];
  const requested: number[] = [];
  let notify: (() => void) | undefined;
  const clock: ReconnectClock = {
    setTimeout(fn, ms) {
      const timer = { fn, ms };
      pending.push(timer);
      requested.push(ms);
      notify?.();
      return timer;
    },
    clearTimeout(handle) {
      const index = pending.indexOf(handle as (typeof pending)[number]);
      if (index >= 0) pending.splice(index, 1);
    },
    now: () => now,
  };
  return {
    clock,
    requested,
    advance(ms: number) {
      now += ms;
    },
    /** Resolve once a timer is waiting, then fire it. */
    async fire(): Promise<number> {
      if (pending.length === 0) await within(new Promise<void>((resolve) => (notify = resolve)), 10_000, 'a backoff timer');
      const timer = pending.shift()!;
      now += timer.ms;
      timer.fn();
      return timer.ms;
    },
  };
}


async function echoOn(port: number): Promise<WebSocketServer> {
  const server = new WebSocketServer({ port, host: '127.0.0.1' });
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return server;
}

function stop(server: WebSocketServer): Promise<void> {
  for (const client of server.clients) client.terminate();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

async function statusServer(status: number): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((_request, response) => response.writeHead(status).end());
  server.on('upgrade', (_request, socket) => {
    hits++;
    socket.end(`HTTP/1.1 ${status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, server, hits: () => hits };
}

test('backoff: random first delay within 5 s, then 3.1 s growing by 1.618 up to 90 s', (t) => {
  const delays = backoffDelays({ random: () => 0.5 });
  const seen = Array.from({ length: 12 }, () => delays.next().value);
  t.is(seen[0], 2_500);
  t.is(seen[1], 3_100);
  t.is(Math.round(seen[2]!), Math.round(3_100 * 1.618));
  for (let i = 2; i < seen.length; i++) t.true(seen[i]! <= 90_000 && seen[i]! >= seen[i - 1]!);
  t.is(seen[11], 90_000);
  t.throws(() => reconnect('ws://127.0.0.1:1/', { factor: 0.5 }), { instanceOf: RangeError, message: /factor/ });
});

test('the classifier: network errors and 500/502/503/504 retry; other statuses and anything else are fatal', (t) => {
  t.is(classifyError(new HandshakeError('refused', 0, {}, '')), 'retry');
  for (const status of [500, 502, 503, 504]) t.is(classifyError(new HandshakeError('x', status, {}, '')), 'retry', String(status));
  for (const status of [400, 401, 403, 404, 426, 101]) t.is(classifyError(new HandshakeError('x', status, {}, '')), 'fatal', String(status));
  t.is(classifyError(new Error('other')), 'fatal');
});

test('a refused port is retried with backoff until the server starts there; a drop reconnects; break closes with 1000', async (t) => {
  const port = await freePort();
  const fake = fakeClock();
  const retries: number[] = [];
  const iterator = reconnect(`ws://127.0.0.1:${port}/`, { clock: fake.clock, random: () => 0.25, onRetry: ({ attempt }) => retries.push(attempt) });
  const first = iterator.next();
  t.is(await fake.fire(), 1_250, 'first delay: random × 5 s');
  t.is(await fake.fire(), 3_100);
  let server = await echoOn(port); // the server comes up on that port
  t.teardown(() => stop(server));
  await fake.fire();
  const { value: ws1 } = await within(first, 10_000, 'first connection');
  t.deepEqual(retries, [1, 2, 3]);
  ws1!.send('hello');
  t.is((await ws1!.receive()).data, 'hello');
  // The server restarts on the same port: the connection drops, the next one comes back.
  fake.advance(10_000); // it stayed up: the backoff restarts
  await stop(server);
  const second = iterator.next();
  await fake.fire(); // refused while the server is down: a fresh random first delay
  server = await echoOn(port);
  await fake.fire().catch(() => 0);
  const { value: ws2 } = await within(second, 10_000, 'second connection');
  t.not(ws2, ws1);
  t.is(fake.requested.at(-2), 1_250, 'the sequence restarted after a connection that stayed up');
  const serverSide = new Promise<number>((resolve) => [...server.clients][0]!.once('close', (code) => resolve(code)));
  await iterator.return!();
  t.is(await serverSide, 1000);
  t.true((await iterator.next()).done);
});

test('a connection that drops at once continues the backoff instead of reconnecting immediately', async (t) => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (ws) => ws.terminate());
  await new Promise<void>((resolve) => server.once('listening', resolve));
  t.teardown(() => stop(server));
  const fake = fakeClock();
  const iterator = reconnect(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, { clock: fake.clock, random: () => 0 });
  const { value: ws } = await iterator.next();
  await ws!.finished;
  const second = iterator.next();
  t.is(await fake.fire(), 0, 'a wait happens before the next attempt');
  await within(second, 10_000, 'second connection');
  const third = iterator.next();
  t.is(await fake.fire(), 3_100, 'and the backoff grows');
  await within(third, 10_000, 'third connection');
  await iterator.return!();
});

test('503 is retried; 404 ends the iteration with the HandshakeError', async (t) => {
  const unavailable = await statusServer(503);
  const notFound = await statusServer(404);
  t.teardown(() => {
    unavailable.server.close();
    notFound.server.close();
  });
  const fake = fakeClock();
  const iterator = reconnect(unavailable.url, { clock: fake.clock, maxAttempts: 3 });
  const result = iterator.next();
  await fake.fire();
  await fake.fire();
  const error = await t.throwsAsync(result, { instanceOf: HandshakeError });
  t.is(error?.status, 503);
  t.is(unavailable.hits(), 3, 'three attempts, as maxAttempts says');
  const fatal = await t.throwsAsync(reconnect(notFound.url, { clock: fake.clock }).next(), { instanceOf: HandshakeError });
  t.is(fatal?.status, 404);
  t.is(notFound.hits(), 1, 'a 404 is not retried');
  const custom = await t.throwsAsync(reconnect(unavailable.url, { clock: fake.clock, classify: () => 'fatal' }).next(), { instanceOf: HandshakeError });
  t.is(custom?.status, 503, 'the classifier hook overrides');
});

test('ReconnectingWebSocket: no queue by default, a bounded queue with an explicit overflow policy, close() stops for good', async (t) => {
  const port = await freePort();
  const fake = fakeClock();
  const plain = new ReconnectingWebSocket(`ws://127.0.0.1:${port}/`, [], { clock: fake.clock });
  let thrown: unknown;
  try {
    plain.send('x');
  } catch (error) {
    thrown = error;
  }
  t.is((thrown as DOMException).name, 'InvalidStateError');
  plain.close();

  const fake2 = fakeClock();
  const ws = new ReconnectingWebSocket(`ws://127.0.0.1:${port}/`, [], { clock: fake2.clock, queue: { maxMessages: 2, overflow: 'drop-oldest' } });
  t.is(ws.readyState, 0);
  ws.send('one');
  ws.send('two');
  ws.send('three'); // drops 'one'
  t.is(ws.bufferedAmount, 8);
  await fake2.fire();
  const server = await echoOn(port);
  t.teardown(() => stop(server));
  const received: string[] = [];
  const opened = new Promise<void>((resolve) => (ws.onopen = () => resolve()));
  ws.onmessage = (event) => received.push(String(event.data));
  await fake2.fire();
  await within(opened, 10_000, 'open');
  await within(
    (async () => {
      while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    })(),
    10_000,
    'the queued messages',
  );
  t.deepEqual(received, ['two', 'three']);
  const closes: boolean[] = [];
  const finalClose = new Promise<void>((resolve) => {
    ws.onclose = (event) => {
      closes.push(event.willReconnect);
      if (!event.willReconnect) resolve();
    };
  });
  ws.close(1000, 'bye');
  t.is(ws.readyState, 2);
  await within(finalClose, 10_000, 'close');
  t.deepEqual(closes, [false]);
  t.is(ws.readyState, 3);
  const before = fake2.requested.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(fake2.requested.length, before, 'no reconnect attempt after close()');

  const throwing = new ReconnectingWebSocket(`ws://127.0.0.1:${await freePort()}/`, [], { clock: fakeClock().clock, queue: { maxMessages: 1, overflow: 'throw', maxAge: 0 } });
  throwing.send('a');
  let quota: unknown;
  try {
    throwing.send('b');
  } catch (error) {
    quota = error;
  }
  t.is((quota as DOMException).name, 'QuotaExceededError');
  throwing.close();
});

test('a URL that is not one is a TypeError from reconnect() itself, before any attempt', (t) => {
  t.throws(() => reconnect(123 as unknown as string), { instanceOf: TypeError, message: /url must be a WebSocket URL/ });
  t.throws(() => reconnect('not a url'), { instanceOf: TypeError, message: /"not a url"/ });
});
