import test from 'ava';
import { Receiver, decodedMessage, kDecodeFailed, kOpen, kPeerClose, type ReceiverOwner } from '../../src/protocol/receiver.js';
import { FrameWriter, kEncodeFailed } from '../../src/protocol/frame-writer.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import type { ConnectionEvent } from '../../src/protocol/events.js';
import type { Extension } from '../../src/protocol/extension.js';
import type { Pending } from '../../src/protocol/transform-queue.js';
import { concat, parseChunks, plainEvent, toHex, utf8Bytes, type PlainEvent } from './arbitraries.js';

/** A connection stand-in: open or not, recording what the receiver hands it. */
class Owner implements ReceiverOwner {
  open = true;
  readonly closes: string[] = [];
  readonly failures: { slot: Pending<ConnectionEvent>; error: unknown }[] = [];
  get [kOpen](): boolean {
    return this.open;
  }
  [kPeerClose](payload: Uint8Array): void {
    this.closes.push(toHex(payload));
  }
  [kDecodeFailed](slot: Pending<ConnectionEvent>, error: unknown): void {
    this.failures.push({ slot, error });
  }
}

const writerOwner = { [kEncodeFailed]: () => {} };

function setup(options: { autoPong?: boolean; extensions?: Extension[]; maxPayload?: number } = {}) {
  const owner = new Owner();
  const writer = new FrameWriter(writerOwner, [], undefined, undefined);
  let ready = 0;
  const receiver = new Receiver(owner, writer, options.autoPong ?? true, options.extensions ?? [], options.maxPayload ?? 1000, () => ready++);
  const events = (): PlainEvent[] => {
    const out: PlainEvent[] = [];
    for (let e = receiver.next(); e !== undefined; e = receiver.next()) out.push(plainEvent(e));
    return out;
  };
  const sent = () => parseChunks([concat(writer.take())], { role: 'client' }).frames.map((f) => [f.opcode, f.payload]);
  return { owner, receiver, events, sent, ready: () => ready };
}

/** An extension that subtracts 1 from each byte (RSV1), at once or after `gate`; `seen` records the maxSize it was given. */
function subtracter(gate?: Promise<void>, seen: number[] = []): Extension {
  const decode = (data: Uint8Array) => data.map((b) => b - 1);
  return {
    name: 'sub',
    rsvMask: 0x40,
    params: [],
    encode: (data) => ({ data, rsv: 0 }),
    decode: (chunks, _rsv, maxSize) => {
      seen.push(maxSize);
      return gate === undefined ? decode(chunks[0]!) : gate.then(() => decode(chunks[0]!));
    },
    dispose: () => {},
  };
}

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a message without RSV bits is queued as is: text decoded, binary as the same bytes', (t) => {
  const { receiver, events } = setup({ extensions: [subtracter()] });
  const bytes = Uint8Array.of(1, 2);
  receiver.onMessage(1, utf8Bytes('hé'), 0);
  receiver.onMessage(2, bytes, 0);
  t.is(receiver.size, 2);
  const second = (receiver.next(), receiver.next());
  t.is(second?.type === 'binary' ? second.data : undefined, bytes, 'no copy');
  receiver.onMessage(1, utf8Bytes('hé'), 0);
  t.deepEqual(events(), [{ type: 'text', data: 'hé' }]);
});

test('RFC 6455 §9: a message with RSV bits is decoded by the extensions, under maxPayload', (t) => {
  const seen: number[] = [];
  const { receiver, events } = setup({ extensions: [subtracter(undefined, seen)], maxPayload: 777 });
  receiver.onMessage(1, utf8Bytes('ibmmp'), 0x40);
  receiver.onMessage(2, Uint8Array.of(5), 0x40);
  t.deepEqual(events(), [{ type: 'text', data: 'hallo' }, { type: 'binary', data: '04' }]);
  t.deepEqual(seen, [777, 777]);
});

test('RFC 6455 §8.1: decoded text that is not UTF-8 fails with 1007', (t) => {
  const { receiver } = setup({ extensions: [subtracter()] });
  const error = t.throws(() => receiver.onMessage(1, Uint8Array.of(0x00, 0xc1), 0x40), { instanceOf: WebSocketError });
  t.is(error?.closeCode, 1007);
  t.is(error?.code, 'WS_ERR_INVALID_UTF8');
  t.throws(() => decodedMessage(1, Uint8Array.of(0xed, 0xa0, 0x80)), { instanceOf: WebSocketError }, 'a surrogate');
  t.deepEqual(decodedMessage(2, Uint8Array.of(0xff)), { type: 'binary', data: Uint8Array.of(0xff) });
});

test('an asynchronous decode holds its place: what came after waits, onAsyncReady says when to drain', async (t) => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const { receiver, events, ready } = setup({ extensions: [subtracter(gate)] });
  receiver.onMessage(2, Uint8Array.of(3), 0x40);
  receiver.onControl(10, Uint8Array.of(1));
  t.deepEqual(events(), [], 'the pong waits behind the message');
  open();
  await settled();
  t.is(ready(), 1);
  t.deepEqual(events(), [{ type: 'binary', data: '02' }, { type: 'pong', data: '01' }]);
});

test('a failed asynchronous decode, or invalid text once decoded, goes to the owner with its slot', async (t) => {
  const failure = new Error('inflate broke');
  const rejected = Promise.reject(failure);
  rejected.catch(() => {});
  const a = setup({ extensions: [subtracter(rejected)] });
  a.receiver.onMessage(2, Uint8Array.of(3), 0x40);
  const b = setup({ extensions: [subtracter(Promise.resolve())] });
  b.receiver.onMessage(1, Uint8Array.of(0x00, 0xc1), 0x40);
  await settled();
  t.is(a.owner.failures.length, 1);
  t.is(a.owner.failures[0]!.error, failure);
  t.is(b.owner.failures.length, 1);
  t.is((b.owner.failures[0]!.error as WebSocketError).closeCode, 1007);
  t.is(b.ready(), 0, 'the owner, not the receiver, decides when to drain after a failure');
  t.true(b.receiver.remove(b.owner.failures[0]!.slot), 'the slot is the one queued');
});

test('RFC 6455 §5.5.2: a ping is reported and answered with a pong carrying its payload while open', (t) => {
  const { owner, receiver, events, sent } = setup();
  receiver.onControl(9, utf8Bytes('hi'));
  t.deepEqual(events(), [{ type: 'ping', data: toHex(utf8Bytes('hi')) }]);
  t.deepEqual(sent(), [[10, toHex(utf8Bytes('hi'))]]);
  owner.open = false; // §5.5.1: closing, so no more frames but the close
  receiver.onControl(9, utf8Bytes('late'));
  t.deepEqual(events(), [{ type: 'ping', data: toHex(utf8Bytes('late')) }]);
  t.deepEqual(sent(), []);
});

test('with autoPong off a ping is reported, not answered; RFC 6455 §5.5.3: a pong is reported, never answered', (t) => {
  const { receiver, events, sent } = setup({ autoPong: false });
  receiver.onControl(9, Uint8Array.of(1));
  receiver.onControl(10, Uint8Array.of(2));
  t.deepEqual(events(), [{ type: 'ping', data: '01' }, { type: 'pong', data: '02' }]);
  t.deepEqual(sent(), []);
});

test('RFC 6455 §5.5.1: the peer’s close frame goes to the owner, not into the queue', (t) => {
  const { owner, receiver, events } = setup();
  receiver.onControl(8, Uint8Array.of(0x03, 0xe8));
  t.deepEqual(owner.closes, ['03 e8']);
  t.deepEqual(events(), []);
});
