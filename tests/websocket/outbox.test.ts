import test from 'ava';
import { Connection } from '../../src/protocol/connection.js';
import { Outbox, overCap, writeLowWaterMark, type OutboxHost } from '../../src/websocket/outbox.js';

function outbox() {
  const connection = new Connection({ role: 'server' });
  const written: Uint8Array[] = [];
  const reported: unknown[] = [];
  const failed: unknown[] = [];
  let buffered = 0;
  const host: OutboxHost = {
    connection,
    flushNow: () => void written.push(...connection.bytesToSend()),
    scheduleFlush: () => void written.push(...connection.bytesToSend()),
    bufferedAmount: () => buffered,
    writeHighWaterMark: 100,
    sourceFailed: (e) => {
      failed.push(e);
      connection.close(1011, 'internal error');
    },
    report: (e) => void reported.push(e),
  };
  const box = new Outbox(host);
  return { box, connection, written, reported, failed, setBuffered: (n: number) => (buffered = n) };
}
const opcodes = (frames: Uint8Array[]) => frames.map((f) => [f[0]! & 0x0f, (f[0]! & 0x80) !== 0]);

test('the cap counts the backlog beyond its largest message: one send of any size always goes', (t) => {
  const cap = 16;
  t.false(overCap(0, 0, cap), 'an empty backlog never trips');
  t.false(overCap(64, 64, cap), 'a 64-byte message in flight plus nothing');
  t.false(overCap(80, 64, cap), 'the largest message plus up to the cap');
  t.true(overCap(81, 64, cap));
  t.false(overCap(1e12, 0, null), 'null: unbounded');
  t.is(writeLowWaterMark(1024), 256);
});

test('a stream is sent as fragments; messages sent meanwhile wait their turn', async (t) => {
  const { box, connection, written } = outbox();
  const done = box.sendStream(['a', 'b', 'c']);
  t.true(box.streaming);
  box.enqueue('after');
  t.true(await done);
  t.false(box.streaming);
  connection.bytesToSend().forEach((b) => written.push(b));
  t.deepEqual(opcodes(written.filter((b) => b.length > 0 && (b[0]! & 0x70) === 0)), [
    [1, false],
    [0, false],
    [0, true],
    [1, true],
  ]);
});

test('a source that throws resolves false, is reported once, and never rejects', async (t) => {
  const { box, failed } = outbox();
  async function* broken(): AsyncGenerator<string> {
    yield 'a';
    throw new Error('producer failed');
  }
  t.false(await box.sendStream(broken()));
  t.is((failed[0] as Error).message, 'producer failed');
});

test('a close cuts the stream off: it resolves false and what queued behind it is reported', async (t) => {
  const { box, connection, reported } = outbox();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  async function* slow(): AsyncGenerator<string> {
    yield 'a';
    await gate;
    yield 'b';
  }
  const streaming = box.sendStream(slow());
  box.enqueue('queued 1');
  const second = box.sendStream(['x']);
  connection.close(1000);
  box.close();
  release();
  t.false(await streaming);
  t.false(await second);
  t.is(reported.length, 1);
  t.regex((reported[0] as Error).message, /2 messages queued behind a streamed send not sent/);
});

test('drain waiters wake once at or below the high-water mark, or at close', async (t) => {
  const { box, setBuffered } = outbox();
  setBuffered(500);
  let woke = 0;
  void box.waitDrain().then(() => woke++);
  box.drained();
  await Promise.resolve();
  t.is(woke, 0);
  setBuffered(100);
  box.drained();
  await Promise.resolve();
  t.is(woke, 1);
  setBuffered(500);
  let closedWake = false;
  const again = box.waitDrain().then(() => (closedWake = true));
  box.close();
  await again;
  t.true(closedWake, 'resolved by close');
});
