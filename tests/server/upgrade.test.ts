import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { upgradeHandler, type UpgradeOptions } from '../../src/server/upgrade.js';
import { connect, HandshakeError } from '../../src/client.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import {
  accept,
  client,
  delay,
  frame,
  httpServer,
  netServer,
  rawClient,
  rawHttp,
  serverWith,
  tcp,
  upgradeRequest,
  within, PATIENCE } from '../helpers/loopback.js';

/** Send a hand-written upgrade request to an acceptor on `/` and read the rejection. */
async function reject(t: ExecutionContext, options: UpgradeOptions, overrides: Record<string, string | null> = {}, method = 'GET') {
  const { port } = await serverWith(t, options);
  return rawHttp(t, port, upgradeRequest('/', overrides, method).text);
}

const echo = { handler: EchoWebSocket };

test('a POST upgrade is answered 405 with Allow: GET and a plain-text reason', async (t) => {
  const response = await reject(t, echo, {}, 'POST');
  t.is(response.status, 405);
  t.is(response.headers.allow, 'GET');
  t.is(response.headers['content-type'], 'text/plain; charset=utf-8');
  t.is(response.body, 'Invalid HTTP method\n');
  t.is(Number(response.headers['content-length']), response.rest.length);
});

test('a missing or malformed Sec-WebSocket-Key is answered 400', async (t) => {
  for (const key of [null, 'short', 'dGhlIHNhbXBsZSBub25jZQ', '!!!!!!!!!!!!!!!!!!!!!!==']) {
    const response = await reject(t, echo, { 'Sec-WebSocket-Key': key });
    t.is(response.status, 400, String(key));
    t.is(response.body, 'Missing or invalid Sec-WebSocket-Key header\n');
  }
});

test('an Upgrade header without websocket is answered 400', async (t) => {
  const response = await reject(t, echo, { Upgrade: 'h2c' });
  t.is(response.status, 400);
  t.is(response.body, 'Invalid Upgrade header\n');
});

test('Sec-WebSocket-Version 8 is answered 426 with Sec-WebSocket-Version: 13', async (t) => {
  const response = await reject(t, echo, { 'Sec-WebSocket-Version': '8' });
  t.is(response.status, 426);
  t.is(response.headers['sec-websocket-version'], '13');
  t.regex(response.body, /Sec-WebSocket-Version/);
  const missing = await reject(t, echo, { 'Sec-WebSocket-Version': null });
  t.is(missing.status, 426);
});

test('an origin outside the allow-list is answered 403; listed origins and a predicate are honoured', async (t) => {
  const listed = { ...echo, origins: ['https://good.example'] };
  const bad = await reject(t, listed, { Origin: 'https://evil.example' });
  t.is(bad.status, 403);
  t.is(bad.body, 'Origin not allowed\n');
  t.is((await reject(t, listed)).status, 403, 'no Origin at all is not in the list');
  const { url } = await serverWith(t, listed);
  const ws = await client(t, url, { origin: 'https://good.example' });
  t.is(ws.readyState, 1);
  const predicate = { ...echo, origins: (origin: string | undefined) => origin?.endsWith('.good.example') === true };
  t.is((await reject(t, predicate, { Origin: 'https://a.evil.example' })).status, 403);
  const { url: url2 } = await serverWith(t, predicate);
  t.is((await client(t, url2, { origin: 'https://a.good.example' })).readyState, 1);
});

test('the acceptor also answers 400 for a Connection header without upgrade (requests node:http does not route)', async (t) => {
  // node:http only emits 'upgrade' with Connection: upgrade, so call the acceptor directly
  // as the standalone server will, with a request it parsed itself.
  const listener = upgradeHandler(echo);
  const { port } = await netServer(t, (socket) => {
    socket.once('data', () =>
      listener({ method: 'GET', url: '/', httpVersion: '1.1', headers: { host: 'x', upgrade: 'websocket', connection: 'keep-alive', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } }, socket, new Uint8Array(0)),
    );
  });
  const response = await rawHttp(t, port, 'ignored\r\n\r\n');
  t.is(response.status, 400);
  t.is(response.body, 'Invalid Connection header\n');
});

test('verify() returning false is answered 403', async (t) => {
  const response = await reject(t, { ...echo, verify: () => false });
  t.is(response.status, 403);
  t.is(response.body, 'Forbidden\n');
});

test('verify() can reject with a custom status, reason and headers, synchronously or not', async (t) => {
  const rejection = { status: 401, reason: 'Log in first', headers: { 'WWW-Authenticate': 'Bearer realm="ws"' } };
  for (const verify of [() => rejection, async () => rejection]) {
    const response = await reject(t, { ...echo, verify });
    t.is(response.status, 401);
    t.is(response.body, 'Log in first\n');
    t.is(response.headers['www-authenticate'], 'Bearer realm="ws"');
  }
  // Our client sees all of it in a HandshakeError.
  const { url } = await serverWith(t, { ...echo, verify: () => rejection });
  const error = await t.throwsAsync(within(connect(url), PATIENCE), { instanceOf: HandshakeError });
  t.is(error.status, 401);
  t.is(error.body, 'Log in first\n');
  t.is(error.headers['www-authenticate'], 'Bearer realm="ws"');
});

test('verify() sees the request, and an async verify accepting keeps frames sent early', async (t) => {
  const seen: string[] = [];
  const { port } = await serverWith(t, {
    ...echo,
    verify: async (request) => {
      seen.push(`${request.method} ${request.url} ${String(request.headers.authorization)}`);
      await delay(50);
      return true;
    },
  });
  // The handshake and a first frame in one write, before the verdict.
  const socket = await tcp(t, port);
  const { text, key } = upgradeRequest('/?token=1', { Authorization: 'Bearer x' });
  socket.write(Buffer.concat([Buffer.from(text), frame(1, 'early')]));
  let head = '';
  const raw: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => raw.push(chunk));
  await within(
    (async () => {
      for (;;) {
        const data = Buffer.concat(raw);
        const end = data.indexOf('\r\n\r\n');
        if (end >= 0 && data.length > end + 4) {
          head = data.subarray(0, end).toString();
          const echoed = data.subarray(end + 4);
          if (echoed.length >= 7) return echoed;
        }
        await delay(5);
      }
    })(), PATIENCE,
    'the early frame echoed',
  ).then((echoed) => t.is(echoed.subarray(2, 7).toString(), 'early'));
  t.regex(head, /^HTTP\/1\.1 101/);
  t.true(head.includes(accept(key)));
  t.deepEqual(seen, ['GET /?token=1 Bearer x']);
});

test('a throwing or rejecting verify() is answered 500', async (t) => {
  for (const verify of [
    () => {
      throw new Error('db down');
    },
    async () => {
      throw new Error('db down');
    },
  ]) {
    const response = await reject(t, { ...echo, verify });
    t.is(response.status, 500);
    t.is(response.body, 'Verification failed\n');
  }
});

test('a verify() slower than verifyTimeout is answered 408, and its late verdict starts nothing', async (t) => {
  let opened = 0;
  const { port } = await serverWith(t, {
    ...echo,
    verifyTimeout: 100,
    verify: () => delay(300).then(() => true),
    onConnection: () => opened++,
  });
  // A half-open client: it keeps its side open after the server's answer.
  const socket = createConnection({ port, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => {});
  t.teardown(() => void socket.destroy());
  const data: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => data.push(chunk));
  socket.write(upgradeRequest().text);
  await within(once(socket, 'end'), PATIENCE, 'the 408 answer');
  t.regex(Buffer.concat(data).toString(), /^HTTP\/1\.1 408/);
  await delay(350);
  t.is(opened, 0, 'no WebSocket for a request already answered 408');
  t.false(Buffer.concat(data).toString().includes('101 Switching'));
});

test('handshakeTimeout, the deprecated name of verifyTimeout, still bounds verify(); verifyTimeout wins over it', async (t) => {
  const slow = { ...echo, verify: () => delay(1500).then(() => true) };
  for (const options of [{ handshakeTimeout: 100 }, { handshakeTimeout: 60_000, verifyTimeout: 100 }]) {
    // A verdict after 1.5 s would be a 101: a 408 means the 100 ms bound applied.
    t.is((await reject(t, { ...slow, ...options })).status, 408, JSON.stringify(options));
  }
});

test('subprotocols: the server list picks its preferred offer, a function chooses, no offer means none', async (t) => {
  const { url } = await serverWith(t, { ...echo, protocols: ['v2', 'v1'] });
  t.is((await client(t, url, { protocols: ['v1', 'v2'] })).protocol, 'v2');
  t.is((await client(t, url, { protocols: ['v1'] })).protocol, 'v1');
  t.is((await client(t, url, { protocols: ['v3'] })).protocol, '');
  t.is((await client(t, url)).protocol, '');
  const offers: (readonly string[])[] = [];
  const { url: url2, accepted } = await serverWith(t, {
    ...echo,
    protocols: (offered) => {
      offers.push(offered);
      return offered.at(-1);
    },
  });
  const ws = await client(t, url2, { protocols: ['a', 'b', 'c'] });
  t.is(ws.protocol, 'c');
  t.is((await accepted.next()).protocol, 'c');
  t.deepEqual(offers, [['a', 'b', 'c']]);
});

test('a protocol function answering something not offered is answered 500, not sent', async (t) => {
  const response = await reject(t, { ...echo, protocols: () => 'unoffered' }, { 'Sec-WebSocket-Protocol': 'chat' });
  t.is(response.status, 500);
});

test('extra 101 headers are sent and onConnection gets each open WebSocket', async (t) => {
  const opened: WebSocket[] = [];
  const { port } = await serverWith(t, { ...echo, headers: { 'X-Server': 'ws4ts' }, onConnection: (ws) => opened.push(ws) });
  const peer = await rawClient(t, port);
  t.is(peer.response.headers['x-server'], 'ws4ts');
  t.is(opened.length, 1);
  t.is(opened[0]!.readyState, 1);
});

test('frames sent in the same packet as the handshake are not lost', async (t) => {
  const { port } = await serverWith(t, echo);
  const socket = await tcp(t, port);
  const { text } = upgradeRequest();
  const raw: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => raw.push(chunk));
  socket.write(Buffer.concat([Buffer.from(text), frame(1, 'one'), frame(1, 'two')]));
  await within(
    (async () => {
      while (!Buffer.concat(raw).toString().includes('two')) await delay(5);
    })(),
    PATIENCE,
    'both echoes',
  );
  const data = Buffer.concat(raw);
  t.true(data.toString().includes('one'));
});

test('a client that leaves before the handshake completes affects nobody', async (t) => {
  const { port, url } = await serverWith(t, { ...echo, verify: () => delay(50).then(() => true) });
  const socket = await tcp(t, port);
  socket.write(upgradeRequest().text);
  socket.destroy();
  await delay(100);
  const ws = await client(t, url);
  ws.send('fine');
  t.is((await within(ws.receive(), PATIENCE)).data, 'fine');
});

test('ordinary requests on the same server are not touched by the acceptor', async (t) => {
  const listening = await httpServer(t, (_request, response) => response.end('plain http'));
  listening.server.on('upgrade', upgradeHandler(echo));
  const response = await fetch(`http://127.0.0.1:${listening.port}/`);
  t.is(await response.text(), 'plain http');
  const ws = await client(t, listening.url);
  ws.send('and ws');
  t.is((await within(ws.receive(), PATIENCE)).data, 'and ws');
});
