/**
 * The self-contained WHATWG-face examples run with plain `node` against the
 * built package and exit 0 with the expected output.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

test('examples/whatwg-client.mjs echoes text and bytes and closes cleanly', async (t) => {
  const { stdout } = await run(process.execPath, ['examples/whatwg-client.mjs'], { cwd: root, timeout: 30_000 });
  t.regex(stdout, /message hello/);
  t.regex(stdout, /message Uint8Array\(3\) \[ 1, 2, 3 \]/);
  t.regex(stdout, /close 1000 done true/);
});

test('examples/reconnect.mjs reconnects after the server drops the first connection', async (t) => {
  const { stdout } = await run(process.execPath, ['examples/reconnect.mjs'], { cwd: root, timeout: 30_000 });
  t.deepEqual(stdout.trim().split('\n'), ['you are connection 1', 'you are connection 2']);
});

test('examples/websocket-stream.mjs reads, writes and closes through streams on both sides', async (t) => {
  const { stdout } = await run(process.execPath, ['examples/websocket-stream.mjs'], { cwd: root, timeout: 30_000 });
  t.deepEqual(stdout.trim().split('\n'), ['read HELLO', 'read Uint8Array(3) [ 1, 2, 3 ]', 'closed 1000 done']);
});
