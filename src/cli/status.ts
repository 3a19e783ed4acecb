/**
 * What `serve` prints while it runs: on a terminal, one status line redrawn
 * every second (connections, messages and bytes per second each way); when
 * stdout is a file or a pipe, one plain line per connection opened and closed.
 *
 * @module
 */
import type { CountersSnapshot, WebSocketManager } from '../index.js';

/** `1.2 KiB` style, for the status line. */
export function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** The status line for two snapshots a moment apart. */
export function statusLine(now: CountersSnapshot, before: CountersSnapshot): string {
  const seconds = Math.max((now.at - before.at) / 1000, 0.001);
  const rate = (a: number, b: number): number => (a - b) / seconds;
  return (
    `${now.active} open (${now.total} total) · ` +
    `in ${Math.round(rate(now.messagesIn, before.messagesIn))} msg/s ${bytes(rate(now.bytesIn, before.bytesIn))}/s · ` +
    `out ${Math.round(rate(now.messagesOut, before.messagesOut))} msg/s ${bytes(rate(now.bytesOut, before.bytesOut))}/s`
  );
}

/** Start reporting; returns the function that stops it. */
export function startStatus(manager: WebSocketManager, options: { quiet: boolean }): () => void {
  if (process.stdout.isTTY) {
    let before = manager.stats();
    const timer = setInterval(() => {
      const now = manager.stats();
      process.stdout.write(`\r\x1b[2K${statusLine(now, before)}`);
      before = now;
    }, 1000);
    timer.unref();
    return () => {
      clearInterval(timer);
      process.stdout.write('\r\x1b[2K');
    };
  }
  if (options.quiet) return () => {};
  const subscription = manager.connections$.subscribe((ws) => {
    const who = `${ws.remoteAddress ?? '?'} ${ws.request?.url ?? ''}`;
    console.log(`open  ${who}${ws.extensions ? ` (${ws.extensions})` : ''}`);
    void ws.finished.then((outcome) => {
      const c = ws.counters;
      const seconds = ((Date.now() - c.openedAt) / 1000).toFixed(1);
      console.log(`close ${who} ${outcome.code}${outcome.reason ? ` ${JSON.stringify(outcome.reason)}` : ''} after ${seconds} s, ${c.messagesIn} in / ${c.messagesOut} out`);
    });
  });
  return () => subscription.unsubscribe();
}
