/**
 * Frame and payload builders for the benchmarks, written independently of
 * ws4ts and ws so that neither measured library prepares its own input.
 *
 * @module
 */

/** A small deterministic PRNG (mulberry32): the same bytes in every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Payload kinds: random bytes, printable ASCII text, or text mixing 1- to 4-byte UTF-8 sequences. */
export type PayloadKind = 'binary' | 'ascii' | 'utf8';

const MULTI = ['é', 'ö', 'ß', '€', '日', '本', '語', 'ж', 'λ', '😀', '🚀', '✓'].map((s) => Buffer.from(s, 'utf8'));

/** Exactly `size` bytes of the given kind (text kinds are valid UTF-8 of exactly that length). */
export function makePayload(kind: PayloadKind, size: number, seed = 1): Buffer {
  const random = prng(seed);
  const out = Buffer.alloc(size);
  if (kind === 'binary') {
    for (let i = 0; i < size; i++) out[i] = random() & 0xff;
    return out;
  }
  if (kind === 'ascii') {
    for (let i = 0; i < size; i++) out[i] = 0x20 + (random() % 95);
    return out;
  }
  // About half of the characters multi-byte; pad the end with ASCII to hit the size exactly.
  let at = 0;
  while (at < size) {
    const r = random();
    if ((r & 1) === 0) {
      out[at++] = 0x61 + ((r >>> 1) % 26);
      continue;
    }
    const seq = MULTI[(r >>> 1) % MULTI.length]!;
    if (at + seq.length > size) {
      out[at++] = 0x2e;
      continue;
    }
    out.set(seq, at);
    at += seq.length;
  }
  return out;
}

/** Header length of a frame with `length` payload bytes. */
export function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Write one frame at `dst[offset..]`: header, then `payload` XORed with the
 * 4-byte `mask` when given (a client frame). Returns the offset after it.
 */
export function writeFrame(dst: Uint8Array, offset: number, b0: number, payload: Uint8Array, mask?: Uint8Array): number {
  const length = payload.length;
  let at = offset;
  const maskBit = mask ? 0x80 : 0;
  dst[at++] = b0;
  if (length < 126) {
    dst[at++] = maskBit | length;
  } else if (length < 0x10000) {
    dst[at++] = maskBit | 126;
    dst[at++] = length >>> 8;
    dst[at++] = length & 0xff;
  } else {
    dst[at++] = maskBit | 127;
    dst[at++] = 0;
    dst[at++] = 0;
    dst[at++] = 0;
    dst[at++] = 0;
    dst[at++] = (length >>> 24) & 0xff;
    dst[at++] = (length >>> 16) & 0xff;
    dst[at++] = (length >>> 8) & 0xff;
    dst[at++] = length & 0xff;
  }
  if (mask) {
    dst[at++] = mask[0]!;
    dst[at++] = mask[1]!;
    dst[at++] = mask[2]!;
    dst[at++] = mask[3]!;
    for (let i = 0; i < length; i++) dst[at + i] = payload[i]! ^ mask[i & 3]!;
  } else {
    dst.set(payload, at);
  }
  return at + length;
}

/** A frame as one new buffer. */
export function frame(b0: number, payload: Uint8Array, mask?: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(headerLength(payload.length, mask !== undefined) + payload.length);
  writeFrame(out, 0, b0, payload, mask);
  return out;
}

/** A non-zero random 4-byte mask key (a zero key would let parsers skip unmasking). */
export function randomMask(random: () => number): Uint8Array {
  let key = 0;
  while (key === 0) key = random();
  return Uint8Array.of(key & 0xff, (key >>> 8) & 0xff, (key >>> 16) & 0xff, key >>> 24);
}

/**
 * A stream of `count` messages of `payload`, each masked with its own key,
 * optionally cut into fragments of `fragment` bytes (RFC 6455 §5.4).
 */
export function messageStream(payload: Uint8Array, opcode: number, count: number, seed: number, fragment = 0): Buffer {
  const random = prng(seed);
  const pieces = fragment > 0 ? Math.ceil(payload.length / fragment) : 1;
  const piece = fragment > 0 ? fragment : payload.length;
  let total = 0;
  for (let p = 0; p < pieces; p++) {
    const len = Math.min(piece, payload.length - p * piece);
    total += headerLength(len, true) + len;
  }
  const out = Buffer.allocUnsafe(total * count);
  let at = 0;
  for (let m = 0; m < count; m++) {
    for (let p = 0; p < pieces; p++) {
      const part = payload.subarray(p * piece, Math.min(payload.length, (p + 1) * piece));
      const b0 = (p === pieces - 1 ? 0x80 : 0) | (p === 0 ? opcode : 0);
      at = writeFrame(out, at, b0, part, randomMask(random));
    }
  }
  return out;
}
