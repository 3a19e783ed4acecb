import test from 'ava';
import { ZlibPool, sharedZlibPool, type PoolTask } from '../../src/extensions/zlib-pool.js';
import { WebSocketError } from '../../src/protocol/errors.js';

test('the pool runs at most `concurrency` tasks at once, in submission order', (t) => {
  const pool = new ZlibPool({ concurrency: 2 });
  const started: number[] = [];
  const releases: (() => void)[] = [];
  for (let i = 0; i < 5; i++) {
    pool.run((release) => {
      started.push(i);
      releases.push(release);
    });
  }
  t.deepEqual(started, [0, 1]);
  t.is(pool.active, 2);
  t.is(pool.waiting, 3);
  releases[1]!();
  t.deepEqual(started, [0, 1, 2]);
  releases[0]!();
  releases[2]!();
  t.deepEqual(started, [0, 1, 2, 3, 4]);
  t.is(pool.waiting, 0);
  releases[3]!();
  releases[4]!();
  t.is(pool.active, 0);
});

test('releasing twice frees one slot only', (t) => {
  const pool = new ZlibPool({ concurrency: 1 });
  let release: (() => void) | undefined;
  pool.run((r) => (release = r));
  let second = false;
  let third = false;
  pool.run(() => (second = true));
  pool.run(() => (third = true));
  release!();
  release!();
  t.true(second);
  t.false(third);
  t.is(pool.active, 1);
});

test('a task that throws gives its slot back', (t) => {
  const pool = new ZlibPool({ concurrency: 1 });
  t.throws(() => pool.run(() => {
    throw new Error('boom');
  }), { message: 'boom' });
  t.is(pool.active, 0);
  let ran = false;
  pool.run((release) => {
    ran = true;
    release();
  });
  t.true(ran);
});

test('a queued task starts when the running one releases asynchronously', async (t) => {
  const pool = new ZlibPool({ concurrency: 1 });
  const order: string[] = [];
  const task = (name: string): PoolTask => (release) => {
    order.push(`start ${name}`);
    setTimeout(() => {
      order.push(`end ${name}`);
      release();
    }, 5);
  };
  pool.run(task('a'));
  pool.run(task('b'));
  // Wait for the events themselves, not a fixed time: CI machines are loaded.
  for (let waited = 0; order.length < 4 && waited < 5000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
  t.deepEqual(order, ['start a', 'end a', 'start b', 'end b']);
  t.is(pool.active, 0);
});

test('the concurrency must be a positive integer', (t) => {
  for (const concurrency of [0, -1, 1.5, Number.NaN]) {
    const error = t.throws(() => new ZlibPool({ concurrency }), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_INVALID_ARGUMENT');
  }
});

test('the shared pool is one object with concurrency 10, as in ws', (t) => {
  t.is(sharedZlibPool(), sharedZlibPool());
  t.is(sharedZlibPool().concurrency, 10);
});

test('the sweeper asks tracked items to release until they say they are done', async (t) => {
  const pool = new ZlibPool();
  let calls = 0;
  const item = {
    releaseIdle: () => ++calls >= 3,
  };
  pool.track(item, 20);
  t.is(pool.tracked, 1);
  await new Promise((resolve) => setTimeout(resolve, 120));
  t.is(calls, 3);
  t.is(pool.tracked, 0);
});

test('untracking the last item stops the sweeper', (t) => {
  const pool = new ZlibPool();
  let calls = 0;
  const item = { releaseIdle: () => (calls++, false) };
  pool.track(item, 1000);
  pool.track(item, 1000);
  t.is(pool.tracked, 1);
  pool.untrack(item);
  t.is(pool.tracked, 0);
  pool.sweep(0);
  t.is(calls, 0);
});

test('an infinite idle timeout is not tracked', (t) => {
  const pool = new ZlibPool();
  pool.track({ releaseIdle: () => true }, Infinity);
  t.is(pool.tracked, 0);
});
