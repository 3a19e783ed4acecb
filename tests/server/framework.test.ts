/**
 * The machinery the Express and Fastify integrations share, driven by a
 * plain node:http request handler standing in for a framework.
 */
import test, { type ExecutionContext } from 'ava';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { claimUpgrade, closeWithServer, isPendingUpgrade, routeUpgrade, RequestRegistry } from '../../src/server/framework.js';
import { upgradeHandler } from '../../src/server/upgrade.js';
import { WebSocketManager } from '../../src/server/manager.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { PATIENCE, httpServer, rawClient, rawHttp, until, upgradeRequest, within } from '../helpers/loopback.js';
import { wsPeer } from '../helpers/ws-peer.js';

type Dispatch = (request: IncomingMessage, response: ServerResponse) => void;

/** An http server whose upgrades are routed through `dispatch`, as a framework would. */
async function routed(t: ExecutionContext, dispatch: Dispatch, timeout?: number) {
  const listening = await httpServer(t);
  listening.server.on('upgrade', (request: IncomingMessage, socket, head: Buffer) => routeUpgrade(request, socket, head, dispatch, timeout));
  return listening;
}

test('what the dispatcher answers reaches the client as HTTP, and the socket is closed', async (t) => {
  const { port } = await routed(t, (_request, response) => {
    response.statusCode = 418;
    response.setHeader('Content-Type', 'text/plain');
    response.end('short and stout');
  });
  const answer = await rawHttp(t, port, upgradeRequest('/tea').text);
  t.is(answer.status, 418);
  t.is(answer.body, 'short and stout');
  t.is(answer.headers.connection, 'close');
});

test('a claimed upgrade goes to the acceptor with its socket and early bytes', async (t) => {
  const manager = new WebSocketManager();
  const seen: boolean[] = [];
  const { port, url } = await routed(t, (request) => {
    seen.push(isPendingUpgrade(request));
    const claimed = claimUpgrade(request);
    seen.push(isPendingUpgrade(request), claimUpgrade(request) === undefined);
    if (claimed) upgradeHandler({ handler: EchoWebSocket, manager })(request, claimed.socket, claimed.head);
  });
  const peer = await wsPeer(t, `${url}/`);
  peer.ws.send('through the router');
  t.is(await peer.messages.next(), 'through the router');
  t.deepEqual(seen, [true, false, true], 'pending until claimed, and claimed once');
  const raw = await rawClient(t, port);
  t.is(raw.response.status, 101);
  await until(() => manager.size === 2);
});

test('a request that did not come through routeUpgrade is neither pending nor claimable', async (t) => {
  const answers: unknown[] = [];
  const listening = await httpServer(t, (request, response) => {
    answers.push(isPendingUpgrade(request), claimUpgrade(request));
    response.end('plain');
  });
  t.is(await (await fetch(`http://127.0.0.1:${listening.port}/`)).text(), 'plain');
  t.deepEqual(answers, [false, undefined]);
});

test('an upgrade nobody answers or claims gets 408 after the timeout, and a late answer goes nowhere', async (t) => {
  let late: ServerResponse | undefined;
  const { port } = await routed(t, (_request, response) => (late = response), 100);
  const answer = await rawHttp(t, port, upgradeRequest('/').text);
  t.is(answer.status, 408);
  t.is(answer.body, 'Handshake timeout\n');
  t.notThrows(() => late!.end('too late'));
});

test('a dispatcher that throws gets the socket destroyed, and the server keeps serving', async (t) => {
  let calls = 0;
  const { url } = await routed(t, (request) => {
    if (calls++ === 0) throw new Error('framework bug');
    const claimed = claimUpgrade(request)!;
    upgradeHandler({ handler: EchoWebSocket })(request, claimed.socket, claimed.head);
  });
  await t.throwsAsync(wsPeer(t, `${url}/`));
  const peer = await wsPeer(t, `${url}/`);
  peer.ws.send('fine');
  t.is(await peer.messages.next(), 'fine');
});

test('a response whose headers went out cannot be claimed any more', async (t) => {
  const results: unknown[] = [];
  const { port } = await routed(t, (request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.write('partial ');
    results.push(claimUpgrade(request));
    response.end('answer');
  });
  const answer = await rawHttp(t, port, upgradeRequest('/').text);
  t.is(answer.status, 200);
  t.deepEqual(results, [undefined]);
});

test('closeWithServer closes the manager with 1001 on server.close() and can be undone', async (t) => {
  const manager = new WebSocketManager();
  const listening = await httpServer(t);
  listening.server.on('upgrade', upgradeHandler({ handler: EchoWebSocket, manager }));
  const original = listening.server.close;
  const restore = closeWithServer(listening.server, manager);
  t.not(listening.server.close, original);
  const peer = await wsPeer(t, `${listening.url}/`);
  await until(() => manager.size === 1);
  const closed = new Promise<void>((resolve) => listening.server.close(() => resolve()));
  t.is((await within(peer.closed, PATIENCE)).code, 1001);
  await within(closed, PATIENCE, 'server.close');
  restore();
  t.is(listening.server.close, original);
});

test('RequestRegistry finds the request a connection came from, before its handler starts', async (t) => {
  const registry = new RequestRegistry<{ tag: string }>();
  const found: (string | undefined)[] = [];
  const { url } = await routed(t, (request) => {
    const claimed = claimUpgrade(request)!;
    registry.set(request, { tag: `from ${request.url}` });
    const handler = async (ws: WebSocket): Promise<void> => {
      found.push(registry.get(ws)?.tag);
      for await (const message of ws) ws.send(message.data);
    };
    upgradeHandler({ handler })(request, claimed.socket, claimed.head);
  });
  const peer = await wsPeer(t, `${url}/room?x=1`);
  peer.ws.send('x');
  await peer.messages.next();
  t.deepEqual(found, ['from /room?x=1']);
});
