/**
 * Interop with Python peers, both ways, with and without permessage-deflate
 * (RFC 7692): Python `websockets` and Autobahn|Python (asyncio), each as a
 * server for our client and as a client of our server.
 *
 * The peers are Debian's `python3-websockets` and `python3-autobahn`, run
 * with `/usr/bin/python3` (CI installs them). The Python side lives in
 * `tests/interop/python/*.py`; each listens on port 0 and prints its port,
 * reports what it saw line by line, and exits when its stdin closes, so a
 * teardown never leaves a process behind. A test is skipped, saying why in
 * its title, only when `/usr/bin/python3` lacks the module.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import type { Message } from '../../src/protocol/message.js';
import { client, serverWith, within, PATIENCE } from '../helpers/loopback.js';

const PYTHON = '/usr/bin/python3';
const HERE = fileURLToPath(new URL('./python/', import.meta.url));

interface Peer {
  readonly name: string;
  readonly script: string;
  readonly module: string;
  /** How the peer closes its side in the client script. */
  readonly leaves: string;
}

const PEERS: readonly Peer[] = [
  { name: 'Python websockets', script: 'websockets_peer.py', module: 'websockets', leaves: 'python leaves' },
  { name: 'Autobahn|Python', script: 'autobahn_peer.py', module: 'autobahn', leaves: 'autobahn leaves' },
];

function hasModule(module: string): boolean {
  return spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

/** A running Python peer: its stdout as lines, awaited one prefix at a time. */
class PythonPeer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  #stderr = '';
  #waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(t: ExecutionContext, script: string, args: string[]) {
    this.child = spawn(PYTHON, [HERE + script, ...args], { stdio: 'pipe' });
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
    let partial = '';
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    this.child.on('exit', () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
    t.teardown(async () => {
      this.child.stdin.end(); // the peer exits when its stdin closes
      const timer = setTimeout(() => this.child.kill(), 3000);
      if (this.child.exitCode === null && this.child.signalCode === null) await this.exited;
      clearTimeout(timer);
    });
  }

  /** The words after `prefix` on the first line that starts with it (waits for it). */
  async line(prefix: string, ms = PATIENCE): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.find((line) => line.startsWith(prefix + ' '));
      if (found !== undefined) return found.slice(prefix.length + 1);
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no "${prefix}" line from ${this.child.spawnfile}: ${JSON.stringify(this.lines)} ${this.#stderr}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  get stderr(): string {
    return this.#stderr;
  }
}

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + 3) & 0xff;
  return out;
}

const MESSAGES: readonly [string, string | Uint8Array][] = [
  ['text', 'hello from ws4ts'],
  ['unicode text', 'ünïcödé ✓ 🎉'],
  ['empty text', ''],
  ['empty binary', new Uint8Array(0)],
  ['binary', pattern(1000)],
  ['1 MiB binary', pattern(1 << 20)],
];

function same(t: ExecutionContext, got: Message, sent: string | Uint8Array, what: string): void {
  if (typeof sent === 'string') {
    t.is(got.type, 'text', what);
    t.is(got.data, sent, what);
  } else {
    t.is(got.type, 'binary', what);
    t.true(got.data instanceof Uint8Array && Buffer.from(got.data).equals(Buffer.from(sent)), what);
  }
}

for (const peer of PEERS) {
  const available = hasModule(peer.module);
  const skipped = available ? '' : ` (skipped: ${PYTHON} lacks the ${peer.module} module)`;
  const run = available ? test.serial : test.skip;

  for (const deflate of [true, false]) {
    const mode = deflate ? 'with permessage-deflate' : 'without compression';
    const args = deflate ? [] : ['--no-deflate'];

    run(`ws4ts client ↔ ${peer.name} server, ${mode}: messages of every kind round-trip, pings are answered, close codes and reasons go both ways${skipped}`, async (t) => {
      const server = new PythonPeer(t, peer.script, ['server', ...args]);
      const url = `ws://127.0.0.1:${await server.line('PORT')}/`;

      const ws = await client(t, url, { deflate });
      t.is(ws.extensions.includes('permessage-deflate'), deflate, `negotiated: "${ws.extensions}"`);
      for (const [what, data] of MESSAGES) {
        ws.send(data);
        same(t, await within(ws.receive(), PATIENCE, what), data, what);
      }
      t.true((await within(ws.ping('ws4ts ping'), PATIENCE, 'pong')) >= 0);
      t.deepEqual(await within(ws.close(4000, 'ws4ts leaves'), PATIENCE, 'close'), { code: 4000, reason: 'ws4ts leaves', wasClean: true });
      t.is(await server.line('CLOSED'), '4000 ws4ts leaves');

      // The peer closes first: its code and reason reach us.
      const second = await client(t, url, { deflate });
      second.send('close 4002 python closes');
      t.deepEqual(await within(second.finished, PATIENCE, 'finished'), { code: 4002, reason: 'python closes', wasClean: true });
    });

    run(`${peer.name} client → ws4ts server, ${mode}: messages of every kind round-trip, pings are answered, the peer's close code and reason arrive${skipped}`, async (t) => {
      const { url, accepted } = await serverWith(t, { handler: EchoWebSocket, deflate });
      const python = new PythonPeer(t, peer.script, ['client', url, ...args]);
      const ws: WebSocket = await within(accepted.next(), PATIENCE, 'accept');
      t.is(ws.extensions.includes('permessage-deflate'), deflate, `negotiated: "${ws.extensions}"`);
      const code = await within(python.exited, 60_000, 'python client');
      t.is(code, 0, `${python.lines.join('\n')}\n${python.stderr}`);
      for (const check of ['text', 'unicode', 'empty-text', 'empty-binary', 'binary', '1MiB', 'ping']) {
        t.true(python.lines.includes(`OK ${check}`), check);
      }
      t.is((await python.line('EXTENSIONS')).includes('permessage-deflate'), deflate);
      t.deepEqual(await within(ws.finished, PATIENCE, 'finished'), { code: 4001, reason: peer.leaves, wasClean: true });
    });
  }
}
