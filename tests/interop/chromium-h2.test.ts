/**
 * Interop: Chromium loads a page over HTTPS/2 from `serve({ http2: true })`
 * and opens `wss://` to the same origin. Server-side counters prove the
 * WebSocket went over the page's HTTP/2 session as an RFC 8441 stream, not
 * over an HTTP/1.1 upgrade of a new connection. The test certificate is
 * self-signed: `--ignore-certificate-errors` in this test only.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { serve, type WebSocketServer } from '../../src/server/serve.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { PATIENCE, Queue, within } from '../helpers/loopback.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';

const executablePath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const run = executablePath !== undefined || process.env.CI ? test.serial : test.serial.skip;

const PAGE = `<!doctype html><meta charset="utf-8"><title>ws4ts over h2</title>
<script>
async function runEcho(url, count) {
  const open = () => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error('ws error'));
  });
  const sockets = await Promise.all(Array.from({ length: count }, open));
  const replies = await Promise.all(sockets.map((ws, i) => new Promise((resolve) => {
    const got = [];
    ws.onmessage = (e) => {
      got.push(typeof e.data === 'string' ? e.data : e.data.byteLength);
      if (got.length === 2) resolve(got);
    };
    ws.send('héllo ' + i);
    ws.send(new Uint8Array(100000 + i));
  })));
  const closes = await Promise.all(sockets.map((ws) => new Promise((resolve) => {
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean });
    ws.close(1000, 'bye');
  })));
  return { replies, closes, extensions: sockets[0].extensions };
}
</script>`;

let browser: Browser | undefined;
let server: WebSocketServer | undefined;
const pageSessions = new Set<Http2Session>();
const accepted = new Queue<WebSocket>();
let origin = '';

test.before(async () => {
  if (executablePath === undefined) return;
  server = serve({
    port: 0,
    http2: true,
    tls: { key: TEST_KEY, cert: TEST_CERT },
    routes: { '/echo': EchoWebSocket },
    onConnection: (ws) => accepted.push(ws),
    onStream: (stream: ServerHttp2Stream) => {
      pageSessions.add(stream.session!);
      stream.respond({ ':status': 200, 'content-type': 'text/html; charset=utf-8' });
      stream.end(PAGE);
    },
  });
  await server.listening;
  origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--ignore-certificate-errors',
    ],
  });
});

test.after.always(async () => {
  await browser?.close();
  await server?.close({ timeout: 500 });
});

run('Chromium opens wss:// over the HTTP/2 session that loaded the page (RFC 8441), several sockets multiplexed', async (t) => {
  t.truthy(executablePath, 'Chromium must be installed in CI (.ci/run installs it)');
  const context = await browser!.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const response = await page.goto(`https://${origin}/`);
  t.is(response?.status(), 200);
  t.is(await page.evaluate(() => (performance as unknown as { getEntriesByType(type: string): { nextHopProtocol?: string }[] }).getEntriesByType('navigation')[0]?.nextHopProtocol), 'h2');
  const before = server!.http2!.sessionCount;
  const result = (await page.evaluate(
    ([url, count]) => (globalThis as unknown as { runEcho(u: string, n: number): Promise<unknown> }).runEcho(url as string, count as number),
    [`wss://${origin}/echo`, 3],
  )) as { replies: unknown[]; closes: unknown[]; extensions: string };
  t.deepEqual(result.replies, [
    ['héllo 0', 100000],
    ['héllo 1', 100001],
    ['héllo 2', 100002],
  ]);
  t.deepEqual(result.closes, Array(3).fill({ code: 1000, reason: 'bye', wasClean: true }));
  t.regex(result.extensions, /^permessage-deflate/);

  // The server's word, not the browser's: three RFC 8441 streams, no new session, HTTP/2 requests.
  t.is(server!.http2!.streams, 3);
  t.is(server!.http2!.sessionCount, before, 'no session was opened for the WebSockets');
  t.is(pageSessions.size, 1);
  for (let i = 0; i < 3; i++) {
    const ws = await within(accepted.next(), PATIENCE);
    t.is(ws.request?.httpVersion, '2.0');
    t.is(ws.request?.method, 'CONNECT');
  }
  t.true([...server!.http2!.sessions].some((session) => pageSessions.has(session)), 'the page session is still open and carried them');
  await context.close();
});
