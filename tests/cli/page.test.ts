/**
 * The demo page (src/cli/page.ts) in a real browser: Debian's Chromium,
 * driven by playwright-core, against `ws4ts` started as `npm start` starts
 * it. One page echoes; two pages join a room and see each other's messages;
 * the page shows connection state, the negotiated extension, the ping() RTT
 * and the server's figures. A screenshot is saved (to docs/demo.png, which
 * the README shows, when UPDATE_SCREENSHOT=1).
 */
import test from 'ava';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureBuilt, root, startServer } from '../helpers/cli.js';

const executablePath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
// CI installs Chromium; elsewhere the test is skipped when no browser is found.
const run = executablePath !== undefined || process.env.CI ? test.serial : test.serial.skip;

let browser: Browser | undefined;
// playwright gives the browser a fresh profile of its own; this directory holds the screenshot.
const profile = mkdtempSync(join(tmpdir(), 'ws4ts-demo-'));

test.before(async () => {
  ensureBuilt();
  if (executablePath === undefined) return;
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

test.after.always(async () => {
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
});

const TIMEOUT = 15_000;

// The callbacks below run in the page (playwright serialises them); this
// describes the little of the DOM they use, without pulling lib.dom into the
// whole test program (its WebSocket would clash with ours).
interface Element {
  readonly textContent: string | null;
}
declare const document: {
  getElementById(id: string): Element | null;
  querySelector(selector: string): Element | null;
  querySelectorAll(selector: string): Iterable<Element>;
};

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? '';
}

run('the demo page: echo, a room shared by two pages, state, extension, RTT and server figures', async (t) => {
  const server = await startServer(t, ['--port', '0']);
  const context = await browser!.newContext({ viewport: { width: 1280, height: 460 } });
  t.teardown(() => context.close());
  const ann = await context.newPage();
  const errors: string[] = [];
  ann.on('pageerror', (error) => errors.push(error.message));
  await ann.goto(`${server.http}/`);
  t.is(await ann.title(), 'ws4ts demo');

  // Echo panel.
  await ann.waitForFunction(() => document.getElementById('echo-state')?.textContent === 'open', undefined, { timeout: TIMEOUT });
  t.regex(await text(ann, '#echo-ext'), /^permessage-deflate/);
  await ann.fill('#echo-input', 'hello from Chromium');
  await ann.click('#echo-send');
  await ann.waitForFunction(() => document.querySelector('#echo-log li.received')?.textContent === '←hello from Chromium', undefined, { timeout: TIMEOUT });
  t.regex(await text(ann, '#echo-rtt'), /^\d+\.\d ms$/);

  // Chat: ann and bob in the same room.
  await ann.waitForFunction(() => document.getElementById('chat-state')?.textContent === 'open', undefined, { timeout: TIMEOUT });
  await ann.fill('#chat-name', 'ann');
  await ann.fill('#chat-room', 'lobby');
  await ann.click('#chat-join');
  await ann.waitForFunction(() => document.getElementById('chat-current')?.textContent?.startsWith('lobby'), undefined, { timeout: TIMEOUT });

  const bob = await context.newPage();
  bob.on('pageerror', (error) => errors.push(error.message));
  await bob.goto(`${server.http}/`);
  await bob.waitForFunction(() => document.getElementById('chat-state')?.textContent === 'open', undefined, { timeout: TIMEOUT });
  await bob.fill('#chat-name', 'bob');
  await bob.fill('#chat-room', 'lobby');
  await bob.click('#chat-join');
  await bob.waitForFunction(() => document.getElementById('chat-current')?.textContent === 'lobby (2 members)', undefined, { timeout: TIMEOUT });
  await ann.waitForFunction(() => document.getElementById('chat-current')?.textContent === 'lobby (2 members)', undefined, { timeout: TIMEOUT });

  await bob.fill('#chat-input', 'hi ann, bob here');
  await bob.click('#chat-send');
  await ann.waitForFunction(() => [...document.querySelectorAll('#chat-log li.message')].some((li) => li.textContent === 'bobhi ann, bob here'), undefined, { timeout: TIMEOUT });
  await ann.fill('#chat-input', 'hello bob');
  await ann.click('#chat-send');
  await bob.waitForFunction(() => [...document.querySelectorAll('#chat-log li.message')].some((li) => li.textContent === 'annhello bob'), undefined, { timeout: TIMEOUT });
  t.regex(await text(bob, '#chat-log'), /bob joined/);

  // RTT from the server's ping(), and the live figures from /stats.
  await ann.waitForFunction(() => /ms$/.test(document.getElementById('rtt')?.textContent ?? ''), undefined, { timeout: TIMEOUT });
  t.regex(await text(ann, '#rtt'), /^\d+\.\d\d ms$/);
  await ann.waitForFunction(() => Number(document.getElementById('stat-active')?.textContent) >= 4, undefined, { timeout: TIMEOUT });
  await ann.waitForFunction(() => /lobby \(2\)/.test(document.getElementById('stat-rooms')?.textContent ?? ''), undefined, { timeout: TIMEOUT });
  t.is(await text(ann, '#stats-state'), 'live');
  t.true(Number(await text(ann, '#stat-min-total')) >= 3, 'messages in are counted');
  t.deepEqual(errors, [], 'no script errors on the page');

  const shot = join(profile, 'demo.png');
  await ann.screenshot({ path: shot, fullPage: true });
  t.deepEqual([...readFileSync(shot).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG was written');
  if (process.env.UPDATE_SCREENSHOT === '1') copyFileSync(shot, join(root, 'docs', 'demo.png'));
});

run('the page reconnects after the server restarts its connections and shows the close code', async (t) => {
  const server = await startServer(t, ['--port', '0']);
  const page = await browser!.newPage();
  t.teardown(() => page.close());
  await page.goto(`${server.http}/`);
  await page.waitForFunction(() => document.getElementById('echo-state')?.textContent === 'open', undefined, { timeout: TIMEOUT });
  // SIGTERM closes every connection with 1001 before the server exits.
  server.child.kill('SIGTERM');
  await page.waitForFunction(() => document.getElementById('echo-state')?.textContent === 'closed 1001', undefined, { timeout: TIMEOUT });
  t.is(await text(page, '#echo-state'), 'closed 1001');
});
