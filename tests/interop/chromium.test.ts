/**
 * Interop: a real browser (Debian's Chromium, driven by playwright-core) as
 * the client of our server. `.ci/run` installs Chromium; elsewhere the test
 * is skipped when no browser is found (never in CI, where it must run).
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { attach, EchoWebSocket, WebSocket } from '../../src/index.js';

const executablePath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const run = executablePath !== undefined || process.env.CI ? test.serial : test.serial.skip;

const PAGE = `<!doctype html><meta charset="utf-8"><title>ws4ts interop</title>
<script>
async function runEcho(url) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const received = [];
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('ws error')); });
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
  const done = new Promise((resolve) => {
    ws.onmessage = (event) => {
      received.push(typeof event.data === 'string' ? { text: event.data } : { bytes: event.data.byteLength, sum: new Uint8Array(event.data).reduce((a, b) => (a + b) % 65521, 0) });
      if (received.length === 4) resolve();
    };
  });
  ws.send('héllo wörld ✓');
  ws.send(new Uint8Array([1, 2, 3]));
  ws.send('');
  ws.send(big);
  await done;
  const closed = new Promise((resolve) => { ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean }); });
  ws.close(1000, 'bye');
  return { received, extensions: ws.extensions, protocol: ws.protocol, close: await closed };
}
async function runServerClose(url) {
  const ws = new WebSocket(url, ['chat', 'superchat']);
  return await new Promise((resolve) => {
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean, protocol: ws.protocol });
  });
}
</script>`;

let browser: Browser | undefined;
let server: Server | undefined;
let base = '';

test.before(async () => {
  if (executablePath === undefined) return;
  server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  class CloseAtOnce extends WebSocket {
    override opened(): void {
      this.close(4000, 'server says bye').catch(() => {});
    }
  }
  attach(server, {
    '/echo': EchoWebSocket,
    '/close': { handler: CloseAtOnce, protocols: ['superchat', 'chat'] },
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

test.after.always(async () => {
  await browser?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
  }
});

run('Chromium echoes text, binary, empty and 1 MiB messages through our server and closes cleanly', async (t) => {
  t.truthy(executablePath, 'Chromium must be installed in CI (.ci/run installs it)');
  const page = await browser!.newPage();
  await page.goto(`http://${base}/`);
  const result = await page.evaluate((url) => (globalThis as unknown as { runEcho(u: string): Promise<unknown> }).runEcho(url), `ws://${base}/echo`);
  const r = result as { received: unknown[]; close: { code: number; reason: string; wasClean: boolean } };
  let sum = 0;
  for (let i = 0; i < 1 << 20; i++) sum = (sum + (i & 0xff)) % 65521;
  t.deepEqual(r.received, [{ text: 'héllo wörld ✓' }, { bytes: 3, sum: 6 }, { text: '' }, { bytes: 1 << 20, sum }]);
  t.deepEqual(r.close, { code: 1000, reason: 'bye', wasClean: true });
  // permessage-deflate is on by default: Chromium offered it and we accepted.
  t.regex((r as unknown as { extensions: string }).extensions, /^permessage-deflate/);
  await page.close();
});

run('Chromium sees a server-initiated close with its code and reason, and the selected subprotocol', async (t) => {
  const page = await browser!.newPage();
  await page.goto(`http://${base}/`);
  const result = await page.evaluate((url) => (globalThis as unknown as { runServerClose(u: string): Promise<unknown> }).runServerClose(url), `ws://${base}/close`);
  t.deepEqual(result, { code: 4000, reason: 'server says bye', wasClean: true, protocol: 'superchat' });
  await page.close();
});

