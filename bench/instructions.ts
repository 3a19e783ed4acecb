/**
 * CPU instructions per echoed message, counted by valgrind's callgrind:
 * a figure that, unlike messages per second, does not move with the load of
 * a shared machine.
 *
 *   node --import tsx bench/instructions.ts [--target ws4ts-hooks|ws-native|raw-tcp|…]
 *        [--size 32] [--connections 50] [--window 32] [--messages 20000,60000]
 *
 * The server runs under `valgrind --tool=callgrind`; a client in this
 * process (hand-written frames over node:net, bench/lib/ws-client.ts) opens
 * the connections, keeps `window` messages in flight on each until the
 * count is echoed, and closes. The server is run once per count; the
 * difference of the totals divided by the difference of the counts cancels
 * start-up and connection setup: what is left is the cost of one message
 * (read, parse, unmask, handler, encode, write), syscalls included up to
 * their entry.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { echoTargets } from './echo.js';
import { cleanTranspiled, ROOT, transpile } from './lib/procs.js';
import { FrameCounter, openMany, pongFrame } from './lib/ws-client.js';
import { makePayload, messageStream } from './lib/frames.js';
import { CELL_OPTIONS } from './lib/cell.js';

const { values } = parseArgs({
  options: {
    ...CELL_OPTIONS,
    messages: { type: 'string', default: '20000,60000' },
  },
});

/** Echo `total` messages over `connections` sockets with `window` in flight each. */
async function drive(port: number, size: number, connections: number, window: number, total: number): Promise<void> {
  const frame = messageStream(makePayload('binary', size, 3), 2, 1, 5);
  const upgraded = await openMany('127.0.0.1', port, connections, 50);
  let sent = 0;
  let echoed = 0;
  await new Promise<void>((resolve) => {
    for (const { socket, rest } of upgraded) {
      const counter = new FrameCounter((payload) => socket.write(pongFrame(payload)));
      const send = (k: number) => {
        const n = Math.min(k, total - sent);
        if (n <= 0) return;
        sent += n;
        socket.write(n === 1 ? frame : Buffer.concat(Array.from({ length: n }, () => frame)));
      };
      socket.on('data', (chunk: Buffer) => {
        const k = counter.push(chunk);
        echoed += k;
        if (echoed >= total) resolve();
        else send(k);
      });
      socket.on('error', () => {});
      if (rest.length > 0) echoed += counter.push(rest);
      send(window);
    }
  });
  for (const { socket } of upgraded) socket.destroy();
}

/** Run the server under callgrind for one count; returns its total instruction count. */
async function countInstructions(script: string, args: readonly string[], env: Record<string, string>, messages: number): Promise<number> {
  const out = join(ROOT, '.bench-tmp', `callgrind.${process.pid}.${messages}.out`);
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath, script, ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /listening[^\n]*:(\d+)/i.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  await drive(port, Number(values.size), Number(values.connections), Number(values.window), messages);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  const text = readFileSync(out, 'utf8');
  rmSync(out, { force: true });
  const total = /^(?:summary|totals):\s*(\d+)/m.exec(text)?.[1];
  if (total === undefined) throw new Error('no total in callgrind output');
  return Number(total);
}

await transpile();
try {
  const target = echoTargets(undefined).find((t) => t.name === values.target);
  if (target === undefined) throw new Error(`unknown target ${values.target}`);
  const counts = values.messages!.split(',').map(Number);
  const totals: number[] = [];
  for (const messages of counts) {
    totals.push(await countInstructions(target.script, [...(target.args ?? [])], { ...target.env }, messages));
    console.log(`${target.name}: ${messages} messages → ${totals.at(-1)!.toLocaleString('en')} instructions in total`);
  }
  const perMessage = (totals.at(-1)! - totals[0]!) / (counts.at(-1)! - counts[0]!);
  console.log(`${target.name} ${values.size} B × ${values.connections} conn × window ${values.window}: ${Math.round(perMessage)} instructions per message`);
} finally {
  cleanTranspiled();
}
