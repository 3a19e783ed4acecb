/**
 * The Express 5 integration against the real Express and the real `ws`
 * client: WebSocket routes next to ordinary ones, middleware refusing
 * upgrades, one manager per app, and closing with the server.
 */
import test, { type ExecutionContext } from 'ava';
import express, { type Express, type RequestHandler } from 'express';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { expressWebSockets, requestOf, type ExpressWebSockets, type ExpressWebSocketsOptions } from '../../src/server/express.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { WebSocketManager } from '../../src/server/manager.js';
import { PATIENCE, delay, rawClient, rawHttp, tcp, until, upgradeRequest, within } from '../helpers/loopback.js';
import WS from 'ws';
import { wsPeer } from '../helpers/ws-peer.js';
import { upgradeWithEarlyFrame, wsRefusal } from '../helpers/upgrade-peers.js';

const upper = async (ws: WebSocket): Promise<void> => {
  for await (const message of ws) ws.send(String(message.data).toUpperCase());
};

interface Running extends ExpressWebSockets<Express> {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  readonly http: string;
}

/** An app with WebSocket routes listening on 127.0.0.1:0 through `app.listen`; closed on teardown. */
async function running(
  t: ExecutionContext,
  setup: (app: ExpressWebSockets<Express>['app']) => void,
  options: ExpressWebSocketsOptions = {},
): Promise<Running> {
  const integration = expressWebSockets(express(), options);
  setup(integration.app);
  const server = integration.app.listen(0, '127.0.0.1');
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { ...integration, server, port, url: `ws://127.0.0.1:${port}`, http: `http://127.0.0.1:${port}` };
}

const requireToken: RequestHandler = (request, response, next) => {
  if (request.get('authorization') === 'Bearer ok') return next();
  response.status(401).set('WWW-Authenticate', 'Bearer').send('no');
};

test('two WebSocket routes run their own handlers next to an ordinary route', async (t) => {
  const { url, http } = await running(t, (app) => {
    app.get('/hello', (_request, response) => {
      response.send('hello over http');
    });
    app.ws('/echo', EchoWebSocket);
    app.ws('/upper', upper);
  });
  const echo = await wsPeer(t, `${url}/echo`);
  const shout = await wsPeer(t, `${url}/upper?room=1`);
  echo.ws.send('quiet');
  shout.ws.send('quiet');
  t.is(await echo.messages.next(), 'quiet');
  t.is(await shout.messages.next(), 'QUIET');
  t.is(await (await fetch(`${http}/hello`)).text(), 'hello over http');
});

test('a plain GET on a WebSocket path falls through to later routes, or to the 404', async (t) => {
  const seen: string[] = [];
  const { url, http } = await running(t, (app) => {
    app.ws('/chat', (request, _response, next) => {
      seen.push(request.url);
      next();
    }, EchoWebSocket);
    app.ws('/only-ws', EchoWebSocket);
    app.get('/chat', (_request, response) => {
      response.send('the chat page');
    });
  });
  t.is(await (await fetch(`${http}/chat`)).text(), 'the chat page');
  const missing = await fetch(`${http}/only-ws`);
  t.is(missing.status, 404);
  await missing.text();
  // The route's middleware saw no plain GET, only the upgrade.
  t.deepEqual(seen, []);
  const chat = await wsPeer(t, `${url}/chat`);
  chat.ws.send('hi');
  t.is(await chat.messages.next(), 'hi');
  t.deepEqual(seen, ['/chat']);
});

test("a route middleware that answers refuses the upgrade, and the client sees its status and body", async (t) => {
  const { url, http } = await running(t, (app) => app.ws('/private', requireToken, EchoWebSocket));
  const refusal = await wsRefusal(t, `${url}/private`);
  t.is(refusal.status, 401);
  t.is(refusal.body, 'no');
  t.is(refusal.headers['www-authenticate'], 'Bearer');
  t.is(refusal.headers.connection, 'close');
  const allowed = await wsPeer(t, `${url}/private`, { headers: { Authorization: 'Bearer ok' } });
  allowed.ws.send('let in');
  t.is(await allowed.messages.next(), 'let in');
  // A plain GET never meets the route's middleware: no 401, just the 404.
  const plain = await fetch(`${http}/private`);
  t.is(plain.status, 404);
  await plain.text();
});

test('app-level middleware runs for upgrades and may refuse them too', async (t) => {
  const { url } = await running(t, (app) => {
    app.use((request, response, next) => {
      if (request.get('x-banned') === 'yes') return void response.status(403).send('banned');
      next();
    });
    app.ws('/', EchoWebSocket);
  });
  const refusal = await wsRefusal(t, `${url}/`, { headers: { 'X-Banned': 'yes' } });
  t.is(refusal.status, 403);
  t.is(refusal.body, 'banned');
  const peer = await wsPeer(t, `${url}/`);
  peer.ws.send('fine');
  t.is(await peer.messages.next(), 'fine');
});

test('the handler reads what middleware put on the Express request through requestOf', async (t) => {
  const { url } = await running(t, (app) =>
    app.ws(
      '/me',
      (request, _response, next) => {
        (request as unknown as { user: string }).user = 'ann';
        next();
      },
      async (ws: WebSocket) => {
        // Read synchronously, before the first await: the entry exists before the handler starts.
        const request = requestOf(ws) as unknown as { user: string; query: Record<string, string> } | undefined;
        ws.send(`${request?.user} ${request?.query.lang}`);
        for await (const _ of ws);
      },
    ),
  );
  const peer = await wsPeer(t, `${url}/me?lang=fr`);
  t.is(await peer.messages.next(), 'ann fr');
});

test('an error passed to next() is answered by Express with 500 and no upgrade', async (t) => {
  const { url } = await running(t, (app) => {
    app.ws('/broken', (_request, _response, next) => next(new Error('database down')), EchoWebSocket);
    app.use(((error, _request, response, _next) => {
      response.status(500).send(`failed: ${(error as Error).message}`);
    }) as express.ErrorRequestHandler);
  });
  const refusal = await wsRefusal(t, `${url}/broken`);
  t.is(refusal.status, 500);
  t.is(refusal.body, 'failed: database down');
});

test('an upgrade for a path without a WebSocket route gets the 404 of Express', async (t) => {
  const { url, port } = await running(t, (app) => app.ws('/echo', EchoWebSocket));
  const refusal = await wsRefusal(t, `${url}/nope`);
  t.is(refusal.status, 404);
  t.regex(refusal.body, /Cannot GET \/nope/);
  // Raw, the connection is closed once the answer is out.
  const raw = await rawHttp(t, port, upgradeRequest('/nope').text);
  t.is(raw.status, 404);
});

test('route options reach the acceptor: subprotocols, and verify sees the Express request', async (t) => {
  const { url } = await running(t, (app) =>
    app.ws('/v', {
      handler: EchoWebSocket,
      protocols: ['chat.v2'],
      verify: (request) => ((request as express.Request).query.ok === '1' ? true : { status: 403, reason: 'not ok' }),
    }),
  );
  const client = new WS(`${url}/v?ok=1`, ['chat.v2']);
  t.teardown(() => client.terminate());
  await within(once(client, 'open'), PATIENCE, 'open with a subprotocol');
  t.is(client.protocol, 'chat.v2');
  const refusal = await wsRefusal(t, `${url}/v?ok=0`);
  t.is(refusal.status, 403);
  t.is(refusal.body, 'not ok\n');
});

test('a middleware that never answers gets the client a 408 after routingTimeout', async (t) => {
  const { url } = await running(t, (app) => app.ws('/stuck', () => {}, EchoWebSocket), { routingTimeout: 200 });
  const started = Date.now();
  const refusal = await wsRefusal(t, `${url}/stuck`);
  t.is(refusal.status, 408);
  t.true(Date.now() - started < 5000);
});

test('handshakeTimeout, the deprecated name of routingTimeout, still bounds routing; routingTimeout wins over it', async (t) => {
  for (const options of [{ handshakeTimeout: 200 }, { handshakeTimeout: 60_000, routingTimeout: 200 }]) {
    const { url } = await running(t, (app) => app.ws('/stuck', () => {}, EchoWebSocket), options);
    const started = Date.now();
    t.is((await wsRefusal(t, `${url}/stuck`)).status, 408, JSON.stringify(options));
    t.true(Date.now() - started < 5000);
  }
});

test('one manager counts the connections of every route and broadcasts to all of them', async (t) => {
  const { url, manager, http } = await running(t, (app) => {
    app.ws('/echo', EchoWebSocket);
    app.ws('/upper', upper);
  });
  const peers = [await wsPeer(t, `${url}/echo`), await wsPeer(t, `${url}/upper`), await wsPeer(t, `${url}/upper`)];
  await until(() => manager.size === 3, PATIENCE, 'three connections');
  const result = manager.broadcast('news');
  t.is(result.sent, 3);
  t.deepEqual(result.failed, []);
  for (const peer of peers) t.is(await peer.messages.next(), 'news');
  peers[0]!.ws.close();
  await until(() => manager.size === 2, PATIENCE, 'one connection gone');
  t.is(await (await fetch(`${http}/missing`)).status, 404);
});

test('closing the server closes every WebSocket with 1001 and the close callback runs', async (t) => {
  const { url, server, manager } = await running(t, (app) => {
    app.ws('/echo', EchoWebSocket);
    app.ws('/upper', upper);
  });
  const peers = [await wsPeer(t, `${url}/echo`), await wsPeer(t, `${url}/upper`)];
  await until(() => manager.size === 2);
  const started = Date.now();
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  const outcomes = await within(Promise.all(peers.map((peer) => peer.closed)), PATIENCE, 'clients closed');
  for (const outcome of outcomes) t.is(outcome.code, 1001);
  await within(closed, PATIENCE, 'server.close callback');
  t.true(Date.now() - started < 5000, 'closed well before the terminate timeout');
  // net.Server reports itself closed as the last socket is destroyed, a tick before that socket's 'close' event.
  await until(() => manager.size === 0, PATIENCE, 'manager emptied');
});

test('a throwing handler closes only its own connection, with 1011', async (t) => {
  const { url } = await running(t, (app) => {
    app.ws('/echo', EchoWebSocket);
    app.ws('/boom', async (ws: WebSocket) => {
      for await (const message of ws) if (message.data === 'boom') throw new Error('handler bug');
    });
  });
  const bystander = await wsPeer(t, `${url}/echo`);
  const victim = await wsPeer(t, `${url}/boom`);
  victim.ws.send('boom');
  t.is((await within(victim.closed, PATIENCE)).code, 1011);
  bystander.ws.send('still here');
  t.is(await bystander.messages.next(), 'still here');
  const again = await wsPeer(t, `${url}/boom`);
  again.ws.send('fine');
  await delay(50);
  t.is(again.ws.readyState, again.ws.OPEN);
});

test('shutdown() closes every connection with 1001 and refuses upgrades while it runs', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const { url, manager, shutdown } = await running(t, (app) => app.ws('/', EchoWebSocket));
  const peer = await wsPeer(t, `${url}/`);
  await until(() => manager.size === 1);
  // Keep the shutdown open until a late upgrade has been refused.
  manager.onShutdown(() => held);
  const done = shutdown();
  t.is((await within(peer.closed, PATIENCE)).code, 1001);
  const refusal = await wsRefusal(t, `${url}/`);
  t.is(refusal.status, 503);
  release();
  await within(done, PATIENCE, 'shutdown');
  const after = await wsPeer(t, `${url}/`);
  after.ws.send('open again');
  t.is(await after.messages.next(), 'open again');
});

test('attach() wires a server made by hand, and its detach function undoes it', async (t) => {
  const { app, attach, manager } = expressWebSockets(express());
  app.ws('/', EchoWebSocket);
  const server = createServer(app);
  t.is(attach(server), attach(server), 'attaching twice is one attachment');
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => sockets.add(socket));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const peer = await wsPeer(t, url);
  peer.ws.send('by hand');
  t.is(await peer.messages.next(), 'by hand');
  attach(server)();
  t.is(server.listenerCount('upgrade'), 0);
  t.is(manager.size, 1, 'open connections stay');
});

const slowly: RequestHandler = (_request, _response, next) => {
  setTimeout(next, 50);
};

test('a frame sent right behind the upgrade request survives a slow middleware', async (t) => {
  const { port } = await running(t, (app) => app.ws('/', slowly, EchoWebSocket));
  const { status, frames } = await upgradeWithEarlyFrame(t, port, '/', 'early bird');
  t.is(status, 101);
  t.is((await frames.waitFor((f) => f.opcode === 0x1)).payload.toString(), 'early bird');
});

test('a client that leaves while middleware runs costs nothing and breaks nothing', async (t) => {
  const { port, url, manager } = await running(t, (app) => app.ws('/', slowly, EchoWebSocket));
  const quitter = await tcp(t, port);
  quitter.write(upgradeRequest('/').text);
  await delay(10);
  quitter.destroy();
  await delay(100);
  t.is(manager.size, 0);
  const peer = await wsPeer(t, `${url}/`);
  peer.ws.send('still serving');
  t.is(await peer.messages.next(), 'still serving');
});

test('server.close() drops a client that never answers the close frame after shutdownTimeout', async (t) => {
  const { port, server, manager } = await running(t, (app) => app.ws('/', EchoWebSocket), { shutdownTimeout: 200 });
  const mute = await rawClient(t, port, '/');
  await until(() => manager.size === 1);
  const started = Date.now();
  await within(new Promise<void>((resolve) => server.close(() => resolve())), PATIENCE, 'server.close');
  t.true(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  t.is((await mute.frames.waitFor((f) => f.opcode === 0x8)).payload.readUInt16BE(0), 1001);
});

test('applying the integration twice to one app is refused', (t) => {
  const app = express();
  expressWebSockets(app);
  t.throws(() => expressWebSockets(app), { instanceOf: TypeError });
});

test("a route's manager other than the app's is refused when the route is declared", (t) => {
  const { app, manager } = expressWebSockets(express());
  t.throws(() => app.ws('/other', { handler: EchoWebSocket, manager: new WebSocketManager() }), { instanceOf: TypeError, message: /route\.manager is not allowed/ });
  t.notThrows(() => app.ws('/same', { handler: EchoWebSocket, manager }));
});
