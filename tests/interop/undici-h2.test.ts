/**
 * Interop: undici 7's WHATWG `WebSocket` over HTTP/2 (its experimental
 * RFC 8441 client, `Agent({ allowH2: true })`) against `serve({ http2: true })`.
 *
 * What undici does: it waits for the server's SETTINGS, refuses to try
 * without SETTINGS_ENABLE_CONNECT_PROTOCOL, sends an extended CONNECT with
 * `:protocol websocket` — and also a `sec-websocket-key`, whose accept it
 * then insists on even over HTTP/2 (RFC 8441 §5 says neither is used). Our
 * server answers the accept when a valid key comes, so undici connects.
 *
 * Two undici WebSockets open at once each got a session of their own, and
 * the first one's close completed only when the second closed (seen with
 * undici 7.30, not investigated further): this test opens them one after the
 * other. Multiplexing is proven with our client and Chromium instead.
 */
import test from 'ava';
import type { AddressInfo } from 'node:net';
import { Agent, WebSocket as UndiciWebSocket } from 'undici';
import { serve } from '../../src/server/serve.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { deferred, within, PATIENCE, Queue } from '../helpers/loopback.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';

test('undici over HTTP/2: text, binary, 1 MiB, permessage-deflate and a clean close, one WebSocket after the other', async (t) => {
  const accepted = new Queue<WebSocket>();
  const server = serve({ port: 0, http2: true, tls: { key: TEST_KEY, cert: TEST_CERT }, handler: EchoWebSocket, onConnection: (ws) => accepted.push(ws) });
  await server.listening;
  const dispatcher = new Agent({ allowH2: true, connect: { ca: TEST_CERT } });
  t.teardown(async () => {
    await dispatcher.destroy();
    await server.close({ timeout: 500 });
  });
  const { port } = server.address() as AddressInfo;
  const open = async () => {
    const socket = new UndiciWebSocket(`wss://127.0.0.1:${port}/`, { dispatcher } as unknown as string[]);
    socket.binaryType = 'arraybuffer';
    const messages = new Queue<string | ArrayBuffer>();
    socket.addEventListener('message', (event) => messages.push(event.data as string | ArrayBuffer));
    const closed = deferred<{ code: number; reason: string; wasClean: boolean }>();
    socket.addEventListener('close', (event) => closed.resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean }));
    await within(
      new Promise<void>((resolve, reject) => {
        socket.addEventListener('open', () => resolve());
        socket.addEventListener('error', () => reject(new Error('undici WebSocket failed to open')));
      }),
      PATIENCE,
    );
    return { socket, messages, closed: closed.promise };
  };
  const a = await open();
  const serverSide = await accepted.next();
  // Server-side proof that this went over HTTP/2, not an HTTP/1.1 upgrade.
  t.is(serverSide.request?.httpVersion, '2.0');
  t.is(server.http2?.streams, 1);
  t.regex(a.socket.extensions, /^permessage-deflate/);
  a.socket.send('héllo over h2');
  t.is(await a.messages.next(), 'héllo over h2');
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  a.socket.send(big);
  const echoed = (await a.messages.next()) as ArrayBuffer;
  t.true(Buffer.from(echoed).equals(Buffer.from(big)));
  a.socket.close(1000, 'bye');
  t.deepEqual(await within(a.closed, PATIENCE), { code: 1000, reason: 'bye', wasClean: true });
  t.deepEqual(await within(serverSide.finished, PATIENCE), { code: 1000, reason: 'bye', wasClean: true });
  // A second WebSocket afterwards: another extended CONNECT.
  const b = await open();
  b.socket.send('again');
  t.is(await b.messages.next(), 'again');
  t.is(server.http2?.streams, 2);
  t.log(`undici used ${server.http2?.sessionCount} HTTP/2 session(s) for 2 WebSockets`);
  b.socket.close();
  t.is((await within(b.closed, PATIENCE)).code, 1005);
});
