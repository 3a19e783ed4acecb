import test from 'ava';
import { isUtf8 } from 'node:buffer';
import { frame, headerLength, makePayload, messageStream, prng, randomMask } from '../../../bench/lib/frames.js';
import { FrameParser, type FrameSink } from '../../../src/protocol/parser.js';

test('payloads have the exact size and text payloads are valid UTF-8', (t) => {
  for (const size of [0, 1, 2, 3, 16, 1023, 1024, 65536]) {
    for (const kind of ['binary', 'ascii', 'utf8'] as const) {
      const payload = makePayload(kind, size);
      t.is(payload.length, size);
      if (kind !== 'binary') t.true(isUtf8(payload));
      if (kind === 'ascii') t.true(payload.every((b) => b >= 0x20 && b < 0x7f));
    }
  }
  t.true(makePayload('utf8', 4096).some((b) => b >= 0x80), 'multi-byte text has multi-byte sequences');
});

test('the generator is deterministic and masks are never zero', (t) => {
  t.deepEqual(makePayload('binary', 64, 9), makePayload('binary', 64, 9));
  const random = prng(1);
  for (let i = 0; i < 1000; i++) t.not(Buffer.from(randomMask(random)).readUInt32LE(0), 0);
});

test('frames follow RFC 6455 §5.2 (the ws4ts parser reads them back)', (t) => {
  const payload = makePayload('utf8', 70_000, 2);
  const stream = Buffer.concat([frame(0x81, payload, Uint8Array.of(9, 8, 7, 6)), messageStream(payload, 1, 2, 4, 1000)]);
  t.is(headerLength(70_000, true), 14);
  const seen: number[] = [];
  let bytes = 0;
  const sink: FrameSink = {
    onFrameHeader: (fin, _rsv, opcode) => void seen.push(fin ? opcode | 0x80 : opcode),
    onFramePayload: (_chunk, start, end) => void (bytes += end - start),
    onFrameEnd: () => {},
  };
  new FrameParser({ role: 'server', maxPayload: 1 << 20 }, sink).push(stream);
  t.is(bytes, 3 * 70_000);
  t.is(seen.length, 1 + 2 * 70);
  t.is(seen[0], 0x81);
  t.is(seen[1], 0x01);
  t.is(seen[70], 0x80);
});
