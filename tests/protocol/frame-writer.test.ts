import test from 'ava';
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
