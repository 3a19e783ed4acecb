import test from 'ava';
import { constants, createDeflateRaw, createInflateRaw, deflateRawSync } from 'node:zlib';
import { History, Lane, StreamRunner } from '../../src/extensions/zlib-stream.js';
import { ZlibPool } from '../../src/extensions/zlib-pool.js';
import type { PoolTask } from '../../src/extensions/zlib-pool.js';

test('History keeps the last `size` bytes across appends of any length', (t) => {
  const history = new History(8);
  t.is(history.view(), undefined);
  history.append(new Uint8Array(0));
  t.is(history.view(), undefined);
  let expected: number[] = [];
  let next = 0;
  for (const length of [3, 4, 1, 5, 0, 9, 2, 8, 7]) {
    const data = Uint8Array.from({ length }, () => next++ & 0xff);
    history.append(data);
    expected = [...expected, ...data].slice(-8);
    t.deepEqual([...(history.view() ?? [])], expected);
  }
});

test('a Lane runs its tasks one at a time, in order, and cancel() frees the slot', (t) => {
  const pool = new ZlibPool({ concurrency: 4 });
  const lane = new Lane(pool);
  const log: string[] = [];
  const dones: (() => void)[] = [];
  const task = (name: string): PoolTask => (done) => {
    log.push(name);
    dones.push(done);
  };
  t.true(lane.idle);
  lane.push(task('a'));
  lane.push(task('b'));
  lane.push(task('c'));
  t.false(lane.idle);
  t.deepEqual(log, ['a']);
  t.is(pool.active, 1);
  dones[0]!();
  dones[0]!(); // a second call is ignored
  t.deepEqual(log, ['a', 'b']);
  lane.cancel();
  t.true(lane.idle);
  t.is(pool.active, 0);
  dones[1]!(); // the cancelled task finishing late changes nothing
  t.deepEqual(log, ['a', 'b']);
  t.is(pool.active, 0);
});

test('a StreamRunner returns each run\'s output and keeps the stream for the next', async (t) => {
  const runner = new StreamRunner(createDeflateRaw());
  const inflate = createInflateRaw();
  const out: Buffer[] = [];
  inflate.on('data', (chunk: Buffer) => out.push(chunk));
  for (const text of ['first message', 'second message', 'first message']) {
    const bytes = await new Promise<Buffer>((resolve, reject) => runner.run([Buffer.from(text)], Infinity, (error, output) => (error ? reject(error) : resolve(output))));
    t.deepEqual([...bytes.subarray(-4)], [0, 0, 0xff, 0xff]);
    inflate.write(bytes);
  }
  await new Promise<void>((resolve) => inflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  t.is(Buffer.concat(out).toString(), 'first messagesecond messagefirst message');
  runner.destroy();
  inflate.destroy();
});

test('a StreamRunner stops at its output limit with a 1009 error and survives late zlib errors', async (t) => {
  const runner = new StreamRunner(createInflateRaw({ chunkSize: 1024 }));
  const input = deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: constants.Z_SYNC_FLUSH });
  let calls = 0;
  const error = await new Promise<Error | undefined>((resolve) =>
    runner.run([input, Buffer.from([0xff, 0xff])], 10_000, (e) => {
      calls++;
      resolve(e);
    }),
  );
  t.is((error as { closeCode?: number } | undefined)?.closeCode, 1009);
  // zlib reports the garbage after the limit later: that must neither throw
  // nor call back a second time.
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.is(calls, 1);
});

test('a StreamRunner reports invalid data as an error', async (t) => {
  const runner = new StreamRunner(createInflateRaw());
  const error = await new Promise<Error | undefined>((resolve) => runner.run([Buffer.from([0xff, 0xff, 0xff])], Infinity, (e) => resolve(e)));
  t.truthy(error);
  runner.destroy();
});
