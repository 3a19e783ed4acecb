import test from 'ava';
import fc from 'fast-check';
import {
  MERGE_THRESHOLD,
  encodeBinaryFrame,
  encodeFrame,
  encodeTextFrame,
  headerSize,
  writeHeader,
} from '../../src/protocol/encoder.js';
import { RFC_KEY, concat, hex, pattern, toHex, utf8Bytes } from './arbitraries.js';

/** Header bytes (as hex) of a frame with `length` payload bytes. */
function headerHex(b0: number, length: number, key?: number): string {
  const out = new Uint8Array(14);
  const end = writeHeader(out, 0, b0, length, key);
  checkHeaderSize(end, length, key);
  return toHex(out.subarray(0, end));
}

function checkHeaderSize(end: number, length: number, key: number | undefined): void {
  if (end !== headerSize(length, key !== undefined)) throw new Error(`headerSize disagrees with writeHeader for ${length}`);
}

// ─── RFC 6455 §5.2 length forms ────────────────────────────────────────────

test('RFC 6455 §5.2: unmasked headers at the length boundaries 0, 125, 126, 65535 and 65536', (t) => {
  t.is(headerHex(0x82, 0), '82 00');
  t.is(headerHex(0x82, 125), '82 7d');
  t.is(headerHex(0x82, 126), '82 7e 00 7e');
  t.is(headerHex(0x82, 65_535), '82 7e ff ff');
  t.is(headerHex(0x82, 65_536), '82 7f 00 00 00 00 00 01 00 00');
});

test('RFC 6455 §5.2: masked headers at the length boundaries carry the mask bit and the key in wire order', (t) => {
  t.is(headerHex(0x81, 0, RFC_KEY), '81 80 37 fa 21 3d');
  t.is(headerHex(0x81, 125, RFC_KEY), '81 fd 37 fa 21 3d');
  t.is(headerHex(0x81, 126, RFC_KEY), '81 fe 00 7e 37 fa 21 3d');
  t.is(headerHex(0x81, 65_535, RFC_KEY), '81 fe ff ff 37 fa 21 3d');
  t.is(headerHex(0x81, 65_536, RFC_KEY), '81 ff 00 00 00 00 00 01 00 00 37 fa 21 3d');
  t.is(headerHex(0x81, 5, 0), '81 85 00 00 00 00');
});

test('RFC 6455 §5.2: 64-bit lengths beyond 32 bits are written in full', (t) => {
  t.is(headerHex(0x82, 2 ** 32 + 5), '82 7f 00 00 00 01 00 00 00 05');
  t.is(headerHex(0x82, Number.MAX_SAFE_INTEGER), '82 7f 00 1f ff ff ff ff ff ff');
});

test('headerSize gives 2, 4 or 10 bytes, plus 4 when masked', (t) => {
  t.deepEqual(
    [0, 125, 126, 65_535, 65_536].map((n) => [headerSize(n, false), headerSize(n, true)]),
    [
      [2, 6],
      [2, 6],
      [4, 8],
      [4, 8],
      [10, 14],
    ],
  );
});

test('writeHeader writes at an offset and returns the offset after the header', (t) => {
  const out = new Uint8Array(20).fill(0xee);
  t.is(writeHeader(out, 3, 0x89, 5, RFC_KEY), 9);
  t.is(toHex(out.subarray(0, 10)), 'ee ee ee 89 85 37 fa 21 3d ee');
});

// ─── encodeFrame ───────────────────────────────────────────────────────────

test('RFC 6455 §5.7: encodeFrame writes the example frames byte for byte', (t) => {
  const helloBytes = utf8Bytes('Hello');
  t.is(toHex(encodeFrame({ opcode: 1, fin: true, rsv: 0, payload: helloBytes })), '81 05 48 65 6c 6c 6f');
  t.is(toHex(encodeFrame({ opcode: 1, fin: true, rsv: 0, payload: helloBytes }, RFC_KEY)), '81 85 37 fa 21 3d 7f 9f 4d 51 58');
  t.is(toHex(encodeFrame({ opcode: 1, fin: false, rsv: 0, payload: utf8Bytes('Hel') })), '01 03 48 65 6c');
  t.is(toHex(encodeFrame({ opcode: 0, fin: true, rsv: 0, payload: utf8Bytes('lo') })), '80 02 6c 6f');
  t.is(toHex(encodeFrame({ opcode: 9, fin: true, rsv: 0, payload: helloBytes })), '89 05 48 65 6c 6c 6f');
  t.is(toHex(encodeFrame({ opcode: 10, fin: true, rsv: 0, payload: helloBytes }, RFC_KEY)), '8a 85 37 fa 21 3d 7f 9f 4d 51 58');
  const big = pattern(256, 1);
  t.is(toHex(encodeFrame({ opcode: 2, fin: true, rsv: 0, payload: big })), toHex(concat([hex('82 7e 01 00'), big])));
  const huge = pattern(65_536, 2);
  t.true(Buffer.from(encodeFrame({ opcode: 2, fin: true, rsv: 0, payload: huge })).equals(Buffer.from(concat([hex('82 7f 00 00 00 00 00 01 00 00'), huge]))));
});

test('encodeFrame sets the RSV bits and ignores anything outside them', (t) => {
  t.is(toHex(encodeFrame({ opcode: 1, fin: true, rsv: 0x40, payload: new Uint8Array(0) })), 'c1 00');
  t.is(toHex(encodeFrame({ opcode: 2, fin: false, rsv: 0xff, payload: new Uint8Array(0) })), '72 00');
});

test('encodeFrame masks a copy and leaves the payload untouched', (t) => {
  const payload = utf8Bytes('Hello');
  encodeFrame({ opcode: 1, fin: true, rsv: 0, payload }, RFC_KEY);
  t.is(toHex(payload), '48 65 6c 6c 6f');
});

// ─── encodeBinaryFrame ─────────────────────────────────────────────────────

test('encodeBinaryFrame merges small unmasked payloads with their header into one buffer', (t) => {
  for (const n of [0, 1, 125, 126, MERGE_THRESHOLD]) {
    const payload = pattern(n, n);
    const out: Uint8Array[] = [];
    t.is(encodeBinaryFrame(out, 0x82, payload, undefined), headerSize(n, false) + n);
    t.is(out.length, 1, String(n));
    t.is(toHex(out[0]!), toHex(encodeFrame({ opcode: 2, fin: true, rsv: 0, payload })));
  }
});

test('encodeBinaryFrame sends a large unmasked payload as the caller’s own view, never copied', (t) => {
  const payload = pattern(MERGE_THRESHOLD + 1, 3);
  const out: Uint8Array[] = [];
  t.is(encodeBinaryFrame(out, 0x82, payload, undefined), 4 + payload.length);
  t.is(out.length, 2);
  t.is(toHex(out[0]!), '82 7e 04 01');
  t.is(out[1], payload);
});

test('encodeBinaryFrame masks into one new buffer and leaves the caller’s payload untouched', (t) => {
  for (const n of [0, 5, 125, 126, 2000, 65_536]) {
    const payload = pattern(n, 9);
    const before = toHex(payload);
    const out: Uint8Array[] = [];
    t.is(encodeBinaryFrame(out, 0x82, payload, RFC_KEY), headerSize(n, true) + n);
    t.is(out.length, 1);
    t.true(Buffer.from(out[0]!).equals(Buffer.from(encodeFrame({ opcode: 2, fin: true, rsv: 0, payload }, RFC_KEY))), String(n));
    t.is(toHex(payload), before);
  }
});

test('encodeBinaryFrame with a zero key sets the mask bit and copies the payload as is', (t) => {
  const out: Uint8Array[] = [];
  encodeBinaryFrame(out, 0x82, hex('01 02 03'), 0);
  t.is(toHex(out[0]!), '82 83 00 00 00 00 01 02 03');
});

// ─── encodeTextFrame ───────────────────────────────────────────────────────

function textFrame(text: string, key: number | undefined, b0 = 0x81): Uint8Array {
  const out: Uint8Array[] = [];
  const n = encodeTextFrame(out, b0, text, key);
  if (out.length !== 1 || out[0]!.length !== n) throw new Error('encodeTextFrame must append one buffer of the returned size');
  return out[0]!;
}

test('encodeTextFrame on the short path (≤ 41 UTF-16 units) equals encodeFrame of the UTF-8 bytes, multi-byte included', (t) => {
  const cases = ['', 'Hello', 'é', '€'.repeat(41), '😀'.repeat(20), `a${'😀'.repeat(20)}`, 'x'.repeat(41), 'ab\u0000cd'];
  for (const text of cases) {
    for (const key of [undefined, RFC_KEY, 0]) {
      const expected = encodeFrame({ opcode: 1, fin: true, rsv: 0, payload: utf8Bytes(text) }, key);
      t.is(toHex(textFrame(text, key)), toHex(expected), `${JSON.stringify(text)} key=${key}`);
    }
  }
});

test('encodeTextFrame on the long path switches to the 16-bit length form at 126 bytes', (t) => {
  // 42 × "€" is 126 bytes: the first text past the short path's limit.
  const text = '€'.repeat(42);
  t.is(toHex(textFrame(text, undefined).subarray(0, 4)), '81 7e 00 7e');
  t.is(toHex(textFrame(text, RFC_KEY)), toHex(encodeFrame({ opcode: 1, fin: true, rsv: 0, payload: utf8Bytes(text) }, RFC_KEY)));
  const long = 'é'.repeat(40_000); // 80,000 bytes: the 64-bit form
  t.is(toHex(textFrame(long, undefined).subarray(0, 10)), '81 7f 00 00 00 00 00 01 38 80');
});

test('RFC 6455 §5.7: encodeTextFrame writes the masked "Hello" example', (t) => {
  t.is(toHex(textFrame('Hello', RFC_KEY)), '81 85 37 fa 21 3d 7f 9f 4d 51 58');
  t.is(toHex(textFrame('Hel', undefined, 0x01)), '01 03 48 65 6c');
});

test('encodeTextFrame equals encodeFrame of the UTF-8 bytes for any string and key (property)', (t) => {
  const textArb = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 41 }),
    fc.string({ unit: 'binary', minLength: 42, maxLength: 300 }),
    // Any UTF-16 units, lone surrogates included: both sides write U+FFFD for them.
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  );
  t.notThrows(() =>
    fc.assert(
      fc.property(textArb, fc.option(fc.integer({ min: 0, max: 0xffff_ffff }), { nil: undefined }), (text, key) => {
        const expected = encodeFrame({ opcode: 1, fin: true, rsv: 0, payload: Buffer.from(text, 'utf8') }, key);
        return toHex(textFrame(text, key)) === toHex(expected);
      }),
      { numRuns: 1000 },
    ),
  );
});
