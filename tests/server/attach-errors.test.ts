/**
 * attach(): a failing user callback fails its own request with a 500 and is
 * reported on stderr, never the process (this code runs inside node:http's
 * 'upgrade' event, where a throw would be an uncaught exception).
 */
import test from 'ava';
import { rawHttp, upgradeRequest, wsServer, client } from '../helpers/loopback.js';
import type { Route } from '../../src/index.js';

/** Collect what console.error prints while `run` runs. */
async function capturingStderr<T>(run: () => Promise<T>): Promise<{ result: T; logged: string }> {
  const original = console.error;
  const lines: string[] = [];
  console.error = (...args: unknown[]) => lines.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  try {
    return { result: await run(), logged: lines.join('\n') };
  } finally {
    console.error = original;
  }
}

test.serial('a routes function that throws answers 500, is reported, and the server keeps serving', async (t) => {
  const { port, url } = await wsServer(t, (request) => {
    if (request.url === '/boom') throw new Error('routing exploded');
    return async (ws) => ws.send('ok');
  });
  const { result, logged } = await capturingStderr(() => rawHttp(t, port, upgradeRequest('/boom').text));
  t.is(result.status, 500);
  t.regex(logged, /the routes function threw: routing exploded/);
  const ws = await client(t, `${url}/fine`);
  t.like(await ws.receive(), { type: 'text', data: 'ok' });
});

test.serial('route options from a routes function that fail their check answer 500 with the reason on stderr', async (t) => {
  const { port } = await wsServer(t, () => ({ handler: async () => {}, maxPayload: -1 }) as Route);
  const { result, logged } = await capturingStderr(() => rawHttp(t, port, upgradeRequest('/').text));
  t.is(result.status, 500);
  t.regex(logged, /upgradeHandler\(\): options\.maxPayload must be an integer number of bytes >= 1, got -1/);
});

test.serial('a verify hook that throws answers 500 and the error is reported, not swallowed', async (t) => {
  const { port } = await wsServer(t, { '/': async () => {} }, {
    verify: () => {
      throw new Error('database down');
    },
  });
  const { result, logged } = await capturingStderr(() => rawHttp(t, port, upgradeRequest('/').text));
  t.is(result.status, 500);
  t.regex(logged, /verify threw: database down/);
});
