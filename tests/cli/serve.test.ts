/**
 * `ws4ts serve`, the demo server (src/cli/serve.ts, chat.ts, http.ts), run
 * as a child process: its HTTP side, its endpoints, the chat rooms, and its
 * hardening (slowloris, header limits, maxPayload). Clients are the `ws`
 * library and raw sockets.
 */
import test from 'ava';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WS from 'ws';
import { ensureBuilt, startServer } from '../helpers/cli.js';
import { delay, PATIENCE, rawHttp, until, upgradeRequest, within } from '../helpers/loopback.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';

test.before(ensureBuilt);

/** A `ws` client that collects text messages. */
async function client(url: string, options: WS.ClientOptions = {}): Promise<{ ws: WS; next(ms?: number): Promise<string>; closed: Promise<[number, Buffer]> }> {
  const ws = new WS(url, options);
  ws.on('error', () => {});
  const queue: string[] = [];
  const waiting: ((value: string) => void)[] = [];
  ws.on('message', (data) => {
    const text = data.toString();
    const waiter = waiting.shift();
    if (waiter) waiter(text);
    else queue.push(text);
  });
  const closed = once(ws, 'close') as Promise<[number, Buffer]>;
  await within(once(ws, 'open'), PATIENCE, `opening ${url}`);
  return {
    ws,
    closed,
    next: (ms = PATIENCE) => within(queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<string>((resolve) => waiting.push(resolve)), ms, 'a message'),
  };
}

/** The next JSON message whose type is not in `skip` (chat sends rtt updates at any time). */
async function nextOf(c: { next(ms?: number): Promise<string> }, skip = ['rtt']): Promise<Record<string, unknown>> {
  for (;;) {
    const value = JSON.parse(await c.next()) as Record<string, unknown>;
    if (!skip.includes(value.type as string)) return value;
  }
}

test.serial('GET / is the demo page, /demo.js its script, /stats the counters; other paths 404, POST 405', async (t) => {
  const server = await startServer(t, ['serve', '--port', '0']);
  const page = await fetch(`${server.http}/`);
  t.is(page.status, 200);
  t.is(page.headers.get('content-type'), 'text/html; charset=utf-8');
  t.regex(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const html = await page.text();
  t.regex(html, /<title>ws4ts demo<\/title>/);
  t.notRegex(html, /https?:\/\/(?!127)/, 'nothing is fetched from elsewhere: it works offline');
  const script = await fetch(`${server.http}/demo.js`);
  t.is(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.regex(await script.text(), /new WebSocket\(base \+ '\/echo'\)/);
  const stats = (await (await fetch(`${server.http}/stats`)).json()) as { counters: Record<string, unknown>; rooms: object; uptime: number };
  t.like(stats.counters, { active: 0, total: 0, messagesIn: 0 });
  t.deepEqual(stats.rooms, {});
  t.is(typeof stats.uptime, 'number');
  const missing = await fetch(`${server.http}/nothing-here`);
  t.is(missing.status, 404);
  await missing.text();
  const post = await fetch(`${server.http}/`, { method: 'POST', body: 'x' });
  t.is(post.status, 405);
  t.is(post.headers.get('allow'), 'GET, HEAD');
  await post.text();
});

test.serial('an upgrade on /, /echo or any other path echoes (a drop-in echo server); /stats counts it', async (t) => {
  const server = await startServer(t, ['serve', '--port', '0']);
  for (const path of ['', 'echo', 'runCase?case=1&agent=ws4ts']) {
    const c = await client(`${server.url}${path}`);
    c.ws.send(`via /${path}`);
    t.is(await c.next(), `via /${path}`);
    t.regex(String(c.ws.extensions), /permessage-deflate/);
    c.ws.close(1000);
    await c.closed;
  }
  const stats = (await (await fetch(`${server.http}/stats`)).json()) as { counters: { total: number; messagesIn: number; messagesOut: number; bytesIn: number; closeCodes: Record<string, number> } };
  t.is(stats.counters.total, 3);
  t.is(stats.counters.messagesIn, 3);
  t.is(stats.counters.messagesOut, 3);
  t.true(stats.counters.bytesIn > 0);
  t.deepEqual(stats.counters.closeCodes, { 1000: 3 });
});

test.serial('chat: two clients join a room and see each other; presence and rtt are reported; bad commands get errors', async (t) => {
  const server = await startServer(t, ['serve', '--port', '0']);
  const ann = await client(`${server.url}chat`);
  const bob = await client(`${server.url}chat`);
  const rtt = JSON.parse(await ann.next()) as { type: string; ms: number };
  t.is(rtt.type, 'rtt', 'the server pings at once and reports the round trip');
  t.true(rtt.ms >= 0);
  ann.ws.send(JSON.stringify({ type: 'join', room: 'lobby', name: 'ann' }));
  t.like(await nextOf(ann), { type: 'joined', room: 'lobby', name: 'ann', members: 1 });
  t.like(await nextOf(ann), { type: 'presence', event: 'join', name: 'ann', members: 1 });
  bob.ws.send(JSON.stringify({ type: 'join', room: 'lobby', name: 'bob' }));
  t.like(await nextOf(bob), { type: 'joined', members: 2 });
  t.like(await nextOf(ann), { type: 'presence', event: 'join', name: 'bob', members: 2 });
  t.like(await nextOf(bob), { type: 'presence', event: 'join', name: 'bob' });
  bob.ws.send(JSON.stringify({ type: 'say', text: 'hi ann' }));
  t.like(await nextOf(ann), { type: 'message', room: 'lobby', name: 'bob', text: 'hi ann' });
  t.like(await nextOf(bob), { type: 'message', name: 'bob', text: 'hi ann' });
  const stats = (await (await fetch(`${server.http}/stats`)).json()) as { rooms: Record<string, number> };
  t.deepEqual(stats.rooms, { lobby: 2 });

  ann.ws.send('not json');
  t.like(await nextOf(ann), { type: 'error', reason: 'not JSON' });
  ann.ws.send(JSON.stringify({ type: 'join', room: '../etc' }));
  t.like(await nextOf(ann), { type: 'error' });
  ann.ws.send(JSON.stringify({ type: 'dance' }));
  t.like(await nextOf(ann), { type: 'error' });

  bob.ws.close(1000);
  await bob.closed;
  t.like(await nextOf(ann), { type: 'presence', event: 'leave', name: 'bob', members: 1 });
  ann.ws.close(1000);
  await ann.closed;
});

test.serial('chat: a message over its 64 KiB maxPayload closes that connection with 1009', async (t) => {
  const server = await startServer(t, ['serve', '--port', '0']);
  const c = await client(`${server.url}chat`, { perMessageDeflate: false });
  c.ws.send('x'.repeat(70 * 1024));
  const [code] = await within(c.closed, PATIENCE, 'the close');
  t.is(code, 1009);
});

test.serial('--max-payload bounds the echo endpoints', async (t) => {
  const server = await startServer(t, ['serve', '--port', '0', '--max-payload', '1000']);
  const c = await client(server.url, { perMessageDeflate: false });
  c.ws.send('x'.repeat(1000));
  t.is((await c.next()).length, 1000);
  c.ws.send('x'.repeat(1001));
  const [code] = await within(c.closed, PATIENCE, 'the close');
  t.is(code, 1009);
});

test.serial('a request head over 8 KiB is refused with 431', async (t) => {
  const server = await startServer(t, ['serve', '--port', '0']);
  const { text } = upgradeRequest('/', { 'X-Big': 'a'.repeat(9000) });
  const response = await rawHttp(t, server.port, text);
  t.is(response.status, 431);
});

test.serial('slowloris: 500 clients trickling headers are all dropped within the header timeout while a normal client still echoes', async (t) => {
  const server = await startServer(t, ['serve', '--port', '0', '--header-timeout', '2000', '--quiet']);
  const sockets: Socket[] = [];
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
  });
  let closed = 0;
  const opened = Date.now();
  await Promise.all(
    Array.from({ length: 500 }, async () => {
      const socket = netConnect(server.port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => {});
      socket.on('close', () => closed++);
      await once(socket, 'connect');
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    }),
  );
  // Keep trickling one header line a second, as slowloris does.
  const trickle = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write(`X-${Math.random().toString(36).slice(2)}: y\r\n`);
  }, 1000);
  t.teardown(() => clearInterval(trickle));
  // Meanwhile a normal client gets its echo.
  const c = await client(server.url);
  c.ws.send('still here');
  t.is(await c.next(), 'still here');
  // Every slow client is gone within the timeout (plus scheduling slack on a loaded machine).
  const deadline = Date.now() + 15_000;
  while (closed < 500 && Date.now() < deadline) await delay(50);
  clearInterval(trickle);
  t.is(closed, 500, 'every slowloris socket was dropped by the server');
  t.log(`500 slowloris sockets dropped ${((Date.now() - opened) / 1000).toFixed(1)} s after they connected (header timeout 2 s)`);
  // The normal client was not touched.
  c.ws.send('after');
  t.is(await c.next(), 'after');
  c.ws.close(1000);
  await c.closed;
});

test.serial('--handshake-timeout, the old name of --header-timeout, still bounds the request head', async (t) => {
  const server = await startServer(t, ['serve', '--port', '0', '--handshake-timeout', '300', '--quiet']);
  const socket = netConnect(server.port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write('GET / HTTP/1.1\r\n'); // and never the rest
  const opened = Date.now();
  await within(once(socket, 'close'), PATIENCE, 'the drop');
  t.true(Date.now() - opened < 5_000, 'dropped after about 300 ms, not the 5 s default');
});

test.serial('--static DIR serves files, never outside DIR; the page stays at /', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ws4ts-static-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'hello.txt'), 'hello file');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  const server = await startServer(t, ['serve', '--port', '0', '--static', dir]);
  const file = await fetch(`${server.http}/hello.txt`);
  t.is(file.status, 200);
  t.is(file.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.is(await file.text(), 'hello file');
  t.is((await fetch(`${server.http}/app.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
  // A traversal attempt, sent raw (fetch would normalise the path).
  const escape = await rawHttp(t, server.port, 'GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n');
  t.is(escape.status, 404);
  const encoded = await rawHttp(t, server.port, 'GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n');
  t.is(encoded.status, 404);
  t.regex(await (await fetch(`${server.http}/`)).text(), /ws4ts demo/);
});

test.serial('--broadcast sends each message to every echo client', async (t) => {
  const server = await startServer(t, ['serve', '--port', '0', '--broadcast']);
  const a = await client(server.url);
  const b = await client(`${server.url}echo`);
  a.ws.send('to all');
  t.is(await a.next(), 'to all');
  t.is(await b.next(), 'to all');
  a.ws.close();
  b.ws.close();
  await Promise.all([a.closed, b.closed]);
});

test.serial('--tls-cert and --tls-key serve wss:// and https://', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ws4ts-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'cert.pem'), TEST_CERT);
  writeFileSync(join(dir, 'key.pem'), TEST_KEY);
  const server = await startServer(t, ['serve', '--port', '0', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
  t.regex(server.url, /^wss:\/\/127\.0\.0\.1:\d+\/$/);
  await until(() => server.output().includes('demo page'), PATIENCE, 'the second line');
  t.regex(server.output(), /demo page: https:\/\//);
  const c = await client(server.url, { ca: TEST_CERT });
  c.ws.send('secure');
  t.is(await c.next(), 'secure');
  c.ws.close();
  await c.closed;
});

test.serial('without a TTY each connection is logged on one line; SIGINT exits at once when idle', async (t) => {
  const server = await startServer(t, ['serve', '--port', '0']);
  const c = await client(`${server.url}echo`);
  c.ws.send('x');
  await c.next();
  c.ws.close(1000, 'bye');
  await c.closed;
  const deadline = Date.now() + PATIENCE;
  while (!/close /.test(server.output()) && Date.now() < deadline) await delay(20);
  t.regex(server.output(), /open {2}127\.0\.0\.1 \/echo \(permessage-deflate[^)]*\)/);
  t.regex(server.output(), /close 127\.0\.0\.1 \/echo 1000 "bye" after \d+\.\d s, 1 in \/ 1 out/);
  const exited = once(server.child, 'exit');
  server.child.kill('SIGINT');
  const [code] = (await within(exited, PATIENCE, 'the server exiting')) as [number];
  t.is(code, 0);
});
