/**
 * The WebSocket layer against careless users and greedy peers (issue 10):
 * the process-exit cases run a server in a child process and check it is
 * still alive and serving afterwards.
 */
import test from 'ava';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { wsPeer } from '../helpers/ws-peer.js';
import { client, delay, rawClient, serverWith, until, within, PATIENCE } from '../helpers/loopback.js';
import { EchoWebSocket, WebSocket } from '../../src/websocket.js';
import { WebSocketManager } from '../../src/server/manager.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function careless(t: import('ava').ExecutionContext): Promise<{ url: string; child: ChildProcessWithoutNullStreams; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/careless-server.ts'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await within(
    new Promise<number>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        output += `${line}\n`;
        const parsed = JSON.parse(line) as { port?: number };
        if (parsed.port !== undefined) resolve(parsed.port);
      });
    }),
    20_000,
    'the careless server listening',
  );
  return { url: `ws://127.0.0.1:${port}`, child, output: () => output };
}

async function stillServing(t: import('ava').ExecutionContext, url: string, child: ChildProcessWithoutNullStreams, output: () => string): Promise<void> {
  t.is(child.exitCode, null, `the server process is alive: ${output()}`);
  const peer = await wsPeer(t, `${url}/alive`);
  peer.ws.send('still here');
  t.is(await within(peer.messages.next(), PATIENCE, 'the echo'), 'still here');
  peer.ws.close();
}

test('careless handlers never end the process: a timer sending after close, ignored ping()/receive() promises, subscribe-and-return, wrong send arguments, failing streams, throwing subscribe callbacks', async (t) => {
  t.timeout(60_000);
  const { url, child, output } = await careless(t);

  // A timer keeps sending after the client leaves: send() returns false, nothing throws.
  const timer = await wsPeer(t, `${url}/timer`);
  await within(timer.messages.next(), PATIENCE, 'a tick');
  timer.ws.terminate();
  await delay(300);

  // Subscribe and return: the connection stays open and echoes; a message racing the close is harmless.
  const sub = await wsPeer(t, `${url}/subscribe`);
  sub.ws.send('one');
  t.is(await within(sub.messages.next(), PATIENCE), 'one');
  await delay(100);
  t.is(sub.ws.readyState, 1, `still open after the handler returned ${JSON.stringify(await Promise.race([sub.closed, delay(10)]))}`);
  sub.ws.send('two');
  t.is(await within(sub.messages.next(), PATIENCE), 'two');
  sub.ws.send('racing');
  sub.ws.close();
  await sub.closed;

  // A throwing subscribe callback closes only that connection, with 1011 and a generic reason.
  const thrower = await wsPeer(t, `${url}/throw-in-subscribe`);
  thrower.ws.send('boom');
  t.deepEqual(await within(thrower.closed, PATIENCE), { code: 1011, reason: 'internal error' });

  // Wrong arguments: a TypeError inside the handler is a 1011 for that connection only.
  for (const kind of ['number', 'object', 'null', 'none']) {
    const bad = await wsPeer(t, `${url}/bad-send`);
    bad.ws.send(kind);
    t.is((await within(bad.closed, PATIENCE)).code, 1011, kind);
  }
  const failing = await wsPeer(t, `${url}/bad-send`);
  failing.ws.send('throwing-stream');
  t.is((await within(failing.closed, PATIENCE)).code, 1011, 'a stream whose source throws');
  const cut = await wsPeer(t, `${url}/bad-send`);
  cut.ws.send('cut-stream');
  await within(cut.closed, PATIENCE);

  // ping() and receive() promises nobody awaits reject when the peer leaves: no unhandled rejection.
  const ignoring = await wsPeer(t, `${url}/ignored-promises`);
  await delay(50);
  ignoring.ws.terminate();

  await delay(300);
  await stillServing(t, url, child, output);
  t.regex(output(), /TypeError: send\(\) takes .*got number 42/, 'the TypeError names what was passed');
  t.regex(output(), /queued behind a streamed send not sent/, 'the message cut off behind the stream is reported');
  t.notRegex(output(), /"exit"/);
});

test('a subclass with methods named like the old internals still closes, leaves the manager and lets server.close() resolve', async (t) => {
  class Named extends EchoWebSocket {
    onClose(): void {}
    onData(): void {}
    onEnd(): void {}
    onDrain(): void {}
    tick(): void {}
    flush(): void {}
    handlerFailed(): void {}
  }
  const manager = new WebSocketManager();
  const { url, accepted, server } = await serverWith(t, { handler: Named, manager, pingInterval: 20, pongTimeout: 60_000 });
  const ws = await client(t, url);
  const peer = await accepted.next();
  t.true(peer instanceof Named);
  ws.send('echo me');
  t.is((await within(ws.receive(), PATIENCE)).data, 'echo me');
  await delay(60); // a few keepalive ticks
  await ws.close(1000);
  await within(peer.finished, PATIENCE);
  await until(() => manager.size === 0, PATIENCE, 'the manager empties');
  await within(new Promise<void>((resolve) => server.close(() => resolve())), PATIENCE, 'server.close()');
  t.is(manager.size, 0);
});

test('send() on a closed connection returns false; on an open one true', async (t) => {
  const { url, accepted } = await serverWith(t, { handler: EchoWebSocket });
  const ws = await client(t, url);
  const server = await accepted.next();
  t.true(server.send('open'));
  t.true(ws.send(new Uint8Array([1])));
  await ws.close();
  await within(server.finished, PATIENCE);
  t.false(server.send('late'));
  t.false(ws.send('late'));
  t.false(await ws.send(['a', 'b']), 'a stream after close resolves false');
  t.throws(() => ws.send(42 as unknown as string), { instanceOf: TypeError, message: /number 42/ });
});

test('write backpressure: an echo to a peer that never reads pauses reading from it, and resumes once it reads', async (t) => {
  const { port, accepted, sockets } = await serverWith(t, { handler: EchoWebSocket, deflate: false });
  const peer = await rawClient(t, port);
  const server: WebSocket = await accepted.next();
  peer.socket.pause(); // never reads our echo
  const message = new Uint8Array(64 * 1024);
  const frame = (await import('../helpers/loopback.js')).frame;
  let sent = 0;
  // Write until the peer's own writes stall in TCP (the server stopped reading).
  while (sent < 2000) {
    const ok = peer.socket.write(frame(2, message, { mask: true }));
    sent++;
    if (!ok) await Promise.race([new Promise((r) => peer.socket.once('drain', r)), delay(200)]);
    if ([...sockets][0]?.isPaused()) break;
  }
  const [socket] = sockets;
  await until(() => socket!.isPaused(), 5000, 'the server stops reading from the peer');
  await delay(200);
  t.true(server.bufferedAmount < 4 * 1024 * 1024, `server output held at ${server.bufferedAmount} bytes`);
  t.is(server.readyState, 1, 'not closed: write backpressure is not the cap');
  peer.socket.resume();
  await until(() => !socket!.isPaused(), 10_000, 'reading resumes once the peer reads');
});

test('maxBufferedAmount: a timer adding to a peer that never reads closes it with 1008 and reports it; one big send to a reading peer never trips it', async (t) => {
  const reported: unknown[] = [];
  class Loud extends WebSocket {
    override unhandledError(error: unknown): void {
      reported.push(error);
    }
  }
  const { port, url, accepted } = await serverWith(t, { handler: Loud, deflate: false, maxBufferedAmount: 1024 * 1024 });
  const peer = await rawClient(t, port);
  peer.socket.pause();
  const server = await accepted.next();
  const chunk = new Uint8Array(64 * 1024);
  let refused = 0;
  for (let i = 0; i < 200 && refused === 0; i++) {
    if (!server.send(chunk)) refused = i;
    await delay(1);
  }
  t.true(refused > 0, 'a send was refused');
  await within(server.finished, PATIENCE);
  t.is(server.error?.code, 'WS_ERR_SLOW_CONSUMER');
  t.is(server.error?.closeCode, 1008);
  t.is((reported[0] as { code?: string }).code, 'WS_ERR_SLOW_CONSUMER');
  // A reading peer: one 8 MiB message (8 × the cap) and small ones after it.
  const ws = await client(t, url);
  const reader = await accepted.next();
  t.true(reader.send(new Uint8Array(8 * 1024 * 1024)));
  for (let i = 0; i < 10; i++) t.true(reader.send('small'));
  t.is((await within(ws.receive(), PATIENCE)).data.length, 8 * 1024 * 1024);
  t.is(reader.readyState, 1);
});
