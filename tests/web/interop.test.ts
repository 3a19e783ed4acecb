/**
 * The WHATWG client against real servers: `ws`, Python websockets and
 * Autobahn|Python (Debian's python3-websockets and python3-autobahn, run by
 * /usr/bin/python3), each with and without permessage-deflate. The same
 * sequence everywhere: text, binary, empty text, empty binary, 1 MiB,
 * a burst of 200 messages in order, then a clean close; once through
 * `new WebSocket(url)` and once through `WebSocketStream`.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { WebSocket } from '../../src/websocket.js';
import { WebSocketStream } from '../../src/web/stream.js';
import type { CloseEvent } from '../../src/web/events.js';
import { within } from '../helpers/loopback.js';

const script = fileURLToPath(new URL('../fixtures/python/echo_server.py', import.meta.url));

type Peer = 'ws' | 'websockets' | 'autobahn';

async function start(peer: Peer, deflate: boolean, teardown: (fn: () => unknown) => void): Promise<string> {
  if (peer === 'ws') {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate, maxPayload: 0 });
    server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    await new Promise<void>((resolve) => server.once('listening', resolve));
    teardown(() => {
      for (const client of server.clients) client.terminate();
      server.close();
    });
    return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }
  const child = spawn('/usr/bin/python3', [script, peer, deflate ? 'deflate' : 'plain'], { stdio: ['pipe', 'pipe', 'inherit'] });
  teardown(() => {
    child.stdin.end();
    child.kill();
  });
  const line = await within(
    new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`${peer} exited ${code}`)));
    }),
    20_000,
    `${peer} server start`,
  );
  return `ws://127.0.0.1:${Number(line)}/`;
}

for (const peer of ['ws', 'websockets', 'autobahn'] as const) {
  for (const deflate of [false, true]) {
    test(`against ${peer} ${deflate ? 'with' : 'without'} permessage-deflate`, async (t) => {
      t.timeout(60_000);
      const url = await start(peer, deflate, (fn) => t.teardown(fn));
      const ws = new WebSocket(url, undefined, { deflate });
      t.teardown(() => ws.terminate());
      ws.binaryType = 'arraybuffer';
      const received: (string | ArrayBuffer)[] = [];
      let wanted = 0;
      let arrived: (() => void) | undefined;
      ws.onmessage = (event) => {
        received.push(event.data as string | ArrayBuffer);
        if (received.length === wanted) arrived?.();
      };
      const expect = (count: number): Promise<void> =>
        within(
          new Promise<void>((resolve) => {
            wanted = count;
            arrived = resolve;
            if (received.length >= count) resolve();
          }),
          30_000,
          `${count} messages`,
        );
      await within(new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = (event) => reject((event as unknown as { error: Error }).error);
      }), 20_000, 'open');
      if (deflate) t.regex(ws.extensions, /^permessage-deflate/);
      else t.is(ws.extensions, '');
      const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
      ws.send('text é');
      ws.send(new Uint8Array([0, 1, 2, 255]));
      ws.send('');
      ws.send(new ArrayBuffer(0));
      ws.send(big);
      for (let i = 0; i < 200; i++) ws.send(`burst ${i}`);
      await expect(205);
      t.is(received[0], 'text é');
      t.deepEqual([...new Uint8Array(received[1] as ArrayBuffer)], [0, 1, 2, 255]);
      t.is(received[2], '');
      t.true(received[3] instanceof ArrayBuffer && received[3].byteLength === 0);
      t.true(Buffer.from(received[4] as ArrayBuffer).equals(big), '1 MiB intact');
      t.deepEqual(received.slice(5), Array.from({ length: 200 }, (_, i) => `burst ${i}`));
      const closed = within(new Promise<CloseEvent>((resolve) => (ws.onclose = resolve)), 20_000, 'close');
      ws.close(1000, 'bye');
      const event = await closed;
      t.is(event.code, 1000);
      // Autobahn answers a close with the code alone (RFC 6455 §5.5.1 lets it); the others echo the reason.
      t.is(event.reason, peer === 'autobahn' ? '' : 'bye');
      t.true(event.wasClean);
    });
  }
}

for (const peer of ['ws', 'websockets', 'autobahn'] as const) {
  for (const deflate of [false, true]) {
    test(`WebSocketStream against ${peer} ${deflate ? 'with' : 'without'} permessage-deflate`, async (t) => {
      t.timeout(60_000);
      const url = await start(peer, deflate, (fn) => t.teardown(fn));
      const wss = new WebSocketStream(url, { deflate });
      t.teardown(() => wss.close());
      const { readable, writable, extensions } = await within(wss.opened, 20_000, 'opened');
      if (deflate) t.regex(extensions, /^permessage-deflate/);
      else t.is(extensions, '');
      const writer = writable.getWriter();
      const reader = readable.getReader();
      const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
      const burst = Array.from({ length: 200 }, (_, i) => `burst ${i}`);
      const sent = ['text é', new Uint8Array([0, 1, 2, 255]), '', new ArrayBuffer(0), big, ...burst];
      const writing = Promise.all(sent.map((chunk) => writer.write(chunk)));
      const received: (string | Uint8Array)[] = [];
      while (received.length < sent.length) received.push((await within(reader.read(), 30_000, `message ${received.length}`)).value!);
      await writing;
      t.is(received[0], 'text é');
      t.deepEqual([...(received[1] as Uint8Array)], [0, 1, 2, 255]);
      t.is(received[2], '');
      t.true(received[3] instanceof Uint8Array && received[3].byteLength === 0);
      t.true(Buffer.from(received[4] as Uint8Array).equals(Buffer.from(big)), '1 MiB intact');
      t.deepEqual(received.slice(5), burst);
      wss.close({ closeCode: 1000, reason: 'bye' });
      const { closeCode, reason } = await within(wss.closed, 20_000, 'closed');
      t.is(closeCode, 1000);
      t.is(reason, peer === 'autobahn' ? '' : 'bye');
      t.true((await reader.read()).done);
    });
  }
}
