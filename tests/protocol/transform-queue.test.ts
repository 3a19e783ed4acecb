import test from 'ava';
import { EventQueue, OutputQueue, decodeMessage, encodeMessage } from '../../src/protocol/transform-queue.js';
import type { EncodedMessage, Extension } from '../../src/protocol/extension.js';

interface Item {
  readonly n: number;
}

test('EventQueue: events come out in order, and an unfilled slot holds back everything behind it', (t) => {
  const queue = new EventQueue<Item>();
  queue.push({ n: 1 });
  const slot = queue.reserve();
  queue.push({ n: 3 });
  t.is(queue.size, 3);
  t.deepEqual(queue.next(), { n: 1 });
  t.is(queue.next(), undefined, 'blocked by the pending slot');
  t.is(queue.size, 2);
  slot.event = { n: 2 };
  t.deepEqual(queue.next(), { n: 2 });
  t.deepEqual(queue.next(), { n: 3 });
  t.is(queue.next(), undefined);
  t.is(queue.size, 0);
});

test('EventQueue: truncateAt drops a slot and what came after it; remove drops only the slot', (t) => {
  const queue = new EventQueue<Item>();
  const a = queue.reserve();
  queue.push({ n: 1 });
  const b = queue.reserve();
  queue.push({ n: 2 });
  queue.truncateAt(b);
  t.is(queue.size, 2);
  t.true(queue.remove(a));
  t.false(queue.remove(a), 'already removed');
  t.false(queue.remove(b), 'truncated away');
  t.deepEqual(queue.next(), { n: 1 });
  t.is(queue.next(), undefined);
});

test('OutputQueue: frames queued behind a reserved place wait until it completes, in order', (t) => {
  const out = new OutputQueue();
  out.enqueue([Uint8Array.of(1)]);
  const first = out.reserve();
  const second = out.reserve();
  out.enqueue([Uint8Array.of(4)]);
  t.true(out.blocked);
  t.deepEqual(out.take().map((b) => b[0]), [1]);
  out.complete(second, [Uint8Array.of(3)]);
  t.deepEqual(out.take(), [], 'the second finished first but waits for the first');
  out.complete(first, [Uint8Array.of(2, 2)]);
  t.false(out.blocked);
  t.is(out.bytes, 4);
  t.deepEqual(out.take().map((b) => b[0]), [2, 3, 4]);
  t.is(out.bytes, 0);
});

test('OutputQueue: a place completed with no bytes (a failed transform) releases what waits behind it', (t) => {
  const out = new OutputQueue();
  const ticket = out.reserve();
  out.enqueue([Uint8Array.of(9)]);
  out.complete(ticket, []);
  t.deepEqual(out.take().map((b) => b[0]), [9]);
});

test('OutputQueue: the direct path (control frames) overtakes a pending transform', (t) => {
  const out = new OutputQueue();
  const ticket = out.reserve();
  out.writable().push(Uint8Array.of(7));
  out.bytes += 1;
  t.deepEqual(out.take().map((b) => b[0]), [7]);
  out.complete(ticket, [Uint8Array.of(8)]);
  t.deepEqual(out.take().map((b) => b[0]), [8]);
});

test('an idle queue hands out the same empty list, allocating nothing', (t) => {
  const out = new OutputQueue();
  t.is(out.take(), out.take());
});

/** An extension that adds `tag` to each byte and sets `rsvMask`, synchronously or not. */
function adder(tag: number, rsvMask: number, async: boolean): Extension {
  const map = (data: Uint8Array) => data.map((b) => b + tag);
  const unmap = (data: Uint8Array) => data.map((b) => b - tag);
  return {
    name: `add-${tag}`,
    rsvMask,
    params: [],
    encode: (data): EncodedMessage | Promise<EncodedMessage> =>
      async ? Promise.resolve({ data: map(data), rsv: rsvMask }) : { data: map(data), rsv: rsvMask },
    decode: (chunks) => (async ? Promise.resolve(unmap(chunks[0]!)) : unmap(chunks[0]!)),
    dispose: () => {},
  };
}

test('RFC 6455 §9: encoders run in negotiated order and their RSV bits add up; decoders run in reverse', async (t) => {
  const sync = [adder(1, 0x40, false), adder(10, 0x20, false)];
  const encoded = encodeMessage(sync, Uint8Array.of(0), 2);
  t.false(encoded instanceof Promise, 'synchronous extensions stay synchronous');
  t.deepEqual(await encoded, { data: Uint8Array.of(11), rsv: 0x60 });
  t.deepEqual(decodeMessage(sync, Uint8Array.of(11), 0x60, 100), Uint8Array.of(0));

  const mixed = [adder(1, 0x40, true), adder(10, 0x20, false)];
  const later = encodeMessage(mixed, Uint8Array.of(0), 2);
  t.true(later instanceof Promise);
  t.deepEqual(await later, { data: Uint8Array.of(11), rsv: 0x60 });
  t.deepEqual(await decodeMessage(mixed, Uint8Array.of(11), 0x60, 100), Uint8Array.of(0));
});

test('RFC 6455 §9: a decoder whose RSV bit the message did not set is skipped', (t) => {
  const extensions = [adder(1, 0x40, false), adder(10, 0x20, false)];
  t.deepEqual(decodeMessage(extensions, Uint8Array.of(11), 0x20, 100), Uint8Array.of(1));
});
