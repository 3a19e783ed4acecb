import test from 'ava';
import { MessageAssembler, type MessageSink } from '../../src/protocol/assembler.js';
import { FrameParser } from '../../src/protocol/parser.js';
import { Connection } from '../../src/protocol/connection.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { encodeFrame } from '../../src/protocol/encoder.js';
import { DEFAULT_LIMITS, type ProtocolLimits } from '../../src/protocol/message.js';
import type { Frame, Opcode } from '../../src/protocol/frame.js';
import { concat, hex, pattern, runConnection, split, toHex, utf8Bytes } from './arbitraries.js';

/** Records messages and control frames as strings. */
class Recorder implements MessageSink {
  log: string[] = [];
  messages: { opcode: number; data: Uint8Array; rsv: number }[] = [];
  onMessage(opcode: number, data: Uint8Array, rsv: number): void {
    this.messages.push({ opcode, data: data.slice(), rsv });
    this.log.push(`message op=${opcode} rsv=${rsv} ${opcode === 1 ? JSON.stringify(new TextDecoder().decode(data)) : toHex(data)}`);
  }
  onControl(opcode: number, payload: Uint8Array): void {
    this.log.push(`control op=${opcode} ${toHex(payload)}`);
  }
}

function pipeline(limits: Partial<ProtocolLimits> = {}, role: 'client' | 'server' = 'client', rsvAllowed = 0) {
  const recorder = new Recorder();
  const assembler = new MessageAssembler({ ...DEFAULT_LIMITS, ...limits }, recorder);
  const parser = new FrameParser({ role, maxPayload: limits.maxPayload ?? DEFAULT_LIMITS.maxPayload, rsvAllowed }, assembler);
  return { recorder, assembler, parser };
}

/** Push `chunks` one by one; returns the index of the chunk that threw and the error. */
function feed(parser: FrameParser, chunks: readonly Uint8Array[]): { at: number; error: WebSocketError | undefined } {
  for (let i = 0; i < chunks.length; i++) {
    try {
      parser.push(chunks[i]!);
    } catch (error) {
      if (!(error instanceof WebSocketError)) throw error;
      return { at: i, error };
    }
  }
  return { at: -1, error: undefined };
}

const frame = (opcode: Opcode, fin: boolean, payload: Uint8Array | string, rsv = 0): Frame => ({
  opcode,
  fin,
  rsv,
  payload: typeof payload === 'string' ? utf8Bytes(payload) : payload,
});

const wire = (frames: Frame[], masked = false): Uint8Array =>
  concat(frames.map((f, i) => (masked ? encodeFrame(f, 0x12345678 + i * 0x01010101) : encodeFrame(f))));

// ─── RFC 6455 §5.4 fragmentation ───────────────────────────────────────────

test('RFC 6455 §5.4: control frames interleaved with fragments are delivered at once, the message at its end', (t) => {
  const bytes = wire([
    frame(1, false, 'Hel'),
    frame(9, true, 'ping 1'),
    frame(0, false, 'l'),
    frame(10, true, 'pong'),
    frame(9, true, ''),
    frame(0, true, 'o'),
  ]);
  for (const spec of [{ kind: 'whole' }, { kind: 'bytes' }, { kind: 'size', size: 5 }] as const) {
    const { recorder, parser } = pipeline();
    feed(parser, split(bytes, spec));
    t.deepEqual(
      recorder.log,
      [
        `control op=9 ${toHex(utf8Bytes('ping 1'))}`,
        `control op=10 ${toHex(utf8Bytes('pong'))}`,
        'control op=9 ',
        'message op=1 rsv=0 "Hello"',
      ],
      spec.kind,
    );
  }
});

test('RFC 6455 §5.4: a masked fragmented binary message is unmasked across fragments and chunks', (t) => {
  const payload = pattern(3000, 5);
  const bytes = wire([frame(2, false, payload.subarray(0, 1001)), frame(9, true, 'x'), frame(0, false, payload.subarray(1001, 1002)), frame(0, true, payload.subarray(1002))], true);
  for (const spec of [{ kind: 'whole' }, { kind: 'size', size: 7 }, { kind: 'cuts', cuts: [3, 1000, 1010, 2500] }] as const) {
    const { recorder, parser } = pipeline({}, 'server');
    t.is(feed(parser, split(bytes, spec)).error, undefined);
    t.is(recorder.messages.length, 1);
    t.is(toHex(recorder.messages[0]!.data), toHex(payload), spec.kind);
  }
});

test('RFC 6455 §5.4: a continuation frame without a started message fails with 1002', (t) => {
  const { parser } = pipeline();
  const { error } = feed(parser, [hex('80 02 6c 6f')]);
  t.is(error?.code, 'WS_ERR_UNEXPECTED_CONTINUATION');
  t.is(error?.closeCode, 1002);
});

test('RFC 6455 §5.4: a continuation after a complete message fails with 1002', (t) => {
  const { recorder, parser } = pipeline();
  const { error } = feed(parser, [hex('81 02 68 69'), hex('00 01 21')]);
  t.is(error?.code, 'WS_ERR_UNEXPECTED_CONTINUATION');
  t.deepEqual(recorder.log, ['message op=1 rsv=0 "hi"']);
});

test('RFC 6455 §5.4: a new data frame inside a fragmented message fails with 1002', (t) => {
  for (const second of ['81 01 21', '02 01 21', '82 00']) {
    const { recorder, parser } = pipeline();
    const { at, error } = feed(parser, [hex('01 03 48 65 6c'), hex(second)]);
    t.is(at, 1);
    t.is(error?.code, 'WS_ERR_EXPECTED_CONTINUATION');
    t.is(error?.closeCode, 1002);
    t.deepEqual(recorder.log, []);
  }
});

test('RFC 7692 §6.1: RSV bits on a continuation frame fail with 1002 even when negotiated', (t) => {
  const { parser } = pipeline({}, 'client', 0x40);
  const { at, error } = feed(parser, [hex('41 01 48'), hex('c0 01 69')]);
  t.is(at, 1);
  t.is(error?.code, 'WS_ERR_UNEXPECTED_RSV');
  t.is(error?.closeCode, 1002);
});

test('the RSV bits of the first frame are reported with the message', (t) => {
  const { recorder, parser } = pipeline({}, 'client', 0x40);
  feed(parser, [hex('42 01 aa 80 01 bb')]);
  t.deepEqual(recorder.messages.map((m) => [m.opcode, m.rsv, toHex(m.data)]), [[2, 0x40, 'aa bb']]);
});

// ─── limits ────────────────────────────────────────────────────────────────

test('the message size is counted across fragments and fails with 1009 at the header that exceeds it', (t) => {
  const { recorder, parser } = pipeline({ maxPayload: 10 });
  // 6 bytes, then a header announcing 5 more: 11 > 10, refused before its payload.
  const { at, error } = feed(parser, [hex('01 06 61 62 63 64 65 66'), hex('80 05')]);
  t.is(at, 1);
  t.is(error?.code, 'WS_ERR_MESSAGE_TOO_BIG');
  t.is(error?.closeCode, 1009);
  t.deepEqual(recorder.log, []);
});

test('a message of exactly maxPayload bytes in fragments is accepted', (t) => {
  const { recorder, parser } = pipeline({ maxPayload: 10 });
  t.is(feed(parser, [hex('01 06 61 62 63 64 65 66 00 00 89 00 80 04 67 68 69 6a')]).error, undefined);
  t.deepEqual(recorder.log, ['control op=9 ', 'message op=1 rsv=0 "abcdefghij"']);
});

test('control frames do not count towards the message size', (t) => {
  const { recorder, parser } = pipeline({ maxPayload: 4 });
  // (maxPayload also bounds each frame, control frames included: hence a 4-byte ping.)
  t.is(feed(parser, [hex('02 02 01 02 89 04 01 02 03 04 80 02 03 04')]).error, undefined);
  t.deepEqual(recorder.log, ['control op=9 01 02 03 04', 'message op=2 rsv=0 01 02 03 04']);
});

test('more fragments than maxFragments fail with 1009', (t) => {
  const { parser } = pipeline({ maxFragments: 3 });
  const { at, error } = feed(parser, [hex('01 01 61'), hex('00 01 62'), hex('00 00'), hex('80 01 63')]);
  t.is(at, 3);
  t.is(error?.code, 'WS_ERR_TOO_MANY_FRAGMENTS');
  t.is(error?.closeCode, 1009);
});

test('exactly maxFragments fragments are accepted, and the count restarts with each message', (t) => {
  const { recorder, parser } = pipeline({ maxFragments: 3 });
  t.is(feed(parser, [hex('01 01 61 00 01 62 80 01 63'), hex('02 01 01 00 00 80 00')]).error, undefined);
  t.deepEqual(recorder.log, ['message op=1 rsv=0 "abc"', 'message op=2 rsv=0 01']);
});

test('a message cut into 100,000 one-byte frames assembles correctly', (t) => {
  const n = 100_000;
  const payload = pattern(n, 42);
  const bytes = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    bytes[3 * i] = i === 0 ? 0x02 : i === n - 1 ? 0x80 : 0x00;
    bytes[3 * i + 1] = 1;
    bytes[3 * i + 2] = payload[i]!;
  }
  for (const spec of [{ kind: 'whole' }, { kind: 'size', size: 4096 }] as const) {
    const { recorder, parser } = pipeline();
    t.is(feed(parser, split(bytes, spec)).error, undefined);
    t.is(recorder.messages.length, 1);
    t.true(Buffer.from(recorder.messages[0]!.data).equals(Buffer.from(payload)), spec.kind);
  }
});

// ─── UTF-8 (RFC 6455 §8.1) ─────────────────────────────────────────────────

test('RFC 6455 §8.1: invalid UTF-8 fails with 1007 at the first bad byte, even split across fragments, fed one byte at a time', (t) => {
  // "héllo" + "wor" + E2 82 | then the bad byte 41 in the next fragment, then more that never matters.
  const frames = [frame(1, false, 'héllo'), frame(0, false, concat([utf8Bytes('wor'), hex('e2 82')])), frame(0, false, hex('41 42 43')), frame(0, true, 'end')];
  for (const masked of [false, true]) {
    const bytes = wire(frames, masked);
    // Position of the byte 0x41 on the wire: after frames 1 and 2 and the third header.
    const first = encodeFrame(frames[0]!, masked ? 1 : undefined).length;
    const second = encodeFrame(frames[1]!, masked ? 1 : undefined).length;
    const bad = first + second + (masked ? 6 : 2);
    const { parser, recorder } = pipeline({}, masked ? 'server' : 'client');
    const { at, error } = feed(parser, split(bytes, { kind: 'bytes' }));
    t.is(at, bad, masked ? 'masked' : 'unmasked');
    t.is(error?.code, 'WS_ERR_INVALID_UTF8');
    t.is(error?.closeCode, 1007);
    t.deepEqual(recorder.log, []);
  }
});

test('RFC 6455 §8.1: an invalid sequence fails at the byte that makes it invalid (ED A0: a surrogate)', (t) => {
  const bytes = hex('81 05 61 62 ed a0 80');
  const { parser } = pipeline();
  const { at, error } = feed(parser, split(bytes, { kind: 'bytes' }));
  t.is(at, 5); // the A0
  t.is(error?.closeCode, 1007);
});

test('RFC 6455 §8.1: invalid UTF-8 in a single-chunk frame fails in that chunk', (t) => {
  const { parser } = pipeline();
  const { at, error } = feed(parser, [hex('81 02 68 69'), hex('81 03 61 ff 62'), hex('81 00')]);
  t.is(at, 1);
  t.is(error?.closeCode, 1007);
});

test('RFC 6455 §8.1: a code point split across fragments and chunks is valid', (t) => {
  // "€" is E2 82 AC; "😀" is F0 9F 98 80.
  const bytes = wire([frame(1, false, hex('e2')), frame(0, false, hex('82 ac f0 9f')), frame(0, true, hex('98 80'))], true);
  for (const spec of [{ kind: 'whole' }, { kind: 'bytes' }] as const) {
    const { recorder, parser } = pipeline({}, 'server');
    t.is(feed(parser, split(bytes, spec)).error, undefined);
    t.deepEqual(recorder.log, ['message op=1 rsv=0 "€😀"']);
  }
});

test('RFC 6455 §8.1: a truncated code point at the end of a message fails with 1007', (t) => {
  const cases = [
    ['a single frame in one chunk', [hex('81 02 61 e2')]],
    ['a single frame byte by byte', split(hex('81 03 61 e2 82'), { kind: 'bytes' })],
    ['fragments, the last one empty', [hex('01 02 61 e2 80 00')]],
    ['fragments byte by byte', split(hex('01 02 61 f0 00 01 9f 80 01 98'), { kind: 'bytes' })],
  ] as const;
  for (const [title, chunks] of cases) {
    const { parser, recorder } = pipeline();
    const { at, error } = feed(parser, chunks);
    t.is(at, chunks.length - 1, title);
    t.is(error?.code, 'WS_ERR_INVALID_UTF8', title);
    t.is(error?.closeCode, 1007);
    t.deepEqual(recorder.log, []);
  }
});

test('text with RSV1 set (transformed by an extension) is not validated by the assembler', (t) => {
  const { recorder, parser } = pipeline({}, 'client', 0x40);
  t.is(feed(parser, [hex('c1 02 ff fe')]).error, undefined);
  t.deepEqual(recorder.messages.map((m) => [m.opcode, m.rsv, toHex(m.data)]), [[1, 0x40, 'ff fe']]);
});

test('the validator is reset between messages', (t) => {
  const { recorder, parser } = pipeline();
  // First message ends cleanly; the second starts with a continuation byte: invalid on its own.
  const { error } = feed(parser, [hex('01 01 61 80 01 62'), hex('01 01 80')]);
  t.is(error?.closeCode, 1007);
  t.deepEqual(recorder.log, ['message op=1 rsv=0 "ab"']);
});

// ─── message values ────────────────────────────────────────────────────────

test('empty text and binary messages, single and fragmented, are delivered', (t) => {
  const bytes = hex('81 00 82 00 01 00 80 00 02 00 00 00 80 00');
  const run = runConnection(split(bytes, { kind: 'bytes' }), { role: 'client' });
  t.deepEqual(run.events, [
    { type: 'text', data: '' },
    { type: 'binary', data: '' },
    { type: 'text', data: '' },
    { type: 'binary', data: '' },
  ]);
});

test('text arrives as a string and binary as a Uint8Array', (t) => {
  const connection = new Connection({ role: 'client' });
  connection.receive(hex('81 03 e2 82 ac 82 02 00 ff'));
  const text = connection.nextEvent();
  const binary = connection.nextEvent();
  t.is(text?.type, 'text');
  t.is(typeof (text as { data: unknown }).data, 'string');
  t.is((text as { data: string }).data, '€');
  t.is(binary?.type, 'binary');
  t.true((binary as { data: unknown }).data instanceof Uint8Array);
  t.is(toHex((binary as { data: Uint8Array }).data), '00 ff');
});

test('a single-chunk unfragmented message is a view of the chunk, unmasked in place (no copy)', (t) => {
  const { recorder, parser } = pipeline({}, 'server');
  const chunk = hex('82 83 01 02 03 04 aa bb cc');
  const seen: Uint8Array[] = [];
  const original = recorder.onMessage.bind(recorder);
  recorder.onMessage = (opcode, data, rsv) => {
    seen.push(data);
    original(opcode, data, rsv);
  };
  parser.push(chunk);
  t.is(seen[0]!.buffer, chunk.buffer);
  t.is(toHex(chunk.subarray(6)), 'ab b9 cf');
});

test('inMessage is true only while a fragmented message is incomplete', (t) => {
  const { assembler, parser } = pipeline();
  t.false(assembler.inMessage);
  parser.push(hex('01 01 61'));
  t.true(assembler.inMessage);
  parser.push(hex('89 00'));
  t.true(assembler.inMessage);
  parser.push(hex('80 01 62'));
  t.false(assembler.inMessage);
});
