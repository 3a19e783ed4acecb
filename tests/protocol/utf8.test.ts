import test from 'ava';
import fc from 'fast-check';
import { Utf8Validator, isValidUtf8 } from '../../src/protocol/utf8.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.split(/\s+/).filter(Boolean), (h) => parseInt(h, 16));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The WHATWG decoder's verdict on the whole input (fatal: no replacement characters). */
function decoderAccepts(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * RFC 3629 §4's grammar as a table, independent of the code under test: for
 * each lead byte range, the allowed range of each following byte.
 */
const SEQUENCES: ReadonlyArray<readonly [number, number, ReadonlyArray<readonly [number, number]>]> = [
  [0x00, 0x7f, []],
  [0xc2, 0xdf, [[0x80, 0xbf]]],
  [0xe0, 0xe0, [[0xa0, 0xbf], [0x80, 0xbf]]],
  [0xe1, 0xec, [[0x80, 0xbf], [0x80, 0xbf]]],
  [0xed, 0xed, [[0x80, 0x9f], [0x80, 0xbf]]],
  [0xee, 0xef, [[0x80, 0xbf], [0x80, 0xbf]]],
  [0xf0, 0xf0, [[0x90, 0xbf], [0x80, 0xbf], [0x80, 0xbf]]],
  [0xf1, 0xf3, [[0x80, 0xbf], [0x80, 0xbf], [0x80, 0xbf]]],
  [0xf4, 0xf4, [[0x80, 0x8f], [0x80, 0xbf], [0x80, 0xbf]]],
];

/**
 * Index of the first byte after which the input can no longer be a prefix of
 * valid UTF-8, or -1 if it is one (valid, or valid but for a truncated tail);
 * `truncated` tells the latter apart.
 */
function firstInvalid(bytes: Uint8Array): { index: number; truncated: boolean } {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const seq = SEQUENCES.find(([lo, hi]) => lead >= lo && lead <= hi);
    if (seq === undefined) return { index: i, truncated: false };
    for (let k = 0; k < seq[2].length; k++) {
      const j = i + 1 + k;
      if (j >= bytes.length) return { index: -1, truncated: true };
      const [lo, hi] = seq[2][k]!;
      if (bytes[j]! < lo || bytes[j]! > hi) return { index: j, truncated: false };
    }
    i += 1 + seq[2].length;
  }
  return { index: -1, truncated: false };
}

/** The same index found with TextDecoder's stream mode: the shortest prefix it rejects, minus one. */
function firstInvalidByDecoder(bytes: Uint8Array): number {
  const rejects = (n: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  if (!rejects(bytes.length)) return -1;
  let lo = 0; // prefixes of length <= lo are accepted
  let hi = bytes.length; // the prefix of length hi is rejected
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (rejects(mid)) hi = mid;
    else lo = mid;
  }
  return hi - 1;
}

const EDGES = [
  'ed a0 80', // U+D800, a surrogate
  'ed bf bf', // U+DFFF
  'ed 9f bf', // U+D7FF, fine
  'ee 80 80', // U+E000, fine
  'f4 90 80 80', // above U+10FFFF
  'f4 8f bf bf', // U+10FFFF, fine
  'c0 80', // overlong NUL
  'c1 bf', // overlong
  'c2 80', // U+0080, fine
  'e0 80 80', // overlong
  'e0 9f bf', // overlong
  'e0 a0 80', // U+0800, fine
  'f0 80 80 80', // overlong
  'f0 8f bf bf', // overlong
  'f0 90 80 80', // U+10000, fine
  'f5 80 80 80',
  'ff',
  'fe',
  '80', // lone continuation
  'bf',
  'c2', // truncated
  'e2 82', // truncated €
  'f0 9f 98', // truncated 😀
  'ef bb bf', // BOM, fine
].map(hex);

const bytesArb = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }).map(utf8),
      fc.string({ unit: 'binary-ascii', maxLength: 150 }).map(utf8),
      fc.constantFrom(...EDGES),
      fc.uint8Array({ maxLength: 6 }),
      fc.constant(utf8('€'.repeat(30) + 'a'.repeat(70))),
    ),
    { maxLength: 12 },
  )
  .chain((parts) => fc.integer({ min: 0, max: 3 }).map((drop) => concat(parts).slice(0, -drop || undefined)));

/** Cuts `bytes` at arbitrary points (sorted, possibly repeated: empty pieces included). */
const chunkedArb = bytesArb.chain((bytes) =>
  fc
    .array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 8 })
    .map((cuts) => ({ bytes, cuts: cuts.sort((a, b) => a - b) })),
);

function pieces(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(bytes.subarray(start, cut));
    start = cut;
  }
  return out;
}

test('the reference first-invalid index agrees with TextDecoder stream mode', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(bytesArb, (bytes) => firstInvalid(bytes).index === firstInvalidByDecoder(bytes)),
      { numRuns: 1000 },
    ),
  );
});

test('isValidUtf8 agrees with a fatal TextDecoder', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(bytesArb, (bytes) => isValidUtf8(bytes) === decoderAccepts(bytes)),
      { numRuns: 2000 },
    ),
  );
});

test('a stream cut anywhere fails exactly at the push holding the first invalid byte', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(chunkedArb, ({ bytes, cuts }) => {
        const { index, truncated } = firstInvalid(bytes);
        const validator = new Utf8Validator();
        let offset = 0;
        for (const piece of pieces(bytes, cuts)) {
          const end = offset + piece.length;
          // The push fails iff the first invalid byte lies in this piece or an earlier one.
          const expected = index < 0 || index >= end;
          if (validator.push(piece) !== expected || validator.valid !== expected) return false;
          offset = end;
        }
        const verdict = validator.end();
        return verdict === (index < 0 && !truncated) && verdict === decoderAccepts(bytes) && validator.valid === verdict;
      }),
      { numRuns: 2000 },
    ),
  );
});

test('push with a range validates only that range of the buffer', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(chunkedArb, fc.uint8Array({ maxLength: 5 }), ({ bytes, cuts }, junk) => {
        // The same stream, each piece embedded between junk bytes in a larger buffer.
        const validator = new Utf8Validator();
        let ok = true;
        for (const piece of pieces(bytes, cuts)) {
          const buffer = concat([junk, piece, junk]);
          ok = validator.push(buffer, junk.length, junk.length + piece.length);
        }
        return (ok && validator.end()) === decoderAccepts(bytes);
      }),
      { numRuns: 1000 },
    ),
  );
});

test('a stream pushed one byte at a time fails at the first invalid byte', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        const { index } = firstInvalid(bytes);
        const validator = new Utf8Validator();
        for (let i = 0; i < bytes.length; i++) {
          if (validator.push(bytes.subarray(i, i + 1)) !== (index < 0 || i < index)) return false;
        }
        return true;
      }),
      { numRuns: 1000 },
    ),
  );
});

test('classic edge cases are judged as RFC 3629 says', (t) => {
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['41 42 43', true],
    ['c2 80', true], // U+0080
    ['df bf', true], // U+07FF
    ['e0 a0 80', true], // U+0800
    ['ef bf bf', true], // U+FFFF (a noncharacter, but valid UTF-8)
    ['ed 9f bf', true], // U+D7FF
    ['ee 80 80', true], // U+E000
    ['f0 90 80 80', true], // U+10000
    ['f4 8f bf bf', true], // U+10FFFF
    ['ce ba e1 bd b9 cf 83 ce bc ce b5', true], // κόσμε
    ['c0 80', false], // overlong U+0000
    ['c1 bf', false], // overlong U+007F
    ['e0 80 80', false], // overlong U+0000
    ['e0 9f bf', false], // overlong U+07FF
    ['f0 80 80 80', false], // overlong U+0000
    ['f0 8f bf bf', false], // overlong U+FFFF
    ['ed a0 80', false], // U+D800
    ['ed af bf ed b0 80', false], // a surrogate pair, CESU-8 style
    ['ed bf bf', false], // U+DFFF
    ['f4 90 80 80', false], // U+110000
    ['f5 80 80 80', false],
    ['f8 88 80 80 80', false], // 5-byte form
    ['fc 84 80 80 80 80', false], // 6-byte form
    ['fe', false],
    ['ff', false],
    ['80', false], // lone continuation
    ['41 bf 41', false],
    ['c2', false], // truncated at the end
    ['e2 82', false],
    ['f0 9f 98', false],
    ['c2 41', false], // truncated inside
    ['e2 82 41', false],
    ['f0 9f 98 41', false],
  ];
  for (const [bytes, valid] of cases) {
    const data = hex(bytes);
    t.is(isValidUtf8(data), valid, bytes);
    // The same bytes after 100 ASCII bytes, so the native path judges them too.
    t.is(isValidUtf8(concat([utf8('x'.repeat(100)), data])), valid, `100 x + ${bytes}`);
    const validator = new Utf8Validator();
    t.is(validator.push(data) && validator.end(), valid, `validator: ${bytes}`);
    t.is(decoderAccepts(data), valid, `TextDecoder: ${bytes}`);
  }
});

test('an invalid sequence fails at the push that delivers the offending byte', (t) => {
  const failsAt = (...pushes: string[]): number => {
    const validator = new Utf8Validator();
    return pushes.findIndex((p) => !validator.push(hex(p)));
  };
  t.is(failsAt('e0', '80'), 1); // overlong: E0 needs A0..BF next
  t.is(failsAt('ed', 'a0', '80'), 1); // surrogate: ED needs 80..9F next
  t.is(failsAt('ed a0'), 0);
  t.is(failsAt('f4', '90'), 1); // above U+10FFFF
  t.is(failsAt('f0', '8f'), 1); // overlong
  t.is(failsAt('c0'), 0); // never valid as a lead
  t.is(failsAt('f5'), 0);
  t.is(failsAt('e2 82', '41'), 1); // truncated by ASCII
  t.is(failsAt('f0 9f', '98', '80'), -1); // 😀 across three pushes
  t.is(failsAt('41'.repeat(200) + ' e0', '80'), 1); // after the native path
  t.is(failsAt('41'.repeat(200) + ' ed a0'), 0);
});

test('a validator stays failed until reset and end reports an unfinished code point', (t) => {
  const validator = new Utf8Validator();
  t.true(validator.push(hex('e2 82')));
  t.true(validator.valid);
  t.false(validator.end());
  t.false(validator.valid);
  t.false(validator.push(utf8('ok')));
  validator.reset();
  t.true(validator.valid);
  t.true(validator.push(hex('e2 82')));
  t.true(validator.push(hex('ac')));
  t.true(validator.end());
  validator.reset();
  t.false(validator.push(hex('80')));
  t.false(validator.push(utf8('a'.repeat(1000))));
  t.false(validator.end());
});

test('long multi-byte text is valid in any split, invalid with one surrogate inside', (t) => {
  const text = utf8('Grüße, 世界! 😀 '.repeat(5000));
  const validator = new Utf8Validator();
  for (let at = 0; at < text.length; at += 4093) t.true(validator.push(text.subarray(at, at + 4093)));
  t.true(validator.end());
  const broken = concat([text, hex('ed a0 80'), text]);
  validator.reset();
  const pieceWithError = Math.floor(text.length / 65536);
  for (let at = 0, n = 0; at < broken.length; at += 65536, n++) {
    t.is(validator.push(broken.subarray(at, at + 65536)), n < pieceWithError, `piece ${n}`);
  }
  t.false(isValidUtf8(broken));
  t.true(isValidUtf8(text));
});

test('push refuses a range outside the buffer', (t) => {
  const validator = new Utf8Validator();
  t.throws(() => validator.push(new Uint8Array(4), 2, 5), { instanceOf: RangeError });
  t.throws(() => validator.push(new Uint8Array(4), 3, 2), { instanceOf: RangeError });
});
