/**
 * `serve`'s status line (src/cli/status.ts): the formula on two snapshots,
 * and the live line on a real terminal (tmux) while a `ws` client talks.
 */
import test from 'ava';
import { once } from 'node:events';
import WS from 'ws';
import { bytes, statusLine } from '../../src/cli/status.js';
import type { CountersSnapshot } from '../../src/index.js';
import { ensureBuilt } from '../helpers/cli.js';
import { hasTmux, terminal } from '../helpers/terminal.js';
import { PATIENCE, within } from '../helpers/loopback.js';

const onTerminal = hasTmux || process.env.CI ? test.serial : test.serial.skip;

const snapshot = (at: number, fields: Partial<CountersSnapshot>): CountersSnapshot => ({
  active: 0, total: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, closeCodes: {}, at, ...fields,
});

test('the status line shows connections and per-second rates each way', (t) => {
  const before = snapshot(1_000, { active: 2, total: 5, messagesIn: 100, messagesOut: 50, bytesIn: 1024, bytesOut: 0 });
  const now = snapshot(3_000, { active: 3, total: 6, messagesIn: 300, messagesOut: 250, bytesIn: 1024 + 4096, bytesOut: 3 * 1024 * 1024 });
  t.is(statusLine(now, before), '3 open (6 total) · in 100 msg/s 2.0 KiB/s · out 100 msg/s 1.5 MiB/s');
  t.is(bytes(512), '512 B');
  t.is(bytes(5 * 1024 ** 3), '5.00 GiB');
});

onTerminal('on a terminal, serve redraws one status line with live figures', async (t) => {
  ensureBuilt();
  const { waitFor } = await terminal(t, ['serve', '--port', '0'], 10);
  const first = await waitFor(/listening on (ws:\/\/127\.0\.0\.1:\d+\/)/);
  const url = /listening on (ws:\/\/127\.0\.0\.1:\d+\/)/.exec(first)![1]!;
  await waitFor(/0 open \(0 total\) · in 0 msg\/s 0 B\/s · out 0 msg\/s 0 B\/s/);
  const client = new WS(url);
  client.on('error', () => {});
  t.teardown(() => client.terminate());
  await within(once(client, 'open'), PATIENCE);
  // Keep some traffic going while the line refreshes.
  const traffic = setInterval(() => client.send('tick'), 20);
  t.teardown(() => clearInterval(traffic));
  const live = await waitFor(/1 open \(1 total\) · in [1-9]\d* msg\/s [\d.]+ (B|KiB)\/s · out [1-9]\d* msg\/s/);
  clearInterval(traffic);
  t.notRegex(live, /open \(1 total\)[\s\S]*open \(1 total\)/, 'one line, redrawn in place');
});
