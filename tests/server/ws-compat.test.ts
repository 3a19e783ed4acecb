/**
 * `ws4ts/ws`'s WebSocketServer against the real `ws` client: the options,
 * events and methods of `ws`'s server, answered by the ws4ts acceptor.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import WS, { type ClientOptions } from 'ws';
import { WebSocketServer, type ServerOptions, type VerifyClientInfo } from '../../src/server/ws-compat.js';
import type { WebSocket } from '../../src/websocket.js';
import { frame, httpServer, tcp, until, upgradeRequest, within, Queue, PATIENCE } from '../helpers/loopback.js';
import { wsPeer } from '../helpers/ws-peer.js';

/** A WebSocketServer closed on teardown; `accepted` yields its connections with their requests. */
function track(t: ExecutionContext, wss: WebSocketServer): Queue<{ ws: WebSocket; request: IncomingMessage }> {
  const accepted = new Queue<{ ws: WebSocket; request: IncomingMessage }>();
  wss.on('connection', (ws, request) => accepted.push({ ws, request }));
  t.teardown(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  return accepted;
}

/** A server in port mode on 127.0.0.1 (any free port), listening. */
async function listening(t: ExecutionContext, options: Omit<ServerOptions, 'port' | 'host'> = {}): Promise<{ wss: WebSocketServer; url: string; accepted: Queue<{ ws: WebSocket; request: IncomingMessage }> }> {
  const wss = new WebSocketServer({ ...options, port: 0, host: '127.0.0.1' });
  const accepted = track(t, wss);
  await within(once(wss, 'listening'), PATIENCE, 'listening');
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, accepted };
}

/** Echo every message, text as text and binary as binary. */
function echo(ws: WebSocket): void {
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('message', (event) => ws.send((event as MessageEvent).data as string | ArrayBuffer));
}

/** A `ws` client whose handshake is refused: the status, headers and body of the answer. */
function refusal(t: ExecutionContext, url: string, options: ClientOptions = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const ws = new WS(url, options);
  t.teardown(() => ws.terminate());
  return within(
    new Promise((resolve, reject) => {
      ws.once('open', () => reject(new Error('the handshake was accepted')));
      ws.once('error', () => {});
      ws.once('unexpected-response', (_request, response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      });
    }),
    PATIENCE,
    `refusal of ${url}`,
  );
}

test('port mode: listening, address() and an echo of text and binary', async (t) => {
  const { wss, url, accepted } = await listening(t);
  wss.on('connection', echo);
  const peer = await wsPeer(t, `${url}/any/path`);
  const { request } = await accepted.next();
  t.is(request.url, '/any/path');
  peer.ws.send('hello');
  peer.ws.send(Buffer.from([1, 2, 3]));
  t.is(await peer.messages.next(), 'hello');
  t.deepEqual(await peer.messages.next(), Buffer.from([1, 2, 3]));
  t.is((wss.address() as AddressInfo).address, '127.0.0.1');
});

test('port mode: the constructor callback runs once listening; plain HTTP gets 426', async (t) => {
  const listened = new Promise<WebSocketServer>((resolve) => {
    const wss: WebSocketServer = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => resolve(wss));
    track(t, wss);
  });
  const wss = await within(listened, PATIENCE, 'the listen callback');
  const response = await fetch(`http://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
  t.is(response.status, 426);
  t.is(await response.text(), 'Upgrade Required');
});

test('server mode: a path mismatch is refused with 400, the path (query ignored) is served', async (t) => {
  const http = await httpServer(t);
  const wss = new WebSocketServer({ server: http.server, path: '/ws' });
  const accepted = track(t, wss);
  wss.on('connection', echo);
  t.is((await refusal(t, `${http.url}/other`)).status, 400);
  const peer = await wsPeer(t, `${http.url}/ws?token=1`);
  t.is((await accepted.next()).request.url, '/ws?token=1');
  peer.ws.send('on path');
  t.is(await peer.messages.next(), 'on path');
  t.is((wss.address() as AddressInfo).port, http.port);
});

test('noServer: handleUpgrade() from an upgrade listener of ours hands over the WebSocket', async (t) => {
  const http = await httpServer(t);
  const wss = new WebSocketServer({ noServer: true });
  const accepted = track(t, wss);
  t.throws(() => wss.address(), { message: /noServer/ });
  http.server.on('upgrade', (request: IncomingMessage, socket, head: Buffer) => {
    if (request.url === '/ws') wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    else socket.destroy();
  });
  wss.on('connection', echo);
  const peer = await wsPeer(t, `${http.url}/ws`);
  await accepted.next();
  peer.ws.send('via handleUpgrade');
  t.is(await peer.messages.next(), 'via handleUpgrade');
});

test('handleProtocols picks a protocol from the Set offered; by default the first one is selected, false selects none', async (t) => {
  let seen: { protocols: string[]; url: string | undefined } | undefined;
  const { url } = await listening(t, {
    handleProtocols: (protocols, request) => {
      seen = { protocols: [...protocols], url: request.url };
      return protocols.has('chat.v2') ? 'chat.v2' : false;
    },
  });
  // ws 8 reads `protocols` from its options too (not yet in @types/ws).
  const chosen = await wsPeer(t, `${url}/p`, { protocols: ['chat.v1', 'chat.v2'] } as ClientOptions);
  t.is(chosen.ws.protocol, 'chat.v2');
  t.deepEqual(seen, { protocols: ['chat.v1', 'chat.v2'], url: '/p' });
  const none = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => false });
  track(t, none);
  await once(none, 'listening');
  // ws refuses a server that selects no protocol when one was offered; so does the RFC's client rule.
  const noneUrl = `ws://127.0.0.1:${(none.address() as AddressInfo).port}`;
  const refused = new WS(noneUrl, ['x']);
  t.teardown(() => refused.terminate());
  const [error] = (await within(once(refused, 'error'), PATIENCE, 'the client error')) as [Error];
  t.regex(error.message, /Server sent no subprotocol/);
  const first = await listening(t);
  const peer = await wsPeer(t, first.url, { protocols: ['a', 'b'] } as ClientOptions);
  t.is(peer.ws.protocol, 'a');
});

test('verifyClient, synchronous: false refuses with 401; it gets origin, secure and req', async (t) => {
  const infos: VerifyClientInfo[] = [];
  const { url } = await listening(t, {
    verifyClient: (info) => {
      infos.push(info);
      return info.req.url === '/ok';
    },
  });
  t.is((await refusal(t, `${url}/no`, { origin: 'https://example.test' })).status, 401);
  t.is(infos[0]!.origin, 'https://example.test');
  t.false(infos[0]!.secure);
  await wsPeer(t, `${url}/ok`);
  t.is(infos.length, 2);
});

test('verifyClient, asynchronous: the callback refuses with its code, message and headers, or accepts', async (t) => {
  const { url, accepted } = await listening(t, {
    verifyClient: (info, callback) => {
      setTimeout(() => {
        if (info.req.url === '/ok') callback(true);
        else callback(false, 403, 'Not you', { 'X-Why': 'test' });
      }, 10);
    },
  });
  const refused = await refusal(t, `${url}/no`);
  t.is(refused.status, 403);
  t.is(refused.headers['x-why'], 'test');
  t.regex(refused.body, /Not you/);
  await wsPeer(t, `${url}/ok`);
  t.is((await accepted.next()).request.url, '/ok');
});

test('maxPayload: a larger message closes the connection with 1009', async (t) => {
  const { url } = await listening(t, { maxPayload: 16 });
  const peer = await wsPeer(t, url);
  peer.ws.send('x'.repeat(17));
  t.is((await within(peer.closed, PATIENCE, 'the close')).code, 1009);
});

test('perMessageDeflate: negotiated when on, off by default as in ws', async (t) => {
  const on = await listening(t, { perMessageDeflate: { threshold: 0, serverNoContextTakeover: true } });
  on.wss.on('connection', echo);
  const peer = await wsPeer(t, on.url);
  t.regex(peer.ws.extensions, /^permessage-deflate/);
  t.regex((await on.accepted.next()).ws.extensions, /server_no_context_takeover/);
  peer.ws.send('z'.repeat(1000));
  t.is(await peer.messages.next(), 'z'.repeat(1000));
  const off = await listening(t);
  const plain = await wsPeer(t, off.url);
  t.is(plain.ws.extensions, '');
});

test('clients grows with each connection and shrinks as they close; clientTracking false keeps it empty', async (t) => {
  const { wss, url } = await listening(t);
  const a = await wsPeer(t, url);
  const b = await wsPeer(t, url);
  await until(() => wss.clients.size === 2, PATIENCE, 'two clients');
  a.ws.close();
  await until(() => wss.clients.size === 1, PATIENCE, 'one client left');
  b.ws.terminate();
  await until(() => wss.clients.size === 0, PATIENCE, 'no client left');
  const untracked = await listening(t, { clientTracking: false });
  await wsPeer(t, untracked.url);
  await untracked.accepted.next();
  t.is(untracked.wss.clients.size, 0);
  t.is(untracked.wss.manager.size, 1);
});

test('the headers event adds response headers', async (t) => {
  const { wss, url } = await listening(t);
  wss.on('headers', (headers, request) => {
    t.is(headers[0], 'HTTP/1.1 101 Switching Protocols');
    headers.push(`X-Path: ${request.url ?? ''}`);
  });
  const ws = new WS(`${url}/h`);
  t.teardown(() => ws.terminate());
  const [response] = (await within(once(ws, 'upgrade'), PATIENCE, 'the upgrade')) as [IncomingMessage];
  t.is(response.headers['x-path'], '/h');
});

test('close(cb) closes every client with 1001, closes the server it created and emits close', async (t) => {
  const { wss, url } = await listening(t);
  const peers = [await wsPeer(t, url), await wsPeer(t, url)];
  await until(() => wss.clients.size === 2, PATIENCE, 'two clients');
  const closed = once(wss, 'close');
  const done = new Promise<Error | undefined>((resolve) => wss.close(resolve));
  t.is(await within(done, PATIENCE, 'close(cb)'), undefined);
  await closed;
  for (const peer of peers) t.is((await peer.closed).code, 1001);
  t.is(wss.clients.size, 0);
  t.is(wss.address(), null);
  const again = await new Promise<Error | undefined>((resolve) => wss.close(resolve));
  t.regex(again!.message, /not running/);
});

test('close() in server mode leaves the given HTTP server listening; handleUpgrade then answers 503', async (t) => {
  const http = await httpServer(t);
  const wss = new WebSocketServer({ server: http.server });
  track(t, wss);
  const peer = await wsPeer(t, http.url);
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  t.is((await peer.closed).code, 1001);
  t.true(http.server.listening);
  const noServer = new WebSocketServer({ noServer: true });
  noServer.close();
  http.server.on('upgrade', (request: IncomingMessage, socket, head: Buffer) => noServer.handleUpgrade(request, socket, head, () => t.fail()));
  t.is((await refusal(t, http.url)).status, 503);
});

test('options: not exactly one of port, server and noServer, or a wrong type, throws TypeError; a value out of range RangeError', (t) => {
  const bad: unknown[] = [
    undefined,
    {},
    { port: 0, noServer: true },
    { port: 0, server: {} },
    { port: 'x' },
    { noServer: true, path: 1 },
    { noServer: true, verifyClient: 'yes' },
    { noServer: true, handleProtocols: true },
    { noServer: true, clientTracking: 'no' },
    { noServer: true, maxPayload: '1' },
    { noServer: true, perMessageDeflate: 'on' },
    { server: {} },
  ];
  for (const options of bad) t.throws(() => new WebSocketServer(options as ServerOptions), { instanceOf: TypeError }, JSON.stringify(options));
  // Values of the right type out of range are RangeErrors, as everywhere in ws4ts.
  for (const options of [{ port: -1 }, { port: 65536 }, { noServer: true, maxPayload: 0 }]) {
    t.throws(() => new WebSocketServer(options), { instanceOf: RangeError }, JSON.stringify(options));
  }
});

test("a frame sent in the same packet as the upgrade request reaches the 'message' listener the connection event adds", async (t) => {
  const { wss } = await listening(t);
  wss.on('connection', (ws) => ws.addEventListener('message', (event) => void ws.send((event as MessageEvent).data as string)));
  const socket = await tcp(t, (wss.address() as AddressInfo).port);
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => void (received = Buffer.concat([received, chunk])));
  socket.write(Buffer.concat([Buffer.from(upgradeRequest().text), frame(1, 'early bird')]));
  const echo = Buffer.concat([Buffer.of(0x81, 10), Buffer.from('early bird')]);
  await within(until(() => received.includes(echo)), PATIENCE, 'the echo');
  t.true(received.includes(echo), 'the early frame came back as an unmasked text frame');
});

test("ws's connection dialect: on('message', (data, isBinary)), send(data, { binary }, cb), on('close', (code, reason))", async (t) => {
  const { wss, url } = await listening(t);
  const closes: [number, string][] = [];
  const callbacks: (Error | undefined)[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      t.true(Buffer.isBuffer(data), 'data is a Buffer, text included');
      ws.send(data, { binary: isBinary }, (error) => callbacks.push(error));
    });
    ws.on('close', (code, reason) => {
      t.true(Buffer.isBuffer(reason));
      closes.push([code, reason.toString()]);
      ws.send('too late', (error) => callbacks.push(error));
    });
  });
  const peer = await wsPeer(t, url);
  peer.ws.send('héllo');
  peer.ws.send(Buffer.from([0, 255]));
  t.is(await within(peer.messages.next(), PATIENCE), 'héllo', 'text went back as text');
  t.deepEqual(await within(peer.messages.next(), PATIENCE), Buffer.from([0, 255]), 'binary went back as binary');
  peer.ws.close(4001, 'bye');
  t.is((await within(peer.closed, PATIENCE)).code, 4001);
  await until(() => callbacks.length === 3);
  t.deepEqual(closes, [[4001, 'bye']]);
  t.is(callbacks[0], undefined);
  t.is(callbacks[1], undefined);
  t.regex(String(callbacks[2]), /not open: readyState 3 \(CLOSED\)/, 'a send after close calls back with an error');
});

test("ws's heartbeat: ping() with on('pong'); an 'error' event (closeCode 1009) before 'close' for a violation", async (t) => {
  const { wss, url } = await listening(t, { maxPayload: 16 });
  const events: string[] = [];
  wss.on('connection', (ws) => {
    ws.on('pong', (data) => events.push(`pong ${data.length}`));
    ws.on('error', (error) => events.push(`error ${(error as { closeCode?: number }).closeCode}`));
    ws.once('close', () => events.push('close'));
    ws.ping(); // the promise is ignored, as ws code does
  });
  const peer = await wsPeer(t, url);
  await until(() => events.includes('pong 4'), PATIENCE, 'the pong');
  peer.ws.send('x'.repeat(17));
  t.is((await within(peer.closed, PATIENCE)).code, 1009);
  await until(() => events.length === 3, PATIENCE, 'error and close');
  t.deepEqual(events, ['pong 4', 'error 1009', 'close']);
});

test("a throwing ws-style 'message' listener closes its connection with 1011; the server keeps serving", async (t) => {
  const { wss, url } = await listening(t);
  wss.on('connection', (ws) => {
    ws.unhandledError = () => {};
    ws.on('message', (data) => {
      if (data.toString() === 'throw') throw new Error('listener bug');
      ws.send(data, { binary: false });
    });
  });
  const bad = await wsPeer(t, url);
  bad.ws.send('throw');
  t.is((await within(bad.closed, PATIENCE)).code, 1011);
  const good = await wsPeer(t, url);
  good.ws.send('fine');
  t.is(await within(good.messages.next(), PATIENCE), 'fine');
});
