import test from 'ava';
import fc from 'fast-check';
import { decodeText, encodeText, textByteLength, writeText } from '../../src/protocol/text.js';

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 200, maxLength: 3000 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 250, maxLength: 3000 }),
);

test('decodeText inverts UTF-8 encoding for short, long, ASCII and astral text', (t) => {
  fc.assert(
    fc.property(text, (s) => {
      const bytes = new TextEncoder().encode(s);
      t.is(decodeText(bytes), s);
      // A view at an odd offset inside a larger buffer decodes the same.
      const padded = new Uint8Array(bytes.length + 3);
      padded.set(bytes, 1);
      t.is(decodeText(padded.subarray(1, 1 + bytes.length)), s);
    }),
    { numRuns: 1000 },
  );
});

test('decodeText of the empty view is the empty string', (t) => {
  t.is(decodeText(new Uint8Array(0)), '');
});

test('encodeText, textByteLength and writeText agree with TextEncoder', (t) => {
  fc.assert(
    fc.property(text, (s) => {
      const expected = new TextEncoder().encode(s);
      t.deepEqual([...encodeText(s)], [...expected]);
      t.is(textByteLength(s), expected.length);
      const dst = new Uint8Array(expected.length + 2);
      t.is(writeText(s, dst, 2), expected.length);
      t.deepEqual([...dst.subarray(2)], [...expected]);
    }),
    { numRuns: 1000 },
  );
});
