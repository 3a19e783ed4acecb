import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import {
  applyMask,
  applyMaskRange,
  copyMasked,
  createMaskKeyGenerator,
  defaultMaskKey,
  maskImplementation,
  readMaskKey,
  writeMaskKey,
} from '../../src/protocol/mask.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The obvious definition (RFC 6455 §5.3): octet i XOR key octet (i + phase) mod 4. */
function simpleMask(data: Uint8Array, key: number, phase: number): Uint8Array {
  const out = data.slice();
  for (let i = 0; i < out.length; i++) out[i]! ^= (key >>> (((i + phase) & 3) * 8)) & 0xff;
  return out;
}

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x;
  }
  return bytes;
}

/** `length` bytes at `offset` inside a larger buffer with guard bytes around them. */
function placed(data: Uint8Array, offset: number): { buffer: Uint8Array; view: Uint8Array } {
  const buffer = pattern(offset + data.length + 9, 0x5eed ^ offset);
  buffer.set(data, offset);
  return { buffer, view: buffer.subarray(offset, offset + data.length) };
}

// Lengths up to 300 byte by byte, then sizes around the kernel thresholds and
// WebAssembly block boundaries (16 KiB), up to several blocks with a tail.
const lengthArb = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 300, max: 5000 }),
  fc.constantFrom(511, 512, 513, 16383, 16384, 16385, 32768 + 3),
  fc.integer({ min: 5000, max: 70_000 }),
);
const keyArb = fc.integer({ min: 0, max: 0xffffffff });
const phaseArb = fc.integer({ min: 0, max: 3 });
const offsetArb = fc.integer({ min: 0, max: 11 });

test('RFC 6455 §5.7: the masked "Hello" example unmasks to "Hello"', (t) => {
  const frame = Uint8Array.of(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
  const key = readMaskKey(frame, 2);
  t.is(key, 0x3d21fa37);
  applyMaskRange(frame, 6, 11, key);
  t.is(new TextDecoder().decode(frame.subarray(6)), 'Hello');
  const payload = Uint8Array.of(0x7f, 0x9f, 0x4d, 0x51, 0x58);
  applyMask(payload, key);
  t.is(new TextDecoder().decode(payload), 'Hello');
});

test('writeMaskKey writes the key in wire order and readMaskKey reads it back', (t) => {
  const bytes = new Uint8Array(7);
  writeMaskKey(0x3d21fa37, bytes, 3);
  t.deepEqual([...bytes], [0, 0, 0, 0x37, 0xfa, 0x21, 0x3d]);
  fc.assert(
    fc.property(keyArb, fc.integer({ min: 0, max: 4 }), (key, offset) => {
      const dst = new Uint8Array(8);
      writeMaskKey(key, dst, offset);
      return readMaskKey(dst, offset) === key;
    }),
    { numRuns: 1000 },
  );
});

test('applyMask equals the byte loop for every length 0..300, alignment 0..7 and phase', (t) => {
  let cases = 0;
  for (let length = 0; length <= 300; length++) {
    const data = pattern(length, length + 1);
    const key = (0x9e3779b9 * (length + 1)) >>> 0 || 1;
    for (let offset = 0; offset < 8; offset++) {
      for (let phase = 0; phase < 4; phase++) {
        const { buffer, view } = placed(data, offset);
        const before = buffer.slice();
        applyMask(view, key, phase);
        const expected = before.slice();
        expected.set(simpleMask(data, key, phase), offset);
        if (!buffer.every((b, i) => b === expected[i])) {
          t.fail(`length ${length}, offset ${offset}, phase ${phase}`);
          return;
        }
        cases++;
      }
    }
  }
  t.is(cases, 301 * 8 * 4);
});

test('applyMask equals the byte loop for random lengths, alignments, phases and keys', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(lengthArb, offsetArb, phaseArb, keyArb, fc.integer(), (length, offset, phase, key, seed) => {
        const data = pattern(length, seed);
        const { buffer, view } = placed(data, offset);
        const expected = buffer.slice();
        expected.set(simpleMask(data, key, phase), offset);
        applyMask(view, key, phase);
        return buffer.every((b, i) => b === expected[i]);
      }),
      { numRuns: 1000 },
    ),
  );
});

test('masking twice is the identity', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(lengthArb, offsetArb, phaseArb, keyArb, fc.integer(), (length, offset, phase, key, seed) => {
        const data = pattern(length, seed);
        const { view } = placed(data, offset);
        applyMask(view, key, phase);
        applyMask(view, key, phase);
        return view.every((b, i) => b === data[i]);
      }),
      { numRuns: 1000 },
    ),
  );
});

test('a payload unmasked in pieces, each with its phase, equals one unmasked whole', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        lengthArb,
        keyArb,
        fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 8 }),
        (length, key, cuts) => {
          const data = pattern(length, length);
          const whole = simpleMask(data, key, 0);
          const points = [...new Set(cuts.map((c) => c % (length + 1)))].sort((a, b) => a - b);
          let start = 0;
          for (const end of [...points, length]) {
            // The parser's view: a range of the chunk, phase = payload offset.
            applyMaskRange(data, start, end, key, start);
            start = end;
          }
          return data.every((b, i) => b === whole[i]);
        },
      ),
      { numRuns: 1000 },
    ),
  );
});

test('copyMasked equals the byte loop and leaves the source and the rest of dst alone', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        lengthArb,
        offsetArb,
        offsetArb,
        phaseArb,
        keyArb,
        fc.integer(),
        (length, srcOffset, dstOffset, phase, key, seed) => {
          const data = pattern(length, seed);
          const { buffer: srcBuffer, view: src } = placed(data, srcOffset);
          const srcBefore = srcBuffer.slice();
          const dst = pattern(dstOffset + length + 5, ~seed);
          const expected = dst.slice();
          expected.set(simpleMask(data, key, phase), dstOffset);
          copyMasked(src, dst, dstOffset, key, phase);
          return dst.every((b, i) => b === expected[i]) && srcBuffer.every((b, i) => b === srcBefore[i]);
        },
      ),
      { numRuns: 1000 },
    ),
  );
});

test('copyMasked equals the byte loop for every length 0..300 and relative alignment', (t) => {
  const mismatches: string[] = [];
  for (let length = 0; length <= 300; length++) {
    const data = pattern(length, ~length);
    for (let srcOffset = 0; srcOffset < 4; srcOffset++) {
      for (let dstOffset = 0; dstOffset < 4; dstOffset++) {
        const phase = (length + srcOffset) & 3;
        const key = 0xa1b2c3d4;
        const dst = new Uint8Array(length + 8);
        copyMasked(placed(data, srcOffset).view, dst, dstOffset, key, phase);
        const expected = new Uint8Array(length + 8);
        expected.set(simpleMask(data, key, phase), dstOffset);
        if (!dst.every((b, i) => b === expected[i])) mismatches.push(`length ${length}, src offset ${srcOffset}, dst offset ${dstOffset}`);
      }
    }
  }
  t.deepEqual(mismatches, []);
});

test('copyMasked is correct when source and destination overlap in one buffer', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 64 }),
        keyArb,
        phaseArb,
        (length, srcOffset, dstOffset, key, phase) => {
          const buffer = pattern(length + 64, length);
          const src = buffer.subarray(srcOffset, srcOffset + length);
          const expected = buffer.slice();
          expected.set(simpleMask(src, key, phase), dstOffset);
          copyMasked(src, buffer, dstOffset, key, phase);
          return buffer.every((b, i) => b === expected[i]);
        },
      ),
      { numRuns: 1000 },
    ),
  );
});

test('a zero key leaves data untouched and copyMasked copies it verbatim', (t) => {
  const data = pattern(100_000, 7);
  const before = data.slice();
  applyMask(data, 0, 3);
  t.deepEqual(data, before);
  const dst = new Uint8Array(100_002);
  copyMasked(data, dst, 2, 0, 1);
  t.deepEqual(dst.subarray(2), before);
});

test('ranges outside the buffer are refused with a RangeError', (t) => {
  const data = new Uint8Array(8);
  t.throws(() => applyMaskRange(data, 4, 9, 1), { instanceOf: RangeError });
  t.throws(() => applyMaskRange(data, 5, 4, 1), { instanceOf: RangeError });
  t.throws(() => applyMaskRange(data, -1, 4, 1), { instanceOf: RangeError });
  t.throws(() => copyMasked(data, new Uint8Array(10), 3, 1), { instanceOf: RangeError });
  t.throws(() => copyMasked(data, new Uint8Array(10), -1, 1), { instanceOf: RangeError });
  t.notThrows(() => copyMasked(data, new Uint8Array(10), 2, 1));
});

test('large inputs use the WebAssembly SIMD kernel on Node 20', (t) => {
  t.is(maskImplementation(), 'wasm-simd');
});

/** Runs a correctness check in a child process whose WebAssembly is altered by `sabotage`. */
function checkWithout(sabotage: string): string {
  const script = `
    const m = await import(${JSON.stringify(new URL('../../src/protocol/mask.ts', import.meta.url).href)});
    // After the import: tsx itself needs WebAssembly to load modules.
    ${sabotage}
    let ok = m.maskImplementation() === 'js';
    for (const length of [0, 5, 127, 128, 511, 512, 4099, 70001]) {
      for (let offset = 0; offset < 4; offset++) {
        const buffer = new Uint8Array(length + 8).map((_, i) => i * 31);
        const data = buffer.subarray(offset, offset + length);
        const original = data.slice();
        const expected = data.map((b, i) => b ^ ((0x89abcdef >>> (((i + 3) & 3) * 8)) & 255));
        m.applyMask(data, 0x89abcdef, 3);
        const copy = new Uint8Array(length + 1);
        m.copyMasked(expected, copy, 1, 0x89abcdef, 3);
        ok &&= data.every((b, i) => b === expected[i]) && copy.subarray(1).every((b, i) => b === original[i]);
      }
    }
    process.stdout.write(ok ? 'ok' : 'mismatch');
  `;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
}

test('without WebAssembly the word loop masks large inputs correctly', (t) => {
  t.is(checkWithout('delete globalThis.WebAssembly;'), 'ok');
});

test('without WebAssembly SIMD (the module fails to compile) the word loop is used', (t) => {
  const sabotage = `
    const real = globalThis.WebAssembly;
    globalThis.WebAssembly = { ...real, Module: function () { throw new real.CompileError('SIMD unsupported'); } };
  `;
  t.is(checkWithout(sabotage), 'ok');
});

test.serial('the key generator yields varied non-zero keys, drawing them in batches', (t) => {
  const crypto = globalThis.crypto;
  const original = crypto.getRandomValues;
  let calls = 0;
  const spy = (array: Uint32Array): Uint32Array => {
    calls++;
    original.call(crypto, array);
    return array;
  };
  crypto.getRandomValues = spy as unknown as typeof original;
  try {
    const next = createMaskKeyGenerator(256);
    const keys = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const key = next();
      t.true(Number.isInteger(key) && key > 0 && key <= 0xffffffff);
      keys.add(key);
    }
    t.true(keys.size > 990, `${keys.size} distinct keys out of 1000`);
    t.is(calls, 4); // ceil(1000 / 256)
    const byDefault = createMaskKeyGenerator();
    calls = 0;
    for (let i = 0; i < 4096; i++) byDefault();
    t.is(calls, 2);
  } finally {
    crypto.getRandomValues = original;
  }
});

test.serial('the key generator skips zero keys', (t) => {
  const crypto = globalThis.crypto;
  const original = crypto.getRandomValues;
  let fill = 0;
  const stub = (array: Uint32Array): Uint32Array => {
    // First batch all zero but the last key; then 7s.
    array.fill(fill === 0 ? 0 : 7);
    if (fill === 0) array[array.length - 1] = 5;
    fill++;
    return array;
  };
  crypto.getRandomValues = stub as unknown as typeof original;
  try {
    const next = createMaskKeyGenerator(4);
    t.is(next(), 5);
    t.is(next(), 7);
  } finally {
    crypto.getRandomValues = original;
  }
});

test('the key generator refuses batch sizes getRandomValues cannot fill', (t) => {
  t.throws(() => createMaskKeyGenerator(0), { instanceOf: RangeError });
  t.throws(() => createMaskKeyGenerator(16385), { instanceOf: RangeError });
  t.throws(() => createMaskKeyGenerator(1.5), { instanceOf: RangeError });
  t.notThrows(() => createMaskKeyGenerator(16384)());
});

test('defaultMaskKey is one shared generator of non-zero 32-bit keys', (t) => {
  const keys = Array.from({ length: 3000 }, () => defaultMaskKey());
  t.true(keys.every((key) => Number.isInteger(key) && key > 0 && key <= 0xffffffff));
  t.true(new Set(keys).size > 2990);
});
