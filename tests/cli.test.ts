/**
 * The command-line echo server, run as `npm start` runs it: `node dist/cli.js`
 * (no subcommand: `serve`, with the options it always had).
 * (`npm test` builds dist/ first; a missing build is made here.)
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import WS from 'ws';
import { within, PATIENCE } from './helpers/loopback.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli.js`;

test.before(() => {
  if (!existsSync(cli)) execFileSync(process.execPath, [`${root}scripts/build.mjs`], { stdio: 'inherit' });
});

/** Start the CLI; resolve with the URL it prints. Killed on teardown. */
async function start(t: ExecutionContext, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  t.teardown(() => void child.kill('SIGKILL'));
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => t.log(chunk.toString()));
  const url = await within(
    new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /ws:\/\/[^\s]+/.exec(output);
        if (match) resolve(match[0]);
      });
      child.once('exit', (code) => reject(new Error(`cli exited with ${code}: ${output}`)));
    }),
    10_000,
    'the cli printing its URL',
  );
  return { child, url };
}

async function echo(url: string, message: string): Promise<string> {
  const socket = new WS(url);
  socket.on('error', () => {});
  try {
    await within(once(socket, 'open'), PATIENCE, 'ws open');
    const reply = once(socket, 'message');
    socket.send(message);
    const [data] = (await within(reply, PATIENCE, 'echo')) as [Buffer];
    const closed = once(socket, 'close');
    socket.close(1000);
    await within(closed, PATIENCE, 'close');
    return data.toString();
  } finally {
    socket.terminate();
  }
}

for (const shape of ['hooks', 'loop', 'observable']) {
  test(`the cli with --shape ${shape} and --port 0 prints its real URL and echoes`, async (t) => {
    const { child, url } = await start(t, ['--port', '0', '--shape', shape]);
    t.regex(url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
    t.not(url, 'ws://127.0.0.1:0/', 'the port actually bound is printed');
    t.is(await echo(url, `hello ${shape}`), `hello ${shape}`);
    // A plain HTTP request on / gets the demo page.
    const response = await fetch(url.replace('ws:', 'http:'));
    t.is(response.status, 200);
    t.regex(await response.text(), /<title>ws4ts demo<\/title>/);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await within(exited, PATIENCE, 'the cli stopping on SIGTERM')) as [number];
    t.is(code, 0);
  });
}

test('the cli stops on SIGTERM even with a connection open', async (t) => {
  const { child, url } = await start(t, ['--port', '0']);
  const socket = new WS(url);
  socket.on('error', () => {});
  t.teardown(() => socket.terminate());
  await within(once(socket, 'open'), PATIENCE);
  const closed = once(socket, 'close');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await within(exited, PATIENCE, 'the cli stopping')) as [number];
  t.is(code, 0);
  const [closeCode] = (await within(closed, PATIENCE)) as [number];
  t.is(closeCode, 1001);
});

test('the cli takes PORT and HOST from the environment', async (t) => {
  const { url } = await start(t, [], { PORT: '0', HOST: '127.0.0.1' });
  t.regex(url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
  t.is(await echo(url, 'env'), 'env');
});

test('the cli refuses an unknown --shape with exit code 2', async (t) => {
  const child = spawn(process.execPath, [cli, '--port', '0', '--shape', 'nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await within(once(child, 'exit'), 10_000)) as [number];
  t.is(code, 2);
  t.regex(stderr, /unknown --shape nope/);
});
