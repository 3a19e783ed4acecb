import test from 'ava';
import fc from 'fast-check';
import { FrameWriter, kEncodeFailed, type WriterOwner } from '../../src/protocol/frame-writer.js';
import type { EncodedMessage, Extension } from '../../src/protocol/extension.js';
import { RFC_KEY, concat, parseChunks, toHex, utf8Bytes, type PlainFrame } from './arbitraries.js';

/** An owner recording the failures reported to it. */
class Owner implements WriterOwner {
  readonly failures: unknown[] = [];
  [kEncodeFailed](error: unknown): void {
    this.failures.push(error);
  }
}

/** The frames written so far, parsed back by the peer (a server reads a client's masked frames). */
function frames(writer: FrameWriter, masked: boolean, rsvAllowed = 0): PlainFrame[] {
  const { frames, error } = parseChunks([concat(writer.take())], { role: masked ? 'server' : 'client', rsvAllowed });
  if (error !== undefined) throw error;
  return frames;
}

/** Wait until every promise reaction queued so far has run. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An extension that adds 1 to each byte and sets RSV1, at once or after `gate` resolves (or rejects). */
function adder(gate?: Promise<void>): Extension {
  const encode = (data: Uint8Array): EncodedMessage => ({ data: data.map((b) => b + 1), rsv: 0x40 });
  return {
    name: 'add',
    rsvMask: 0x40,
    params: [],
    encode: (data) => (gate === undefined ? encode(data) : gate.then(() => encode(data))),
    decode: (chunks) => chunks[0]!,
    dispose: () => {},
  };
}

test('RFC 6455 §5.2, §5.6: a server writes a string as one unmasked text frame, bytes as binary', (t) => {
  const writer = new FrameWriter(new Owner(), [], undefined, undefined);
  writer.message('Hello');
  writer.message(Uint8Array.of(1, 2));
  t.is(writer.bytes, 7 + 4);
  t.is(toHex(concat(writer.take())), '81 05 48 65 6c 6c 6f 82 02 01 02');
  t.is(writer.bytes, 0);
});

test('RFC 6455 §5.3, §5.7: a client masks every frame with a key from its source', (t) => {
  let keys = 0;
  const writer = new FrameWriter(new Owner(), [], () => (keys++, RFC_KEY), undefined);
  writer.message('Hello');
  writer.control(9, utf8Bytes('p'));
  writer.close(Uint8Array.of(0x03, 0xe8));
  const bytes = concat(writer.take());
  t.is(toHex(bytes.subarray(0, 11)), '81 85 37 fa 21 3d 7f 9f 4d 51 58', 'the example of §5.7');
  t.is(keys, 3, 'one key per frame');
  t.deepEqual(
    parseChunks([bytes], { role: 'server' }).frames.map((f) => [f.opcode, f.payload]),
    [[1, toHex(utf8Bytes('Hello'))], [9, '70'], [8, '03 e8']],
  );
});

test('RFC 6455 §5.4: fragments set the opcode once, continue with opcode 0 and end with FIN', (t) => {
  const writer = new FrameWriter(new Owner(), [], undefined, undefined);
  writer.fragment('Hel', false);
  t.true(writer.fragmenting);
  writer.control(9, new Uint8Array(0)); // §5.4: a control frame between fragments
  writer.fragment(Uint8Array.of(0x6c), false);
  writer.fragment('o', true);
  t.false(writer.fragmenting);
  writer.fragment(Uint8Array.of(7), true);
  t.deepEqual(
    frames(writer, false).map((f) => [f.opcode, f.fin]),
    [[1, false], [9, true], [0, false], [0, true], [2, true]],
  );
});

test('RFC 6455 §9: a message goes through the extensions, their RSV bits set on its frame; fragments do not', (t) => {
  const writer = new FrameWriter(new Owner(), [adder()], undefined, undefined);
  writer.message(Uint8Array.of(1, 2));
  writer.message('a');
  writer.fragment(Uint8Array.of(5), true);
  t.deepEqual(frames(writer, false, 0x40), [
    { opcode: 2, fin: true, rsv: 0x40, payload: '02 03' },
    { opcode: 1, fin: true, rsv: 0x40, payload: '62' },
    { opcode: 2, fin: true, rsv: 0, payload: '05' },
  ]);
});

test('an asynchronous encode holds back the close frame behind it; control frames overtake it', async (t) => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let ready = 0;
  const writer = new FrameWriter(new Owner(), [adder(gate)], undefined, () => ready++);
  writer.message(Uint8Array.of(1));
  writer.control(10, Uint8Array.of(9));
  writer.close(new Uint8Array(0));
  t.true(writer.blocked);
  t.deepEqual(frames(writer, false).map((f) => f.opcode), [10], 'only the pong is ready');
  open();
  await settled();
  t.is(ready, 1, 'onAsyncReady called once the frame is queued');
  t.deepEqual(frames(writer, false, 0x40).map((f) => [f.opcode, f.payload]), [[2, '02'], [8, '']]);
});

test('a failed asynchronous encode is reported to the owner and releases what waited behind it', async (t) => {
  const owner = new Owner();
  const failure = new Error('deflate broke');
  const gate = Promise.reject(failure);
  gate.catch(() => {});
  let ready = 0;
  const writer = new FrameWriter(owner, [adder(gate)], undefined, () => ready++);
  writer.message('x');
  writer.close(new Uint8Array(0));
  await settled();
  t.deepEqual(owner.failures, [failure]);
  t.is(ready, 1);
  t.false(writer.blocked);
  t.deepEqual(frames(writer, false).map((f) => f.opcode), [8], 'the failed message sends nothing, the close frame goes');
});

test('small server frames share the output slab: one view per run, in order, around control frames, across slab ends', (t) => {
  const a = new FrameWriter(new Owner(), [], undefined, undefined);
  const b = new FrameWriter(new Owner(), [], undefined, undefined);
  for (let i = 0; i < 10; i++) a.message(`m${i}`);
  const run = a.take();
  t.is(run.length, 1, 'ten small frames leave as one view');
  t.deepEqual(
    parseChunks(run, { role: 'client' }).frames.map((f) => f.payload),
    Array.from({ length: 10 }, (_, i) => toHex(utf8Bytes(`m${i}`))),
  );
  // Interleaved writers each get exactly their own frames; a pong between two messages keeps its place.
  a.message('a1');
  b.message(Uint8Array.of(0xb1));
  a.control(10, Uint8Array.of(7));
  a.message('a2');
  b.message('b2');
  t.is(toHex(concat(a.take())), '81 02 61 31 8a 01 07 81 02 61 32');
  t.is(toHex(concat(b.take())), '82 01 b1 81 02 62 32');
  // Bytes already taken are never written again, even after the slab fills and rolls over.
  const taken = concat(run);
  const big = new Uint8Array(200).fill(0xee);
  const expected: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    a.message(big);
    expected.push(Uint8Array.of(0x82, 126, 0x00, 0xc8), big);
  }
  t.deepEqual(concat(a.take()), concat(expected), '40 KB of frames over several slabs, intact');
  t.deepEqual(concat(run), taken);
});

test('release: bytes written and released are reused by the next frames of any writer; bytes not released, or no longer on top, never are', (t) => {
  const a = new FrameWriter(new Owner(), [], undefined, undefined);
  const b = new FrameWriter(new Owner(), [], undefined, undefined);
  const batch = () => {
    for (let i = 0; i < 32; i++) a.message(new Uint8Array(1024).fill(i));
    const [view, ...rest] = a.take();
    t.is(rest.length, 0, '32 frames of 1 KiB leave as one view');
    return view!;
  };
  // Start on a fresh slab (the slab is shared with every test before this one).
  const start = (a.message(new Uint8Array(256)), a.take()[0]!.buffer);
  let taken: Uint8Array[];
  while ((a.message(new Uint8Array(256)), (taken = a.take()))[0]!.buffer === start);
  a.release(taken);
  const first = batch();
  a.release([first]);
  const second = batch();
  t.is(second.buffer, first.buffer, 'same slab');
  t.is(second.byteOffset, first.byteOffset, 'released bytes reused');
  t.is(parseChunks([second], { role: 'client' }).frames.length, 32);
  // Not released (a write still holds it): the next batch goes after it.
  const held = Uint8Array.from(second);
  for (let i = 0; i < 32; i++) a.message(new Uint8Array(1024).fill(0x40 + i));
  const third = a.take();
  t.deepEqual(Uint8Array.from(second), held, 'held bytes intact');
  t.deepEqual(
    parseChunks(third, { role: 'client' }).frames.map((f) => f.payload),
    Array.from({ length: 32 }, (_, i) => toHex(new Uint8Array(1024).fill(0x40 + i))),
    'the next frames go after them (and to a pooled buffer each once the slab is full)',
  );
  // Released, but another writer wrote after it: not on top any more, so not reused.
  b.message('b');
  a.release(third);
  const bView = b.take()[0]!;
  a.message('a');
  const aView = a.take()[0]!;
  t.is(toHex(bView), '81 01 62');
  t.is(toHex(aView), '81 01 61');
});

test('property: whatever mix of writers, sizes, takes and releases, each writer\'s output is its own frames in order, and taken bytes not released never change', (t) => {
  // 'none': a step that only takes (and maybe releases), so a writer can take while another's run sits above its own.
  const message = fc.oneof(fc.string({ maxLength: 60 }), fc.uint8Array({ maxLength: 5000 }), fc.constant('ping'), fc.constant('none'));
  // release: the bytes just taken were written (copied out here), so the writer may reuse them.
  const op = fc.record({ writer: fc.nat(2), message, take: fc.boolean(), release: fc.boolean() });
  const result = fc.check(
    fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
      const writers = [0, 1, 2].map(() => new FrameWriter(new Owner(), [], undefined, undefined));
      const expected: Uint8Array[][] = [[], [], []];
      const got: Uint8Array[][] = [[], [], []];
      const snapshots: { view: Uint8Array; copy: Uint8Array }[] = [];
      for (const { writer, message, take, release } of ops) {
        const w = writers[writer]!;
        if (message === 'none') {
          // write nothing this step
        } else if (message === 'ping') {
          w.control(9, Uint8Array.of(1, 2, 3));
          expected[writer]!.push(Uint8Array.of(0x89, 3, 1, 2, 3));
        } else {
          w.message(message);
          const payload = typeof message === 'string' ? utf8Bytes(message) : message;
          const head = payload.length < 126 ? [typeof message === 'string' ? 0x81 : 0x82, payload.length] : [typeof message === 'string' ? 0x81 : 0x82, 126, payload.length >> 8, payload.length & 0xff];
          expected[writer]!.push(Uint8Array.from(head), payload);
        }
        if (take && release) {
          const views = w.take();
          for (const view of views) got[writer]!.push(Uint8Array.from(view));
          w.release(views);
        } else if (take) {
          for (const view of w.take()) {
            got[writer]!.push(view);
            snapshots.push({ view, copy: Uint8Array.from(view) });
          }
        }
      }
      for (let i = 0; i < 3; i++) {
        got[i]!.push(...writers[i]!.take());
        if (toHex(concat(got[i]!)) !== toHex(concat(expected[i]!))) return false;
      }
      return snapshots.every(({ view, copy }) => toHex(view) === toHex(copy));
    }),
    { numRuns: 300 },
  );
  t.false(result.failed, `counterexample: ${fc.stringify(result.counterexample)}`);
});
