import test, { type ExecutionContext } from 'ava';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { map } from 'rxjs';
import { serve, type ServeOptions, type WebSocketServer } from '../../src/server/serve.js';
import { attach } from '../../src/server/attach.js';
import { WebSocketManager, LocalBus, type BroadcastBus } from '../../src/server/manager.js';
import { EchoWebSocket, prepareMessage, WebSocket, type PreparedMessage, type SendData } from '../../src/websocket.js';
import { observe } from '../../src/handler.js';
import type { Message } from '../../src/protocol/message.js';
import { delay, until, within } from '../helpers/loopback.js';
import { wsPeer, type WsPeer } from '../helpers/ws-peer.js';
import { openClient, openCrowd, type CrowdClient } from '../helpers/crowd.js';

/** `serve()` on 127.0.0.1 and a free port, closed on teardown. */
async function start(t: ExecutionContext, options: Partial<ServeOptions>): Promise<{ server: WebSocketServer; manager: WebSocketManager; port: number; url: string }> {
  const server = serve({ port: 0, host: '127.0.0.1', ...options } as ServeOptions);
  t.teardown(() => server.close({ timeout: 200 }));
  await within(server.listening, 3000, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, manager: server.manager, port, url: `ws://127.0.0.1:${port}` };
}

/** Destroy every crowd client on teardown. */
function disperse(t: ExecutionContext, clients: CrowdClient[]): void {
  t.teardown(() => {
    for (const client of clients) client.socket.destroy();
  });
}

/** A handler that does nothing: the connection stays open until closed. */
class Quiet extends WebSocket {}

test('connections are added when open, removed when closed, counted and iterable', async (t) => {
  const manager = new WebSocketManager();
  const { url } = await start(t, { handler: EchoWebSocket, manager });
  t.is(manager.size, 0);
  t.deepEqual([...manager], []);
  const peers: WsPeer[] = [];
  for (let i = 0; i < 3; i++) peers.push(await wsPeer(t, url));
  await until(() => manager.size === 3, 3000, 'three connections');
  const live = [...manager];
  t.is(live.length, 3);
  t.true(live.every((ws) => ws instanceof EchoWebSocket && ws.readyState === 1));
  peers[0]!.ws.close(1000);
  await within(peers[0]!.closed, 3000);
  await until(() => manager.size === 2, 3000, 'one removed');
  t.is(live.filter((ws) => ws.readyState === 3).length, 1);
  t.false([...manager].some((ws) => ws.readyState === 3));
  peers[1]!.ws.terminate();
  await until(() => manager.size === 1, 3000, 'a terminated connection removed');
  // add() ignores closed connections and duplicates; remove() is idempotent.
  const closed = live.find((ws) => ws.readyState === 3)!;
  manager.add(closed);
  const open = [...manager][0]!;
  manager.add(open);
  t.is(manager.size, 1);
  manager.remove(closed);
  t.is(manager.size, 1);
});

test('connections$ emits every new connection as it opens', async (t) => {
  const { url, manager } = await start(t, { handler: EchoWebSocket });
  const seen: WebSocket[] = [];
  const subscription = manager.connections$.subscribe((ws) => {
    t.is(ws.readyState, 1);
    t.true([...manager].includes(ws));
    seen.push(ws);
  });
  t.teardown(() => subscription.unsubscribe());
  await wsPeer(t, url);
  await wsPeer(t, `${url}/?second`);
  await until(() => seen.length === 2, 3000, 'two emissions');
  t.is(seen[1]!.request?.url, '/?second');
  subscription.unsubscribe();
  await wsPeer(t, url);
  await until(() => manager.size === 3, 3000);
  t.is(seen.length, 2);
});

test('broadcast to 1,000 clients delivers every message, in order', async (t) => {
  t.timeout(60_000);
  const { manager, port } = await start(t, { handler: Quiet, pingInterval: null });
  const started = performance.now();
  const clients = await openCrowd(port, 1000, { concurrency: 100 });
  disperse(t, clients);
  await until(() => manager.size === 1000, 10_000, 'all open on the server');
  const opened = performance.now() - started;
  const count = 20;
  const payloads = Array.from({ length: count }, (_, i) => `message ${i} ${'x'.repeat(100)}`);
  const sendStart = performance.now();
  for (const payload of payloads) {
    const result = manager.broadcast(payload);
    t.is(result.sent, 1000);
    t.deepEqual(result.slow, []);
    t.deepEqual(result.failed, []);
  }
  const framed = performance.now() - sendStart;
  await within(Promise.all(clients.map((client) => client.until((c) => c.messages.length >= count, 20_000))), 25_000, 'every broadcast delivered');
  const delivered = performance.now() - sendStart;
  const wrong = clients.filter((client) => client.messages.length !== count || client.messages.some((m, i) => m !== payloads[i]));
  t.is(wrong.length, 0, `${wrong.length} clients did not receive all ${count} broadcasts in order`);
  const rate = (count * 1000) / (delivered / 1000);
  t.log(`1,000 clients opened in ${opened.toFixed(0)} ms`);
  t.log(`${count} broadcasts × 1,000 clients (${payloads[0]!.length} B): queued in ${framed.toFixed(1)} ms, all delivered in ${delivered.toFixed(0)} ms = ${Math.round(rate).toLocaleString('en')} messages/s`);
});

test('broadcast honours filter and except, and skips connections that are not open', async (t) => {
  const { url, manager } = await start(t, { handler: Quiet });
  const a = await wsPeer(t, `${url}/?team=red`);
  const b = await wsPeer(t, `${url}/?team=blue`);
  const c = await wsPeer(t, `${url}/?team=red`);
  await until(() => manager.size === 3, 3000);
  const byUrl = (team: string): WebSocket[] => [...manager].filter((ws) => ws.request?.url === `/?team=${team}`);
  const red = byUrl('red');
  const [blue] = byUrl('blue');

  t.is(manager.broadcast('to red', { filter: (ws) => red.includes(ws) }).sent, 2);
  t.is(manager.broadcast('not to blue', { except: blue }).sent, 2);
  t.is(manager.broadcast('not to red', { except: red }).sent, 1);
  t.is(manager.broadcast('nobody', { except: new Set([...manager]) }).sent, 0);
  t.is(manager.broadcast(new Uint8Array([1, 2, 3])).sent, 3);
  await until(() => a.received.length === 3 && b.received.length === 2 && c.received.length === 3, 3000, 'deliveries');
  t.deepEqual(a.received.slice(0, 2), ['to red', 'not to blue']);
  t.deepEqual(b.received[0], 'not to red');
  t.deepEqual(b.received[1], Buffer.from([1, 2, 3]));
  t.deepEqual(c.received.slice(0, 2), ['to red', 'not to blue']);

  // A connection that is closing is left out, not counted as a failure.
  const closing = red[0]!;
  void closing.close(1000).catch(() => {});
  const result = manager.broadcast('after close');
  t.is(result.sent, 2);
  t.deepEqual(result.failed, []);
});

test('failures are reported per connection and do not stop the broadcast', async (t) => {
  class Broken extends WebSocket {
    override sendPrepared(_prepared: PreparedMessage): boolean {
      throw new Error('broken pipe');
    }
  }
  const { url, manager } = await start(t, { routes: { '/ok': Quiet, '/broken': Broken } });
  const ok1 = await wsPeer(t, `${url}/ok`);
  await wsPeer(t, `${url}/broken`);
  const ok2 = await wsPeer(t, `${url}/ok`);
  await until(() => manager.size === 3, 3000);
  const result = manager.broadcast('hello');
  t.is(result.sent, 2);
  t.is(result.failed.length, 1);
  t.true(result.failed[0]!.ws instanceof Broken);
  t.is((result.failed[0]!.error as Error).message, 'broken pipe');
  t.is(await ok1.messages.next(3000), 'hello');
  t.is(await ok2.messages.next(3000), 'hello');
});

/** Broadcast `chunk` until `slow` is reported; every fast client receives each one before the next. */
async function fillSlowConsumer(
  t: ExecutionContext,
  manager: WebSocketManager,
  fast: CrowdClient[],
  options: { slowConsumer: 'skip' | 'close'; maxBufferedAmount: number },
): Promise<{ rounds: number; slow: WebSocket[] }> {
  const chunk = new Uint8Array(512 * 1024).fill(0x61);
  for (let round = 1; round <= 200; round++) {
    const result = manager.broadcast(chunk, options);
    t.deepEqual(result.failed, []);
    // The fast clients are not held back by the slow one.
    await within(Promise.all(fast.map((client) => client.until((c) => c.messages.length >= round, 5000))), 6000, `round ${round} delivered`);
    if (result.slow.length > 0) return { rounds: round, slow: [...result.slow] };
  }
  throw new Error('the slow consumer was never detected');
}

test('a slow consumer is skipped and does not stall the others (policy skip)', async (t) => {
  t.timeout(30_000);
  const { manager, port } = await start(t, { handler: Quiet, pingInterval: null });
  const fast = await openCrowd(port, 5);
  const slow = await openClient(port);
  disperse(t, [...fast, slow]);
  await until(() => manager.size === 6, 3000);
  slow.socket.pause(); // stops reading: the kernel buffers fill, then ours
  const { rounds, slow: reported } = await fillSlowConsumer(t, manager, fast, { slowConsumer: 'skip', maxBufferedAmount: 256 * 1024 });
  t.is(reported.length, 1);
  const slowWs = reported[0]!;
  t.true(slowWs.bufferedAmount > 256 * 1024);
  t.is(slowWs.readyState, 1, 'skipped, not closed');
  t.log(`slow consumer detected after ${rounds} rounds of 512 KiB (${(slowWs.bufferedAmount / 1024).toFixed(0)} KiB buffered in the process)`);
  // More broadcasts keep skipping it while the others get everything.
  for (let i = 0; i < 3; i++) t.deepEqual(manager.broadcast('small', { maxBufferedAmount: 256 * 1024 }).slow, [slowWs]);
  await within(Promise.all(fast.map((client) => client.until((c) => c.messages.length === rounds + 3))), 5000);
  // Once it reads again it gets what was queued for it, and no more.
  slow.socket.resume();
  await slow.until((c) => c.bytes >= (rounds - 1) * 512 * 1024, 10_000);
  await delay(50);
  t.is(slow.messages.length, rounds - 1);
  t.true(slow.messages.every((m) => m === `<${512 * 1024} bytes>`));
});

test('a slow consumer is closed with 1008 and does not stall the others (policy close)', async (t) => {
  t.timeout(30_000);
  const { manager, port } = await start(t, { handler: Quiet, pingInterval: null });
  const fast = await openCrowd(port, 5);
  const slow = await openClient(port);
  disperse(t, [...fast, slow]);
  await until(() => manager.size === 6, 3000);
  slow.socket.pause();
  const { rounds, slow: reported } = await fillSlowConsumer(t, manager, fast, { slowConsumer: 'close', maxBufferedAmount: 256 * 1024 });
  t.is(reported.length, 1);
  t.is(reported[0]!.readyState, 2, 'closing');
  // It no longer takes part in broadcasts, and the others go on.
  const after = manager.broadcast('next');
  t.is(after.sent, 5);
  t.deepEqual(after.slow, []);
  await within(Promise.all(fast.map((client) => client.until((c) => c.messages.length === rounds + 1))), 5000);
  slow.socket.resume();
  await slow.until((c) => c.closeCode !== undefined, 10_000);
  t.is(slow.closeCode, 1008);
  t.is(slow.messages.length, rounds - 1, 'what was queued before the close frame arrives first');
  await until(() => manager.size === 5, 3000, 'slow consumer removed');
});

test('topics: subscribe, publish, unsubscribe, and removal on close', async (t) => {
  const manager = new WebSocketManager();
  const room = (ws: WebSocket): void => {
    const topic = new URL(ws.request!.url, 'http://x').searchParams.get('room')!;
    manager.subscribe(ws, topic);
  };
  const { url } = await start(t, { handler: Quiet, manager, onConnection: room });
  const a1 = await wsPeer(t, `${url}/?room=a`);
  const a2 = await wsPeer(t, `${url}/?room=a`);
  const b1 = await wsPeer(t, `${url}/?room=b`);
  await until(() => manager.subscribers('a').size === 2 && manager.subscribers('b').size === 1, 3000);
  manager.publish('a', 'to a');
  manager.publish('b', 'to b');
  manager.publish('nobody', 'lost'); // no subscribers: nothing happens
  t.is(await a1.messages.next(3000), 'to a');
  t.is(await a2.messages.next(3000), 'to a');
  t.is(await b1.messages.next(3000), 'to b');

  // A connection may be in several topics; unsubscribe leaves the others.
  const [wsB1] = [...manager.subscribers('b')];
  manager.subscribe(wsB1!, 'a');
  t.is(manager.subscribers('a').size, 3);
  manager.publish('a', 'to a again');
  t.is(await b1.messages.next(3000), 'to a again');
  manager.unsubscribe(wsB1!, 'a');
  manager.unsubscribe(wsB1!, 'never subscribed');
  manager.publish('a', 'third');
  t.is(await a1.messages.next(3000), 'to a again');
  t.is(await a1.messages.next(3000), 'third');
  manager.publish('b', 'still in b');
  t.is(await b1.messages.next(3000), 'still in b');

  // Closing removes a connection from its topics; an empty topic disappears.
  a1.ws.close();
  a2.ws.close();
  await within(Promise.all([a1.closed, a2.closed]), 3000);
  await until(() => manager.subscribers('a').size === 0, 3000, 'topic emptied');
  b1.ws.close();
  await until(() => manager.size === 0 && manager.subscribers('b').size === 0, 3000);
});

test('publish goes through a custom BroadcastBus', async (t) => {
  const published: { topic: string; data: SendData }[] = [];
  // A stand-in for a Redis adapter: publishing is asynchronous and delivery comes back from "outside".
  class RemoteBus implements BroadcastBus {
    #deliver: ((topic: string, data: SendData) => void) | undefined;
    async publish(topic: string, data: SendData): Promise<void> {
      published.push({ topic, data });
      await delay(5);
      this.#deliver?.(topic, data);
    }
    listen(deliver: (topic: string, data: SendData) => void): void {
      this.#deliver = deliver;
    }
    /** A message published by another process. */
    fromElsewhere(topic: string, data: SendData): void {
      this.#deliver?.(topic, data);
    }
  }
  const bus = new RemoteBus();
  const manager = new WebSocketManager({ bus });
  const { url } = await start(t, { handler: Quiet, manager, onConnection: (ws) => manager.subscribe(ws, 'news') });
  const peer = await wsPeer(t, url);
  await until(() => manager.subscribers('news').size === 1, 3000);
  const pending = manager.publish('news', 'via the bus');
  t.true(pending instanceof Promise);
  await pending;
  t.deepEqual(published, [{ topic: 'news', data: 'via the bus' }]);
  t.is(await peer.messages.next(3000), 'via the bus');
  bus.fromElsewhere('news', 'from another process');
  t.is(await peer.messages.next(3000), 'from another process');
  // The default bus is the in-process one.
  const local = new LocalBus();
  const delivered: string[] = [];
  local.listen((topic, data) => delivered.push(`${topic}:${String(data)}`));
  local.publish('x', 'y');
  t.deepEqual(delivered, ['x:y']);
});

test('closeAll(1001) waits for the close handshakes', async (t) => {
  const { url, manager } = await start(t, { handler: EchoWebSocket });
  const peers = await Promise.all([wsPeer(t, url), wsPeer(t, url), wsPeer(t, url)]);
  await until(() => manager.size === 3, 3000);
  const started = Date.now();
  await within(manager.closeAll(1001, 'maintenance', { timeout: 3000 }), 5000, 'closeAll');
  t.true(Date.now() - started < 2000, 'polite clients do not wait for the timeout');
  t.is(manager.size, 0);
  for (const peer of peers) t.deepEqual(await within(peer.closed, 1000), { code: 1001, reason: 'maintenance' });
  await within(manager.closeAll(), 1000, 'closeAll with nothing to close');
});

test('closeAll terminates stragglers that never answer the close after the timeout', async (t) => {
  const { url, manager, port } = await start(t, { handler: EchoWebSocket, closeTimeout: 60_000 });
  const polite = await wsPeer(t, url);
  const straggler = await openClient(port);
  straggler.answerClose = false;
  disperse(t, [straggler]);
  await until(() => manager.size === 2, 3000);
  const started = Date.now();
  await within(manager.closeAll(1001, '', { timeout: 300 }), 3000, 'closeAll');
  const elapsed = Date.now() - started;
  t.true(elapsed >= 250, `waited ${elapsed} ms`);
  t.is(manager.size, 0);
  t.is((await within(polite.closed, 1000)).code, 1001);
  t.is(straggler.closeCode, 1001, 'the straggler got the close frame');
  await until(() => straggler.closed, 3000, 'straggler socket closed');
});

test('closeAll refuses a close code that may not be sent, closing nothing', async (t) => {
  const { url, manager } = await start(t, { handler: EchoWebSocket });
  const peer = await wsPeer(t, url);
  await until(() => manager.size === 1, 3000);
  await t.throwsAsync(manager.closeAll(1005), { code: 'WS_ERR_INVALID_CLOSE_CODE' } as never);
  peer.ws.send('still open');
  t.is(await peer.messages.next(3000), 'still open');
});

test('shutdown() under load loses no queued message and every client sees 1001', async (t) => {
  t.timeout(30_000);
  const sent = new Map<number, number>();
  let nextId = 0;
  // Each connection streams numbered messages until it closes.
  const streamer = async (ws: WebSocket): Promise<void> => {
    const id = nextId++;
    sent.set(id, 0);
    const push = (): boolean => {
      if (!ws.send(`${id}:${sent.get(id)!}`)) return false; // closing: not sent, not counted
      sent.set(id, sent.get(id)! + 1);
      return true;
    };
    (ws as WebSocket & { burst?: (n: number) => void }).burst = (n) => {
      for (let i = 0; i < n; i++) push();
    };
    while (ws.readyState === 1 && push()) await delay(1);
    await ws.finished;
  };
  const { manager, url } = await start(t, { handler: streamer });
  const peers = await Promise.all(Array.from({ length: 20 }, () => wsPeer(t, url)));
  await until(() => manager.size === 20, 3000);
  await until(() => peers.every((peer) => peer.received.length >= 10), 5000, 'streams flowing');
  // A burst on every connection (64 KiB each), queued just before the shutdown.
  for (const ws of manager) (ws as WebSocket & { burst: (n: number) => void }).burst(2000);
  const stopping = manager.shutdown({ timeout: 10_000 });
  t.false(manager.accepting);
  await within(stopping, 15_000, 'shutdown');
  t.true(manager.accepting, 'accepting again after shutdown');
  t.is(manager.size, 0);
  let total = 0;
  for (const peer of peers) {
    const closed = await within(peer.closed, 3000);
    t.is(closed.code, 1001);
    const id = Number(String(peer.received[0]).split(':')[0]);
    t.is(peer.received.length, sent.get(id) ?? -1, `client ${id} received everything sent to it`);
    t.true(peer.received.every((m, i) => m === `${id}:${i}`), `client ${id} in order`);
    total += peer.received.length;
  }
  t.log(`${total} messages delivered to 20 clients across the shutdown`);
});

test('new upgrades during a shutdown get 503, and the server accepts again afterwards', async (t) => {
  const server = createServer();
  const attachment = attach(server, { '/': EchoWebSocket });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  const straggler = await openClient(port);
  straggler.answerClose = false; // keeps the shutdown going
  disperse(t, [straggler]);
  await until(() => attachment.manager.size === 1, 3000);
  const stopping = attachment.shutdown({ timeout: 20_000 });
  const refused = await t.throwsAsync(wsPeer(t, `ws://127.0.0.1:${port}/`));
  t.regex(refused.message, /503/);
  straggler.socket.destroy(); // the last connection goes: the shutdown completes
  await within(stopping, 3000, 'shutdown');
  await until(() => straggler.closed, 3000);
  // Restartable: the same manager accepts and tracks new connections.
  const peer = await wsPeer(t, `ws://127.0.0.1:${port}/`);
  peer.ws.send('back');
  t.is(await peer.messages.next(3000), 'back');
  t.is(attachment.manager.size, 1);
  await within(attachment.shutdown(), 3000);
  t.is((await peer.closed).code, 1001);
});

test('serve() is restartable after a shutdown', async (t) => {
  const { server, manager, url } = await start(t, { handler: EchoWebSocket });
  const first = await wsPeer(t, url);
  await within(manager.shutdown({ timeout: 500 }), 3000);
  t.is((await first.closed).code, 1001);
  await server.listen();
  const peer = await wsPeer(t, `ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  peer.ws.send('again');
  t.is(await peer.messages.next(3000), 'again');
});

test('handleSignals runs a shutdown on the signal and can be removed', async (t) => {
  const { url, manager } = await start(t, { handler: EchoWebSocket });
  const peer = await wsPeer(t, url);
  await until(() => manager.size === 1, 3000);
  const before = process.listenerCount('SIGUSR2');
  const remove = manager.handleSignals({ signals: ['SIGUSR2'], exit: false, timeout: 500 });
  t.is(process.listenerCount('SIGUSR2'), before + 1);
  process.kill(process.pid, 'SIGUSR2');
  t.deepEqual(await within(peer.closed, 3000), { code: 1001, reason: 'server shutting down' });
  remove();
  t.is(process.listenerCount('SIGUSR2'), before);
  const again = manager.handleSignals({ signals: ['SIGUSR2'], exit: false });
  again();
  t.is(process.listenerCount('SIGUSR2'), before);
});

test('a throwing handler affects only its own connection (1011) while others keep echoing', async (t) => {
  const errors: unknown[] = [];
  class Hooks extends EchoWebSocket {
    override receivedMessage(message: Message): void {
      if (message.data === 'boom') throw new Error('hook failed');
      super.receivedMessage(message);
    }
    override unhandledError(error: unknown): void {
      errors.push(error);
    }
  }
  const loop = async (ws: WebSocket): Promise<void> => {
    ws.unhandledError = (error) => errors.push(error);
    for await (const message of ws) {
      if (message.data === 'boom') throw new Error('loop failed');
      ws.send(message.data);
    }
  };
  const observable = observe((messages$, ws) => {
    ws.unhandledError = (error) => errors.push(error);
    return messages$.pipe(
      map((message) => {
        if (message.data === 'boom') throw new Error('observable failed');
        return message.data;
      }),
    );
  });
  const { url, manager } = await start(t, { routes: { '/hooks': Hooks, '/loop': loop, '/observable': observable } });
  const peers = new Map<string, WsPeer[]>();
  for (const path of ['/hooks', '/loop', '/observable']) peers.set(path, [await wsPeer(t, `${url}${path}`), await wsPeer(t, `${url}${path}`)]);
  await until(() => manager.size === 6, 3000);
  for (const [path, [victim, survivor]] of peers) {
    victim!.ws.send('boom');
    t.is((await within(victim!.closed, 3000)).code, 1011, path);
    survivor!.ws.send(`still ${path}`);
    t.is(await survivor!.messages.next(3000), `still ${path}`);
  }
  t.deepEqual(errors.map((error) => (error as Error).message).sort(), ['hook failed', 'loop failed', 'observable failed']);
  await until(() => manager.size === 3, 3000);
});

test('a connection added while a shutdown is under way is closed with 1001 at once', async (t) => {
  const { manager, port } = await start(t, { handler: EchoWebSocket });
  const other = await start(t, { handler: EchoWebSocket });
  const straggler = await openClient(port);
  straggler.answerClose = false; // keeps the shutdown going
  disperse(t, [straggler]);
  const late = await wsPeer(t, other.url);
  await until(() => manager.size === 1 && other.manager.size === 1, 3000);
  const seen: WebSocket[] = [];
  const subscription = manager.connections$.subscribe((ws) => seen.push(ws));
  t.teardown(() => subscription.unsubscribe());
  const stopping = manager.shutdown({ timeout: 500, reason: 'going down' });
  manager.add([...other.manager][0]!);
  t.deepEqual(await within(late.closed, 3000), { code: 1001, reason: 'going down' });
  await within(stopping, 3000);
  t.deepEqual(seen, [], 'not announced as a new connection');
  t.is(manager.size, 0);
});

test('data that is not a message is a TypeError that names the method it was given to', (t) => {
  const manager = new WebSocketManager();
  t.throws(() => manager.broadcast(123 as unknown as string), { instanceOf: TypeError, message: /^manager\.broadcast\(\) takes a string, an ArrayBuffer or an ArrayBufferView \(Uint8Array, Buffer…\); got number 123$/ });
  t.throws(() => manager.publish('t', { a: 1 } as unknown as string), { instanceOf: TypeError, message: /^manager\.publish\(\) takes a string, an ArrayBuffer/ });
  t.throws(() => manager.publish('t', ['a'] as unknown as string), { instanceOf: TypeError, message: /^manager\.publish\(\) takes .*; got a stream$/ });
  t.throws(() => prepareMessage(null as unknown as string), { instanceOf: TypeError, message: /^prepareMessage\(\) takes a string, an ArrayBuffer/ });
});

test('a topic that is not a string is a TypeError from subscribe() and publish()', (t) => {
  const manager = new WebSocketManager();
  t.throws(() => manager.publish(42 as unknown as string, 'x'), { instanceOf: TypeError, message: /manager\.publish\(\): topic must be a string, got number/ });
  t.throws(() => manager.subscribe(undefined as unknown as WebSocket, null as unknown as string), { instanceOf: TypeError, message: /got null/ });
});
