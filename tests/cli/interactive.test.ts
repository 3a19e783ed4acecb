/**
 * `ws4ts connect` on a real terminal (src/cli/interactive.ts): the client
 * runs inside tmux (a real pseudo-terminal) on a private tmux socket; keys
 * go in with `send-keys`, the screen comes back with `capture-pane`. The
 * peer is the `ws` library's server.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as WS } from 'ws';
import { ensureBuilt } from '../helpers/cli.js';
import { hasTmux, terminal } from '../helpers/terminal.js';
import { delay } from '../helpers/loopback.js';

// CI installs tmux; elsewhere the test is skipped when it is missing.
const run = hasTmux || process.env.CI ? test.serial : test.serial.skip;

test.before(() => ensureBuilt());

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
  const term = await terminal(t, ['connect', '-s', 'chat', server.url]);
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
  const term = await terminal(t, ['connect', server.url]);
  await term.waitFor(/\/help for commands/);
  await term.keys('C-d');
  const last = await term.waitFor(/\[exit \d+\]/);
  t.regex(last, /\[exit 0\]/);
  t.deepEqual(server.closes, [{ code: 1000, reason: '' }]);

  const other = await terminal(t, ['connect', server.url]);
  await other.waitFor(/\/help for commands/);
  server.sockets.at(-1)!.close(1001, 'restarting');
  const screen = await other.waitFor(/\[exit \d+\]/);
  t.regex(screen, /\* closed with 1001 "restarting"/);
  t.regex(screen, /\[exit 0\]/);
});

run('interactive: Ctrl-C closes cleanly too', async (t) => {
  const server = await peer(t);
  const term = await terminal(t, ['connect', server.url]);
  await term.waitFor(/\/help for commands/);
  await term.keys('-l', 'half a line');
  await term.keys('C-c');
  const last = await term.waitFor(/\[exit \d+\]/);
  t.regex(last, /\[exit 0\]/);
  t.deepEqual(server.received, [], 'the unfinished line was not sent');
  t.deepEqual(server.closes, [{ code: 1000, reason: '' }]);
});
