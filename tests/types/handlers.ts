/**
 * Type test: every handler shape written inline, with no annotation, in every
 * server shape, under `--strict` (`tsc -p tests/types`, run by
 * tests/types/types.test.ts). Each `expectTypeOf` states what TypeScript
 * inferred; each `@ts-expect-error` is a wrong handler that must not compile
 * (an unused `@ts-expect-error` is itself an error, so these cannot pass by
 * accident). Nothing here runs.
 */
import http from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { expectTypeOf } from 'expect-type';
import { map, filter, type Observable } from 'rxjs';
import {
  attach,
  connect,
  observe,
  serve,
  upgradeHandler,
  EchoWebSocket,
  WebSocket,
  WebSocketManager,
  type Handler,
  type Message,
  type UpgradeRequestLike,
} from '../../src/index.js';
import { expressWebSockets, requestOf as expressRequestOf } from '../../src/server/express.js';
import { ws4tsFastify } from '../../src/server/fastify.js';

declare const server: http.Server;

// attach() with a routes object: class, coroutine, observable of one and of two parameters.
attach(server, {
  '/echo': EchoWebSocket,
  '/chat': async (ws) => {
    expectTypeOf(ws).toEqualTypeOf<WebSocket>();
    for await (const m of ws) {
      expectTypeOf(m).toEqualTypeOf<Message>();
      ws.send(m.data);
    }
  },
  '/sync': (ws) => {
    ws.send('hello');
  },
  '/upper': (messages$, ws) => {
    expectTypeOf(ws).toEqualTypeOf<WebSocket>();
    expectTypeOf(messages$).toMatchTypeOf<Observable<Message>>();
    return messages$.pipe(map((m) => String(m.data).toUpperCase()));
  },
  '/pipe': (ws) => ws.pipe(filter((m) => m.type === 'text')),
  '/options': { handler: async (ws) => ws.send(ws.protocol ?? ''), protocols: ['chat'] },
});

// The attach() TSDoc example, as written there.
attach(http.createServer((req, res) => res.end('hello')), {
  '/echo': EchoWebSocket,
  '/chat': async (ws) => {
    for await (const m of ws) ws.send(m.data);
  },
});

// attach() with a routes function, returning a handler or options.
attach(server, (request) => {
  expectTypeOf(request).toEqualTypeOf<UpgradeRequestLike>();
  if (request.url === '/a') return async (ws) => ws.close(1000);
  if (request.url === '/b') return { handler: (messages$) => messages$.pipe(map((m) => m.data)) };
  return undefined;
});

// serve() with a handler, with routes, and with the acceptor's callbacks.
serve({ port: 0, handler: async (ws) => expectTypeOf(ws).toEqualTypeOf<WebSocket>() });
serve({ port: 0, handler: (messages$, ws) => messages$.pipe(map((m) => (ws.protocol === 'shout' ? String(m.data).toUpperCase() : m))) });
serve({
  port: 0,
  routes: { '/a': async (ws) => ws.send('a'), '/b': EchoWebSocket },
  verify: (request) => request.headers.authorization !== undefined,
  onConnection: (ws) => expectTypeOf(ws).toEqualTypeOf<WebSocket>(),
});
serve({ port: 0, routes: () => async (ws) => ws.send('any path') });

// upgradeHandler() and observe().
server.on('upgrade', upgradeHandler({ handler: async (ws) => ws.send('x') }));
upgradeHandler({ handler: observe((messages$, ws) => messages$.pipe(map(() => ws.protocol ?? ''))) });
upgradeHandler({
  handler: observe((messages$) => {
    expectTypeOf(messages$).toEqualTypeOf<Observable<Message>>();
  }),
});

// A subclass, and the three shapes assigned to the Handler type.
class Shout extends WebSocket {
  override receivedMessage(message: Message): void {
    this.send(String(message.data).toUpperCase());
  }
}
const handlers: Handler[] = [Shout, async (ws) => ws.close(), (messages$) => messages$.pipe(map((m) => m))];
expectTypeOf(handlers).toEqualTypeOf<Handler[]>();
// Functions annotated in the older, separate shapes still fit.
const annotated: Handler[] = [async (ws: WebSocket) => ws.close(), (messages$: Observable<Message>, _ws: WebSocket) => messages$.pipe(map((m) => m.data))];
expectTypeOf(annotated).toEqualTypeOf<Handler[]>();

// Express: app.ws with and without middleware.
const { app } = expressWebSockets(express());
app.ws('/loop', async (ws) => {
  expectTypeOf(ws).toEqualTypeOf<WebSocket>();
  for await (const m of ws) ws.send(m.data);
});
app.ws('/auth', (req, _res, next) => (req.get('authorization') ? next() : next('route')), async (ws) => {
  expectTypeOf(expressRequestOf(ws)).toEqualTypeOf<express.Request | undefined>();
});
app.ws('/two', (_req, _res, next) => next(), (_req, _res, next) => next(), (messages$) => messages$.pipe(map((m) => m.data)));
app.ws('/class', EchoWebSocket);
app.ws('/options', { handler: async (ws) => ws.send('x'), protocols: ['chat'] });

// Fastify: { websocket: true } routes.
const fastify = Fastify();
await fastify.register(ws4tsFastify);
fastify.get('/x', { websocket: true }, async (ws) => {
  expectTypeOf(ws).toEqualTypeOf<WebSocket>();
  ws.send('x');
});
fastify.get('/y', { websocket: { protocols: ['chat'] } }, (messages$, _ws) => messages$.pipe(map((m) => m.data)));
fastify.get('/z', { websocket: true }, EchoWebSocket);
expectTypeOf(fastify.websocketManager).toEqualTypeOf<WebSocketManager>();

// The manager's callbacks.
const manager = new WebSocketManager();
manager.broadcast('hi', { filter: (ws) => ws.protocol === 'chat' });
manager.connections$.subscribe((ws) => expectTypeOf(ws).toEqualTypeOf<WebSocket>());

// The client.
const client = await connect('ws://127.0.0.1:1/', { protocols: ['chat'], WebSocketClass: Shout });
expectTypeOf(client).toEqualTypeOf<WebSocket>();

// ---- Wrong handlers are type errors ----

// @ts-expect-error a handler is not a string
serve({ port: 0, handler: 'echo' });
// @ts-expect-error a parameter that is not a WebSocket
attach(server, { '/x': (ws: string) => ws.length });
// @ts-expect-error three parameters: no server calls a handler so
serve({ port: 0, handler: (_a, _b, _c) => {} });
// @ts-expect-error returning something that is neither a promise nor an observable
serve({ port: 0, handler: (_ws) => 42 });
// @ts-expect-error an observable of something that cannot be sent
serve({ port: 0, handler: (messages$) => messages$.pipe(map(() => 42)) });
// @ts-expect-error a class that is not a WebSocket
attach(server, { '/x': class NotASocket {} });
// @ts-expect-error a WebSocket has no `emit`: ws is typed, not any
serve({ port: 0, handler: async (ws) => ws.emit('x') });
// @ts-expect-error app.ws needs a handler
app.ws('/nothing');
// @ts-expect-error a close code is a number
client.close('1000');
// @ts-expect-error protocols is a list
void connect('ws://127.0.0.1:1/', { protocols: 'chat' });
// @ts-expect-error port is a number
serve({ port: '9000', handler: EchoWebSocket });
