/**
 * Bounded memory against greedy peers, measured on the `npm start` echo
 * (issue 10): each server runs in its own child process and its resident
 * memory is read from /proc. The peers are raw node:net sockets here.
 */
import test from 'ava';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { upgradeBytes } from '../helpers/crowd.js';
import { delay, frame, within } from '../helpers/loopback.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MiB = 1024 * 1024;
const BUDGET = 64 * MiB;

function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function startEcho(t: import('ava').ExecutionContext, shape: string): Promise<{ child: ChildProcessWithoutNullStreams; port: number }> {
  const child = spawn(process.execPath, ['scripts/start.mjs', '--port', '0', '--shape', shape, '--no-deflate'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  const port = await within(
    new Promise<number>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on ws:\/\/[^:]+:(\d+)\//.exec(output);
        if (match) resolve(Number(match[1]));
      });
    }),
    30_000,
    `npm start --shape ${shape}`,
  );
  return { child, port };
}

/** A raw client past the opening handshake. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', reject);
    socket.write(upgradeBytes());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!head.subarray(0, 12).toString().includes('101')) return reject(new Error(head.toString()));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

for (const shape of ['hooks', 'loop', 'observable']) {
  test(`npm start --shape ${shape}: a peer sending 64 KiB messages for 30 s without reading grows RSS by less than 64 MiB`, async (t) => {
    t.timeout(120_000);
    const { child, port } = await startEcho(t, shape);
    const peer = await open(port);
    t.teardown(() => peer.destroy());
    peer.pause(); // never reads the echo
    peer.on('error', () => {});
    await delay(500);
    const before = rss(child.pid!);
    const message = frame(2, new Uint8Array(64 * 1024).fill(7), { mask: true });
    let sent = 0;
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      if (!peer.write(message)) await Promise.race([new Promise((resolve) => peer.once('drain', resolve)), delay(250)]);
      sent++;
    }
    const after = rss(child.pid!);
    t.log(`${shape}: ${sent} messages offered (${Math.round((sent * 64) / 1024)} MiB); server RSS ${(before / MiB).toFixed(1)} → ${(after / MiB).toFixed(1)} MiB`);
    t.true(after - before < BUDGET, `RSS grew by ${((after - before) / MiB).toFixed(1)} MiB`);
    t.is(child.exitCode, null, 'the server is alive');
  });
}

// RSS measures what the process holds from the system, and the allocator
// keeps freed buffers for reuse, so one round shows its peak, not a leak.
// Repeated identical rounds show the difference: a process that keeps nothing
// levels off, one that leaks grows with every round.
const ROUNDS = 6;
const ROUND_BUDGET = 160 * MiB;
test('npm start: 200 connections echoing 256 KiB messages, half dropped mid-frame, six rounds: RSS levels off instead of growing with each round', async (t) => {
  t.timeout(120_000);
  const { child, port } = await startEcho(t, 'hooks');
  const warm = await open(port);
  warm.destroy();
  await delay(500);
  const payload = new Uint8Array(256 * 1024).fill(3);
  const message = frame(2, payload, { mask: true });
  const expected = 10 + payload.length; // unmasked echo: 10-byte header
  const round = async (): Promise<void> => {
    const sockets: Socket[] = [];
    for (let i = 0; i < 200; i += 20) {
      sockets.push(...(await Promise.all(Array.from({ length: 20 }, () => open(port)))));
    }
    t.teardown(() => sockets.forEach((s) => s.destroy()));
    // Echo in waves of 20, so the figure shows what stays behind, not the peak of 200 messages in flight at once.
    const echo = (batch: Socket[]) =>
      Promise.all(
        batch.map(
          (socket) =>
            new Promise<void>((resolve) => {
              let got = 0;
              socket.on('data', (chunk: Buffer) => {
                got += chunk.length;
                if (got >= expected) resolve();
              });
              socket.on('error', () => resolve());
              socket.write(message);
            }),
        ),
      );
    for (let i = 0; i < sockets.length; i += 20) await echo(sockets.slice(i, i + 20));
    // Half of them drop in the middle of their next frame.
    sockets.forEach((socket, i) => {
      if (i % 2 === 0) {
        socket.write(message.subarray(0, message.length >> 1));
        setTimeout(() => socket.destroy(), 20);
      }
    });
    await delay(1000);
    // The other half leave with a close frame.
    const close = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
    sockets.forEach((socket, i) => {
      if (i % 2 === 1) socket.end(close);
    });
    await delay(2000);
  };
  const before = rss(child.pid!);
  const figures: string[] = [];
  for (let n = 1; n <= ROUNDS; n++) {
    await round();
    figures.push((rss(child.pid!) / MiB).toFixed(0));
  }
  const after = rss(child.pid!);
  t.log(`server RSS ${(before / MiB).toFixed(1)} MiB, then after each round: ${figures.join(', ')} MiB`);
  // Measured plateaus: about 50 MiB above the start on Node 20, 100-125 MiB on
  // Node 24. Keeping each dropped connection's half frame alone would add
  // 6 × 100 × 256 KiB = 150 MiB; keeping the echoed messages, 300 MiB more.
  t.true(after - before < ROUND_BUDGET, `${ROUNDS} rounds left RSS ${((after - before) / MiB).toFixed(1)} MiB above the start`);
  t.is(child.exitCode, null);
});
