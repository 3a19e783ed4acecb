/**
 * The benchmark harness's wiring to its peers (not their speed): the Bun
 * echo server starts under the Bun binary, answers its HTTP control channel
 * the way the IPC servers do, and echoes over a real WebSocket; the capacity
 * targets list Bun and both ws4ts servers.
 */
import test from 'ava';
import { once } from 'node:events';
import WebSocket from 'ws';
import { bunBinary, startChild } from '../../bench/lib/procs.js';
import { capacityTargets } from '../../bench/capacity.js';
import type { ServerStats } from '../../bench/servers/control.js';

const bun = bunBinary();

test('capacity targets: both ws4ts servers, ws twice, Bun where installed, and both baselines', (t) => {
  t.deepEqual(
    capacityTargets('/opt/bun').map((target) => target.name),
    ['ws4ts', 'ws4ts-serve', 'ws-js', 'ws-native', 'bun', 'http-upgrade', 'raw-tcp'],
  );
  t.is(capacityTargets('/opt/bun').find((target) => target.name === 'bun')?.runtime, '/opt/bun');
  t.false(capacityTargets(undefined).some((target) => target.name === 'bun'));
});

// The binary is a dev dependency; where it cannot install, the harness skips Bun and so does this test.
(bun === undefined ? test.skip : test)('the Bun peer starts, answers control commands over HTTP and echoes', async (t) => {
  const server = await startChild({ name: 'bun', script: 'bench/servers/bun-echo.ts', runtime: bun! });
  try {
    t.true(server.port > 0);
    t.is(await server.ipc.request<number>('connections'), 0);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`);
    await once(ws, 'open');
    ws.send(Buffer.from('ping-pong'));
    const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    t.is(data.toString(), 'ping-pong');
    t.true(isBinary);
    t.is(await server.ipc.request<number>('connections'), 1);
    const stats = await server.ipc.request<ServerStats>('stats');
    t.true(stats.rss > 0 && stats.gc);
    t.is(stats.connections, 1);
    await t.throwsAsync(server.ipc.request('nonsense'), { message: /unknown command/ });
    ws.close();
    await once(ws, 'close');
  } finally {
    await server.stop();
  }
});
