/**
 * `ws4ts connect` on a real terminal (src/cli/interactive.ts): the client
 * runs inside tmux (a real pseudo-terminal) on a private tmux socket; keys
 * go in with `send-keys`, the screen comes back with `capture-pane`. The
 * peer is the `ws` library's server.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { WebSocketServer, type WebSocket as WS } from 'ws';
import { cli, ensureBuilt } from '../helpers/cli.js';
import { delay } from '../helpers/loopback.js';

const exec = promisify(execFile);
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();
// CI installs tmux; elsewhere the test is skipped when it is missing.
const run = hasTmux || process.env.CI ? test.serial : test.serial.skip;

test.before(() => ensureBuilt());

interface Terminal {
  keys(...keys: string[]): Promise<void>;
  screen(): Promise<string>;
  waitFor(pattern: RegExp, ms?: number): Promise<string>;
  alive(): Promise<boolean>;
}

let sessions = 0;

/** Start `ws4ts connect ARGS` in a detached tmux session of its own (own server socket), killed on teardown. */
async function terminal(t: ExecutionContext, args: string[]): Promise<Terminal> {
  const socket = `ws4ts-test-${process.pid}-${++sessions}`;
  const tmux = (...rest: string[]) => exec('tmux', ['-L', socket, ...rest], { timeout: 10_000 });
  const command = [process.execPath, cli, 'connect', ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  // `remain-on-exit` keeps the last screen readable after the client exits.
  await tmux('-f', '/dev/null', 'new-session', '-d', '-x', '160', '-y', '40', '-s', 'main', `${command}; echo "[exit $?]"; sleep 30`);
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

async function peer(t: ExecutionContext): Promise<{ url: string; received: string[]; closes: { code: number; reason: string }[]; sockets: WS[] }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => [...protocols][0] ?? false });
  await once(server, 'listening');
  t.teardown(() => {
    for (const client of server.clients) client.terminate();
    server.close();
  });
  const received: string[] = [];
  const closes: { code: number; reason: string }[] = [];
  const sockets: WS[] = [];
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data, isBinary) => {
      received.push(isBinary ? `binary:${(data as Buffer).toString('hex')}` : data.toString());
      socket.send(isBinary ? data : `echo: ${data.toString()}`, { binary: isBinary });
    });
    socket.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, received, closes, sockets };
}

run('interactive: typed lines are sent, replies shown, history recalls, /ping, /binary, /close CODE REASON', async (t) => {
  const server = await peer(t);
  const term = await terminal(t, ['-s', 'chat', server.url]);
  await term.waitFor(/connected to ws:\/\/127\.0\.0\.1:\d+\/ \(subprotocol chat\); \/help for commands/);
  await term.keys('-l', 'hello there');
  await term.keys('Enter');
  await term.waitFor(/< echo: hello there/);
  // Up arrow: the last line comes back from history; send it again.
  await term.keys('Up');
  await term.waitFor(/> hello there\s*$/m);
  await term.keys('Enter');
  await term.waitFor(/< echo: hello there[\s\S]*< echo: hello there/);
  t.deepEqual(server.received, ['hello there', 'hello there']);

  await term.keys('-l', '/ping');
  await term.keys('Enter');
  await term.waitFor(/\* pong after \d+\.\d\d ms/);

  await term.keys('-l', '/binary 00ff');
  await term.keys('Enter');
  await term.waitFor(/< 00ff/);
  t.is(server.received.at(-1), 'binary:00ff');

  await term.keys('-l', '//slash');
  await term.keys('Enter');
  await term.waitFor(/< echo: \/slash/);

  await term.keys('-l', '/nope');
  await term.keys('Enter');
  await term.waitFor(/! unknown command \/nope/);

  await term.keys('-l', '/close 4000 all done');
  await term.keys('Enter');
  const last = await term.waitFor(/\[exit \d+\]/);
  t.deepEqual(server.closes, [{ code: 4000, reason: 'all done' }]);
  t.regex(last, /\* closed with 4000 "all done"/);
  t.regex(last, /\[exit 1\]/, 'a close with a code other than 1000/1001 is not a normal end');
});

run('interactive: Ctrl-D closes with 1000 and exits 0; a server close is shown and ends the session', async (t) => {
  const server = await peer(t);
  const term = await terminal(t, [server.url]);
  await term.waitFor(/\/help for commands/);
  await term.keys('C-d');
  const last = await term.waitFor(/\[exit \d+\]/);
  t.regex(last, /\[exit 0\]/);
  t.deepEqual(server.closes, [{ code: 1000, reason: '' }]);

  const other = await terminal(t, [server.url]);
  await other.waitFor(/\/help for commands/);
  server.sockets.at(-1)!.close(1001, 'restarting');
  const screen = await other.waitFor(/\[exit \d+\]/);
  t.regex(screen, /\* closed with 1001 "restarting"/);
  t.regex(screen, /\[exit 0\]/);
});

run('interactive: Ctrl-C closes cleanly too', async (t) => {
  const server = await peer(t);
  const term = await terminal(t, [server.url]);
  await term.waitFor(/\/help for commands/);
  await term.keys('-l', 'half a line');
  await term.keys('C-c');
  const last = await term.waitFor(/\[exit \d+\]/);
  t.regex(last, /\[exit 0\]/);
  t.deepEqual(server.received, [], 'the unfinished line was not sent');
  t.deepEqual(server.closes, [{ code: 1000, reason: '' }]);
});
