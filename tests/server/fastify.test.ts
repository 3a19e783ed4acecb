/**
 * The Fastify 5 plugin against the real Fastify and the real `ws` client:
 * `{ websocket: true }` routes next to ordinary ones, hooks refusing
 * upgrades, one manager per app, and `fastify.close()` closing everything.
 */
import test, { type ExecutionContext } from 'ava';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { map } from 'rxjs';
import WS from 'ws';
import { ws4tsFastify, requestOf, type FastifyWebSocketOptions } from '../../src/server/fastify.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { PATIENCE, delay, rawClient, rawHttp, tcp, until, upgradeRequest, within } from '../helpers/loopback.js';
import { wsPeer } from '../helpers/ws-peer.js';
import { upgradeWithEarlyFrame, wsRefusal } from '../helpers/upgrade-peers.js';

const upper = async (ws: WebSocket): Promise<void> => {
  for await (const message of ws) ws.send(String(message.data).toUpperCase());
};

interface Running {
  readonly fastify: FastifyInstance;
  readonly url: string;
  readonly http: string;
  readonly port: number;
  /** `fastify.close()`, once (teardown calls it too). */
  close(): Promise<void>;
}

/** A Fastify app with the plugin, routes from `setup`, listening on 127.0.0.1:0; closed on teardown. */
async function running(
  t: ExecutionContext,
  setup: (fastify: FastifyInstance) => unknown,
  options: FastifyWebSocketOptions = {},
): Promise<Running> {
  const fastify = Fastify();
  await fastify.register(ws4tsFastify, options);
  await setup(fastify);
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= fastify.close());
  t.teardown(close);
  const { port } = fastify.server.address() as AddressInfo;
  return { fastify, port, close, url: `ws://127.0.0.1:${port}`, http: `http://127.0.0.1:${port}` };
}

const requireToken = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
  if (request.headers.authorization !== 'Bearer ok') await reply.code(401).header('WWW-Authenticate', 'Bearer').send('no');
};

test('two WebSocket routes run their own handlers next to an ordinary route', async (t) => {
  const { url, http } = await running(t, (fastify) => {
    fastify.get('/hello', async () => 'hello over http');
    fastify.get('/echo', { websocket: true }, EchoWebSocket);
    fastify.get('/upper', { websocket: true }, upper);
  });
  const echo = await wsPeer(t, `${url}/echo`);
  const shout = await wsPeer(t, `${url}/upper?room=1`);
  echo.ws.send('quiet');
  shout.ws.send('quiet');
  t.is(await echo.messages.next(), 'quiet');
  t.is(await shout.messages.next(), 'QUIET');
  t.is(await (await fetch(`${http}/hello`)).text(), 'hello over http');
});

test('the observable handler shape works on a route too', async (t) => {
  const { url } = await running(t, (fastify) => {
    fastify.get('/reverse', { websocket: true }, (messages$, _ws) => messages$.pipe(map((m) => [...String(m.data)].reverse().join(''))));
  });
  const peer = await wsPeer(t, `${url}/reverse`);
  peer.ws.send('abc');
  t.is(await peer.messages.next(), 'cba');
});

test('a plain GET on a WebSocket route is answered 426, or by its httpHandler', async (t) => {
  const { http } = await running(
    t,
    (fastify) => {
      fastify.get('/ws-only', { websocket: true }, EchoWebSocket);
      fastify.get('/with-page', { websocket: { httpHandler: async () => 'the chat page' } }, EchoWebSocket);
    },
  );
  const refused = await fetch(`${http}/ws-only`);
  t.is(refused.status, 426);
  t.is(refused.headers.get('upgrade'), 'websocket');
  t.regex(await refused.text(), /upgrade required/);
  t.is(await (await fetch(`${http}/with-page`)).text(), 'the chat page');
});

test("the plugin's httpHandler answers plain GETs on every WebSocket route", async (t) => {
  const { http, url } = await running(t, (fastify) => fastify.get('/', { websocket: true }, EchoWebSocket), {
    httpHandler: async (_request, reply) => reply.code(200).send('use a WebSocket client'),
  });
  t.is(await (await fetch(`${http}/`)).text(), 'use a WebSocket client');
  const peer = await wsPeer(t, `${url}/`);
  peer.ws.send('ws');
  t.is(await peer.messages.next(), 'ws');
});

test("an onRequest hook that answers refuses the upgrade, and the client sees its status and body", async (t) => {
  const { url } = await running(t, (fastify) => fastify.get('/private', { websocket: true, onRequest: requireToken }, EchoWebSocket));
  const refusal = await wsRefusal(t, `${url}/private`);
  t.is(refusal.status, 401);
  t.is(refusal.body, 'no');
  t.is(refusal.headers['www-authenticate'], 'Bearer');
  t.is(refusal.headers.connection, 'close');
  const allowed = await wsPeer(t, `${url}/private`, { headers: { Authorization: 'Bearer ok' } });
  allowed.ws.send('let in');
  t.is(await allowed.messages.next(), 'let in');
});

test('preValidation and preHandler hooks may refuse an upgrade too', async (t) => {
  const { url } = await running(t, (fastify) => {
    fastify.get('/a', { websocket: true, preValidation: requireToken }, EchoWebSocket);
    fastify.get(
      '/b',
      {
        websocket: true,
        preHandler: async (_request, reply) => {
          await reply.code(403).send({ error: 'closed for maintenance' });
        },
      },
      EchoWebSocket,
    );
  });
  const a = await wsRefusal(t, `${url}/a`);
  t.is(a.status, 401);
  t.is(a.body, 'no');
  const b = await wsRefusal(t, `${url}/b`);
  t.is(b.status, 403);
  t.deepEqual(JSON.parse(b.body), { error: 'closed for maintenance' });
});

test("an encapsulated plugin's hooks guard its own WebSocket routes only", async (t) => {
  const { url } = await running(t, async (fastify) => {
    await fastify.register(async (admin) => {
      admin.addHook('onRequest', requireToken);
      admin.get('/admin/feed', { websocket: true }, EchoWebSocket);
    });
    fastify.get('/public', { websocket: true }, EchoWebSocket);
  });
  t.is((await wsRefusal(t, `${url}/admin/feed`)).status, 401);
  const open = await wsPeer(t, `${url}/public`);
  open.ws.send('no token needed');
  t.is(await open.messages.next(), 'no token needed');
});

test('the handler reads the Fastify request through requestOf', async (t) => {
  const { url } = await running(t, (fastify) => {
    fastify.decorateRequest('user', '');
    fastify.get(
      '/me',
      {
        websocket: true,
        preHandler: async (request) => {
          (request as FastifyRequest & { user: string }).user = 'ann';
        },
      },
      async (ws: WebSocket) => {
        // Read synchronously, before the first await: the entry exists before the handler starts.
        const request = requestOf(ws) as (FastifyRequest & { user: string; query: { lang: string } }) | undefined;
        ws.send(`${request?.user} ${request?.query.lang}`);
        for await (const _ of ws);
      },
    );
  });
  const peer = await wsPeer(t, `${url}/me?lang=fr`);
  t.is(await peer.messages.next(), 'ann fr');
});

test('route options reach the acceptor: subprotocols per route', async (t) => {
  const { url } = await running(t, (fastify) => fastify.get('/v', { websocket: { protocols: ['chat.v2'] } }, EchoWebSocket));
  const client = new WS(`${url}/v`, ['chat.v1', 'chat.v2']);
  t.teardown(() => client.terminate());
  await within(once(client, 'open'), PATIENCE, 'open with a subprotocol');
  t.is(client.protocol, 'chat.v2');
});

test('an upgrade for a path without a route gets the 404 of Fastify', async (t) => {
  const { url, port } = await running(t, (fastify) => fastify.get('/echo', { websocket: true }, EchoWebSocket));
  const refusal = await wsRefusal(t, `${url}/nope`);
  t.is(refusal.status, 404);
  t.like(JSON.parse(refusal.body), { statusCode: 404, error: 'Not Found' });
  // Raw, the connection is closed once the answer is out.
  t.is((await rawHttp(t, port, upgradeRequest('/nope').text)).status, 404);
});

test('a hook that never finishes gets the client a 408 after the routing timeout (here by its deprecated name, handshakeTimeout)', async (t) => {
  const { url } = await running(
    t,
    (fastify) => fastify.get('/stuck', { websocket: true, onRequest: (_request, _reply, _done) => {} }, EchoWebSocket),
    { routingTimeout: 200 },
  );
  const started = Date.now();
  t.is((await wsRefusal(t, `${url}/stuck`)).status, 408);
  t.true(Date.now() - started < 5000);
});

test('handshakeTimeout, the deprecated name of routingTimeout, still bounds routing; routingTimeout wins over it', async (t) => {
  for (const options of [{ handshakeTimeout: 200 }, { handshakeTimeout: 60_000, routingTimeout: 200 }]) {
    const { url } = await running(t, (fastify) => fastify.get('/stuck', { websocket: true, onRequest: (_request, _reply, _done) => {} }, EchoWebSocket), options);
    const started = Date.now();
    t.is((await wsRefusal(t, `${url}/stuck`)).status, 408, JSON.stringify(options));
    t.true(Date.now() - started < 5000);
  }
});

test('fastify.websocketManager counts the connections of every route and broadcasts to all of them', async (t) => {
  const { url, fastify } = await running(t, (app) => {
    app.get('/echo', { websocket: true }, EchoWebSocket);
    app.get('/upper', { websocket: true }, upper);
  });
  const manager = fastify.websocketManager;
  const peers = [await wsPeer(t, `${url}/echo`), await wsPeer(t, `${url}/upper`), await wsPeer(t, `${url}/upper`)];
  await until(() => manager.size === 3, PATIENCE, 'three connections');
  const result = manager.broadcast('news');
  t.is(result.sent, 3);
  t.deepEqual(result.failed, []);
  for (const peer of peers) t.is(await peer.messages.next(), 'news');
  peers[0]!.ws.close();
  await until(() => manager.size === 2, PATIENCE, 'one connection gone');
});

test('fastify.close() closes every WebSocket with 1001 and resolves', async (t) => {
  const { url, fastify, close } = await running(t, (app) => {
    app.get('/echo', { websocket: true }, EchoWebSocket);
    app.get('/upper', { websocket: true }, upper);
  });
  const peers = [await wsPeer(t, `${url}/echo`), await wsPeer(t, `${url}/upper`)];
  await until(() => fastify.websocketManager.size === 2);
  const started = Date.now();
  await within(close(), PATIENCE, 'fastify.close()');
  t.true(Date.now() - started < 5000, 'closed well before the terminate timeout');
  for (const outcome of await within(Promise.all(peers.map((peer) => peer.closed)), PATIENCE)) t.is(outcome.code, 1001);
  t.is(fastify.websocketManager.size, 0);
  t.is(fastify.server.listenerCount('upgrade'), 0);
});

test('a throwing handler closes only its own connection, with 1011', async (t) => {
  const { url } = await running(t, (fastify) => {
    fastify.get('/echo', { websocket: true }, EchoWebSocket);
    fastify.get('/boom', { websocket: true }, async (ws: WebSocket) => {
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

const slowly = async (): Promise<void> => {
  await delay(50);
};

test('a frame sent right behind the upgrade request survives a slow hook', async (t) => {
  const { port } = await running(t, (fastify) => fastify.get('/', { websocket: true, preHandler: slowly }, EchoWebSocket));
  const { status, frames } = await upgradeWithEarlyFrame(t, port, '/', 'early bird');
  t.is(status, 101);
  t.is((await frames.waitFor((f) => f.opcode === 0x1)).payload.toString(), 'early bird');
});

test('a client that leaves while hooks run costs nothing and breaks nothing', async (t) => {
  const { port, url, fastify } = await running(t, (app) => app.get('/', { websocket: true, onRequest: slowly }, EchoWebSocket));
  const quitter = await tcp(t, port);
  quitter.write(upgradeRequest('/').text);
  await delay(10);
  quitter.destroy();
  await delay(100);
  t.is(fastify.websocketManager.size, 0);
  const peer = await wsPeer(t, `${url}/`);
  peer.ws.send('still serving');
  t.is(await peer.messages.next(), 'still serving');
});

test('fastify.close() drops a client that never answers the close frame after shutdownTimeout', async (t) => {
  const { port, fastify, close } = await running(t, (app) => app.get('/', { websocket: true }, EchoWebSocket), { shutdownTimeout: 200 });
  const mute = await rawClient(t, port, '/');
  await until(() => fastify.websocketManager.size === 1);
  const started = Date.now();
  await within(close(), PATIENCE, 'fastify.close()');
  t.true(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  const closeFrame = await mute.frames.waitFor((f) => f.opcode === 0x8);
  t.is(closeFrame.payload.readUInt16BE(0), 1001);
  await mute.frames.waitEnd();
});
