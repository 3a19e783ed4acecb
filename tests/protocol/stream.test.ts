import test from 'ava';
import { frames, messages } from '../../src/protocol/stream.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { encodeFrame } from '../../src/protocol/encoder.js';
import type { Frame } from '../../src/protocol/frame.js';
import type { Message } from '../../src/protocol/message.js';
import { concat, hex, plain, split, toHex, utf8Bytes, type PlainFrame, type SplitSpec } from './arbitraries.js';

/** An async generator over `chunks` that records whether it was finished (return() or exhaustion). */
function source(chunks: readonly Uint8Array[]) {
  const state = { pulled: 0, finished: false };
  async function* generate(): AsyncGenerator<Uint8Array> {
    try {
      for (const chunk of chunks) {
        state.pulled++;
        await Promise.resolve();
        yield chunk;
      }
    } finally {
      state.finished = true;
    }
  }
  return { iterable: generate(), state };
}

const text = (s: string, fin = true): Frame => ({ opcode: 1, fin, rsv: 0, payload: utf8Bytes(s) });

async function collectFrames(iterable: AsyncIterable<Frame>): Promise<PlainFrame[]> {
  const out: PlainFrame[] = [];
  for await (const frame of iterable) out.push(plain(frame));
  return out;
}

async function collectMessages(iterable: AsyncIterable<Message>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const message of iterable) out.push(message.type === 'text' ? message : { type: 'binary', data: toHex(message.data) });
  return out;
}

// ─── frames() ──────────────────────────────────────────────────────────────

test('frames() yields the frames of an async source in any chunking, unmasked', async (t) => {
  const list: Frame[] = [text('Hel', false), { opcode: 9, fin: true, rsv: 0, payload: hex('01') }, { opcode: 0, fin: true, rsv: 0, payload: utf8Bytes('lo') }];
  const bytes = concat(list.map((f, i) => encodeFrame(f, 0xa1b2c3d4 + i)));
  for (const spec of [{ kind: 'whole' }, { kind: 'bytes' }, { kind: 'size', size: 3 }] as SplitSpec[]) {
    const { iterable, state } = source(split(bytes, spec));
    t.deepEqual(await collectFrames(frames(iterable, { role: 'server' })), list.map(plain), spec.kind);
    t.true(state.finished);
  }
});

test('frames() passes RFC 6455 §5.7 "Hello" through for a client and honours rsvAllowed', async (t) => {
  const { iterable } = source([hex('81 05 48 65 6c 6c 6f c2 01 aa')]);
  t.deepEqual(await collectFrames(frames(iterable, { role: 'client', rsvAllowed: 0x40 })), [
    { opcode: 1, fin: true, rsv: 0, payload: '48 65 6c 6c 6f' },
    { opcode: 2, fin: true, rsv: 0x40, payload: 'aa' },
  ]);
});

test('frames() throws the parser’s WebSocketError on a violation, after the frames before it', async (t) => {
  // A valid frame, then an unmasked frame at a server: both in one chunk.
  const { iterable, state } = source([concat([encodeFrame(text('ok'), 1), hex('81 00')]), encodeFrame(text('never'), 2)]);
  const seen: PlainFrame[] = [];
  const error = await t.throwsAsync(
    async () => {
      for await (const frame of frames(iterable, { role: 'server' })) seen.push(plain(frame));
    },
    { instanceOf: WebSocketError },
  );
  t.is(error?.code, 'WS_ERR_UNMASKED_FRAME');
  t.is(error?.closeCode, 1002);
  t.deepEqual(seen, [plain(text('ok'))]);
  t.true(state.finished, 'the source is closed after the error');
  t.is(state.pulled, 1);
});

test('frames() honours maxPayload (close 1009)', async (t) => {
  const { iterable } = source([hex('82 7e 01 00')]);
  const error = await t.throwsAsync(collectFrames(frames(iterable, { role: 'client', maxPayload: 255 })), { instanceOf: WebSocketError });
  t.is(error?.closeCode, 1009);
});

test('breaking out of frames() closes the source', async (t) => {
  const { iterable, state } = source([hex('89 00'), hex('89 00'), hex('89 00')]);
  for await (const frame of frames(iterable, { role: 'client' })) {
    t.is(frame.opcode, 9);
    break;
  }
  t.true(state.finished);
  t.is(state.pulled, 1);
});

// ─── messages() ────────────────────────────────────────────────────────────

test('messages() yields text as strings and binary as bytes, skipping pings and pongs', async (t) => {
  const bytes = concat([
    encodeFrame(text('Hel', false), 1),
    encodeFrame({ opcode: 9, fin: true, rsv: 0, payload: hex('01') }, 2),
    encodeFrame({ opcode: 0, fin: true, rsv: 0, payload: utf8Bytes('lo') }, 3),
    encodeFrame({ opcode: 2, fin: true, rsv: 0, payload: hex('00 ff') }, 4),
    encodeFrame({ opcode: 10, fin: true, rsv: 0, payload: hex('02') }, 5),
    encodeFrame(text('€'), 6),
  ]);
  for (const spec of [{ kind: 'whole' }, { kind: 'bytes' }] as SplitSpec[]) {
    const { iterable, state } = source(split(bytes, spec));
    t.deepEqual(
      await collectMessages(messages(iterable, { role: 'server' })),
      [
        { type: 'text', data: 'Hello' },
        { type: 'binary', data: '00 ff' },
        { type: 'text', data: '€' },
      ],
      spec.kind,
    );
    t.true(state.finished);
  }
});

test('messages() ends at a close frame and closes the source', async (t) => {
  const { iterable, state } = source([hex('81 02 68 69 88 02 03 e8 81 05 6c 61 74 65 72'), hex('81 00')]);
  t.deepEqual(await collectMessages(messages(iterable, { role: 'client' })), [{ type: 'text', data: 'hi' }]);
  t.true(state.finished);
  t.is(state.pulled, 1);
});

test('messages() ends at the end of the input', async (t) => {
  const { iterable } = source([hex('81 02 68 69'), hex('81 01')]); // the second frame is cut short
  t.deepEqual(await collectMessages(messages(iterable, { role: 'client' })), [{ type: 'text', data: 'hi' }]);
});

test('messages() throws the WebSocketError of a violation with its close code, after the messages before it', async (t) => {
  for (const spec of [{ kind: 'whole' }, { kind: 'bytes' }] as SplitSpec[]) {
    // "ok", then text with invalid UTF-8 (1007), then a message that must never come.
    const { iterable, state } = source(split(hex('81 02 6f 6b 81 02 c3 28 81 01 21'), spec));
    const seen: unknown[] = [];
    const error = await t.throwsAsync(
      async () => {
        for await (const message of messages(iterable, { role: 'client' })) seen.push(message);
      },
      { instanceOf: WebSocketError },
    );
    t.is(error?.code, 'WS_ERR_INVALID_UTF8', spec.kind);
    t.is(error?.closeCode, 1007);
    t.deepEqual(seen, [{ type: 'text', data: 'ok' }], spec.kind);
    t.true(state.finished, `${spec.kind}: the source is closed after the error`);
  }
});

test('messages() throws 1009 for a message over maxPayload and 1002 for a protocol error', async (t) => {
  const big = source([hex('82 7e 01 00')]);
  const tooBig = await t.throwsAsync(collectMessages(messages(big.iterable, { role: 'client', maxPayload: 255 })), { instanceOf: WebSocketError });
  t.is(tooBig?.closeCode, 1009);
  const bad = source([hex('80 00')]);
  const protocol = await t.throwsAsync(collectMessages(messages(bad.iterable, { role: 'client' })), { instanceOf: WebSocketError });
  t.is(protocol?.code, 'WS_ERR_UNEXPECTED_CONTINUATION');
  t.is(protocol?.closeCode, 1002);
});
