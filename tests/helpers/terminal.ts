/**
 * The built `ws4ts` binary on a real terminal: it runs inside tmux (a real
 * pseudo-terminal) on a private tmux socket; keys go in with `send-keys`,
 * the screen comes back with `capture-pane`.
 *
 * @module
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { cli } from './cli.js';
import { delay } from './loopback.js';

const exec = promisify(execFile);

/** Whether tmux is installed (CI installs it; elsewhere terminal tests skip without it). */
export const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

/** A `ws4ts` command running on its own terminal. */
export interface Terminal {
  keys(...keys: string[]): Promise<void>;
  screen(): Promise<string>;
  /** The screen once it matches `pattern` (polled every 100 ms); throws with the last screen after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<string>;
  /** Whether the command is still running. */
  alive(): Promise<boolean>;
}

let sessions = 0;

/**
 * Start `ws4ts ARGS` in a detached tmux session of its own (own server
 * socket), 160 columns by `rows`, killed on teardown. When the command
 * exits, `[exit N]` is printed and the pane stays for the test to read.
 */
export async function terminal(t: ExecutionContext, args: readonly string[], rows = 40): Promise<Terminal> {
  const socket = `ws4ts-test-${process.pid}-${++sessions}`;
  const tmux = (...rest: string[]) => exec('tmux', ['-L', socket, ...rest], { timeout: 10_000 });
  const command = [process.execPath, cli, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  await tmux('-f', '/dev/null', 'new-session', '-d', '-x', '160', '-y', String(rows), '-s', 'main', `${command}; echo "[exit $?]"; sleep 30`);
  t.teardown(async () => {
    await tmux('kill-server').catch(() => {});
  });
  const screen = async (): Promise<string> => (await tmux('capture-pane', '-p', '-t', 'main')).stdout;
  return {
    keys: async (...keys) => {
      await tmux('send-keys', '-t', 'main', ...keys);
    },
    screen,
    waitFor: async (pattern, ms = 15_000) => {
      const deadline = Date.now() + ms;
      let last = '';
      while (Date.now() < deadline) {
        last = await screen();
        if (pattern.test(last)) return last;
        await delay(100);
      }
      throw new Error(`screen never matched ${pattern}:\n${last}`);
    },
    alive: async () => !/\[exit \d+\]/.test(await screen()),
  };
}
