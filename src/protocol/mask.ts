/**
 * RFC 6455 §5.3 masking: XOR of the payload with a repeating 4-byte key.
 *
 * The key travels as one 32-bit number holding the 4 key bytes packed
 * little-endian (`k0 | k1 << 8 | k2 << 16 | k3 << 24`, unsigned), so on
 * little-endian hosts a `Uint32Array` XOR applies it to 4 payload bytes at
 * once. `phase` is the position within the key of the first byte handed in
 * (payload offset % 4), so a payload may be unmasked in pieces as it arrives.
 *
 * Three kernels, chosen by length (thresholds measured with bench/micro.ts):
 * - below `WORD_MIN` bytes a 4-way unrolled byte loop: creating a
 *   `Uint32Array` view costs more than it saves on tiny payloads;
 * - a word loop: byte-wise head up to a 4-aligned address (the key rotated by
 *   the head length), a `Uint32Array` over the aligned middle, byte-wise tail;
 * - from `WASM_MIN` bytes, a WebAssembly SIMD kernel (src/protocol/mask.wat):
 *   blocks are copied into its memory, XORed 16 bytes at a time, copied back
 *   (WebAssembly cannot address JavaScript buffers, so three passes instead
 *   of one; still 2–3× the word loop). Instantiated lazily, shared
 *   process-wide, one 64 KiB page; when WebAssembly or SIMD is unavailable
 *   the word loop is used instead.
 *
 * @module
 */

import { MASK_WASM_BASE64 } from './mask-wasm.js';

/** True when a `Uint32Array` reads bytes b0..b3 as `b0 | b1 << 8 | …` (WebAssembly always does). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Below this length the unrolled byte loop beats allocating a `Uint32Array` view. */
const WORD_MIN = 128;
/** From this length on, copy-in + SIMD XOR + copy-out beats the `Uint32Array` loop. */
const WASM_MIN = 512;
/**
 * Bytes per trip through WebAssembly memory: a multiple of 16, so the key
 * phase is the same at every block start. 8 to 32 KiB measured alike; 16 KiB
 * keeps the block and the source in cache between the three passes.
 */
const WASM_BLOCK = 16384;

/**
 * Reads the 4-byte masking key at `bytes[offset..offset + 4)` (wire order)
 * into the packed number the masking functions take.
 *
 * @example
 * ```ts
 * const key = readMaskKey(Uint8Array.of(0x37, 0xfa, 0x21, 0x3d), 0); // 0x3d21fa37
 * ```
 */
export function readMaskKey(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

/**
 * Writes a packed masking key as its 4 wire bytes at `dst[offset..offset + 4)`.
 *
 * @example
 * ```ts
 * const header = new Uint8Array(6);
 * writeMaskKey(0x3d21fa37, header, 2); // header[2..6) = 37 fa 21 3d
 * ```
 */
export function writeMaskKey(key: number, dst: Uint8Array, offset: number): void {
  dst[offset] = key;
  dst[offset + 1] = key >>> 8;
  dst[offset + 2] = key >>> 16;
  dst[offset + 3] = key >>> 24;
}

/**
 * XORs `data` in place with the masking key. Masking and unmasking are the
 * same operation. A zero key leaves the data untouched without reading it.
 *
 * @param key - the 4 key bytes packed little-endian (see {@link readMaskKey}).
 * @param phase - position within the key of `data[0]`, i.e. the payload offset
 *   of `data[0]`; only `phase % 4` matters.
 *
 * @example
 * ```ts
 * const payload = Uint8Array.of(0x7f, 0x9f, 0x4d, 0x51, 0x58);
 * applyMask(payload, readMaskKey(Uint8Array.of(0x37, 0xfa, 0x21, 0x3d), 0));
 * new TextDecoder().decode(payload); // 'Hello'
 * ```
 */
export function applyMask(data: Uint8Array, key: number, phase = 0): void {
  applyMaskRange(data, 0, data.length, key, phase);
}

/**
 * {@link applyMask} on `data[start..end)` without creating a subarray: the
 * parser hands payload pieces over as ranges of the received chunk.
 *
 * @param phase - position within the key of `data[start]`; only `phase % 4` matters.
 * @throws RangeError when the range does not lie within `data`.
 *
 * @example
 * ```ts
 * // unmask the payload of a masked frame whose 6-byte header precedes it
 * applyMaskRange(chunk, 6, 6 + length, readMaskKey(chunk, 2), 0);
 * ```
 */
export function applyMaskRange(data: Uint8Array, start: number, end: number, key: number, phase = 0): void {
  if (!(start >= 0 && start <= end && end <= data.length)) {
    throw new RangeError(`mask range [${start}, ${end}) is outside a buffer of ${data.length} bytes`);
  }
  key |= 0;
  if (key === 0 || start === end) return;
  key = rotateKey(key, phase);
  const length = end - start;
  if (length < WORD_MIN) {
    maskBytes(data, start, end, key);
  } else if (length >= WASM_MIN && wasmReady()) {
    maskWasm(data, start, end, key);
  } else {
    maskWords(data, start, end, key);
  }
}

/**
 * Copies `src` into `dst` at `dstOffset`, masking it on the way, without
 * changing `src`: the client masks read-only user data this way, and the
 * message assembler unmasks payload pieces while gathering them.
 *
 * @param phase - position within the key of `src[0]`; only `phase % 4` matters.
 * @throws RangeError when `src` does not fit into `dst` at `dstOffset`.
 *
 * @example
 * ```ts
 * const frame = new Uint8Array(6 + data.length);
 * frame[0] = 0x82; frame[1] = 0x80 | data.length; // FIN + binary, masked, length < 126
 * const key = defaultMaskKey();
 * writeMaskKey(key, frame, 2);
 * copyMasked(data, frame, 6, key);
 * ```
 */
export function copyMasked(src: Uint8Array, dst: Uint8Array, dstOffset: number, key: number, phase = 0): void {
  const length = src.length;
  if (!(dstOffset >= 0 && dstOffset + length <= dst.length)) {
    throw new RangeError(`${length} bytes do not fit at offset ${dstOffset} of a buffer of ${dst.length} bytes`);
  }
  key |= 0;
  if (key === 0) {
    dst.set(src, dstOffset);
    return;
  }
  if (length === 0) return;
  key = rotateKey(key, phase);
  // Reading src while writing dst is only safe when they do not share bytes;
  // otherwise copy first (TypedArray.set handles overlap) and mask in place.
  const disjoint = src.buffer !== dst.buffer || !overlaps(src, dst, dstOffset, length);
  if (length < WORD_MIN && disjoint) {
    copyBytes(src, dst, dstOffset, key);
  } else if (length >= WASM_MIN && disjoint && wasmReady()) {
    copyWasm(src, dst, dstOffset, key);
  } else {
    dst.set(src, dstOffset);
    if (length < WORD_MIN) maskBytes(dst, dstOffset, dstOffset + length, key);
    else maskWords(dst, dstOffset, dstOffset + length, key);
  }
}

/**
 * Which kernel masks large inputs in this process: `'wasm-simd'`, or `'js'`
 * when WebAssembly SIMD is unavailable. Instantiates the WebAssembly module
 * if that has not happened yet.
 *
 * @example
 * ```ts
 * console.log(`masking with ${maskImplementation()}`);
 * ```
 */
export function maskImplementation(): 'wasm-simd' | 'js' {
  return wasmReady() ? 'wasm-simd' : 'js';
}

/**
 * Creates a source of masking keys for frames a client sends (RFC 6455 §5.3:
 * a fresh, unpredictable key per frame). Keys are drawn from
 * `crypto.getRandomValues` into a batch of `batchKeys` keys that is refilled
 * when exhausted, so the system's random source is not called once per frame.
 * Zero keys are skipped: masking with 0 would put attacker-chosen payload
 * bytes on the wire unchanged, which is what masking exists to prevent.
 *
 * @param batchKeys - keys drawn per `getRandomValues` call, 1 to 16384
 *   (that call returns at most 65536 bytes).
 * @throws RangeError when `batchKeys` is out of range.
 *
 * @example
 * ```ts
 * const nextKey = createMaskKeyGenerator();
 * writeMaskKey(nextKey(), header, 2);
 * ```
 */
export function createMaskKeyGenerator(batchKeys = 2048): () => number {
  if (!Number.isInteger(batchKeys) || batchKeys < 1 || batchKeys > 16384) {
    throw new RangeError(`batchKeys must be an integer from 1 to 16384, got ${batchKeys}`);
  }
  const batch = new Uint32Array(batchKeys);
  let next = batchKeys;
  return () => {
    for (;;) {
      if (next === batchKeys) {
        globalThis.crypto.getRandomValues(batch);
        next = 0;
      }
      const key = batch[next++]!;
      if (key !== 0) return key;
    }
  };
}

let sharedGenerator: (() => number) | undefined;

/**
 * The process-wide masking key source: one {@link createMaskKeyGenerator}
 * with the default batch, created on first use.
 *
 * @example
 * ```ts
 * const key = defaultMaskKey();
 * ```
 */
export const defaultMaskKey = (): number => (sharedGenerator ??= createMaskKeyGenerator())();

// ---------------------------------------------------------------- kernels

/** Rotates a packed key so that key byte `phase % 4` applies first. */
function rotateKey(key: number, phase: number): number {
  const shift = (phase & 3) << 3;
  return shift === 0 ? key : (key >>> shift) | (key << (32 - shift));
}

/** True when `src` and `dst[dstOffset..dstOffset + length)` share bytes (same buffer assumed). */
function overlaps(src: Uint8Array, dst: Uint8Array, dstOffset: number, length: number): boolean {
  const a = src.byteOffset;
  const b = dst.byteOffset + dstOffset;
  return a < b + length && b < a + length;
}

/** Byte loop, 4 bytes per trip with the key bytes in locals; `key` starts at `data[start]`. */
function maskBytes(data: Uint8Array, start: number, end: number, key: number): void {
  const k0 = key & 0xff;
  const k1 = (key >>> 8) & 0xff;
  const k2 = (key >>> 16) & 0xff;
  const k3 = key >>> 24;
  let i = start;
  for (const stop = end - 3; i < stop; i += 4) {
    data[i] ^= k0;
    data[i + 1] ^= k1;
    data[i + 2] ^= k2;
    data[i + 3] ^= k3;
  }
  if (i < end) data[i++] ^= k0;
  if (i < end) data[i++] ^= k1;
  if (i < end) data[i] ^= k2;
}

/** {@link maskBytes} writing `src ^ key` into `dst` from `dstOffset`. */
function copyBytes(src: Uint8Array, dst: Uint8Array, dstOffset: number, key: number): void {
  const k0 = key & 0xff;
  const k1 = (key >>> 8) & 0xff;
  const k2 = (key >>> 16) & 0xff;
  const k3 = key >>> 24;
  const end = src.length;
  let i = 0;
  let o = dstOffset;
  for (const stop = end - 3; i < stop; i += 4, o += 4) {
    dst[o] = src[i]! ^ k0;
    dst[o + 1] = src[i + 1]! ^ k1;
    dst[o + 2] = src[i + 2]! ^ k2;
    dst[o + 3] = src[i + 3]! ^ k3;
  }
  if (i < end) dst[o++] = src[i++]! ^ k0;
  if (i < end) dst[o++] = src[i++]! ^ k1;
  if (i < end) dst[o] = src[i]! ^ k2;
}

/** Word loop over the 4-aligned middle of `data[start..end)`; needs `end - start >= 3`. */
function maskWords(data: Uint8Array, start: number, end: number, key: number): void {
  // Head: bytes until the absolute address is a multiple of 4, rotating the key.
  let i = start;
  for (let head = (4 - ((data.byteOffset + start) & 3)) & 3; head > 0; head--) {
    data[i++] ^= key;
    key = (key >>> 8) | (key << 24);
  }
  const words = (end - i) >>> 2;
  const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
  const word = LITTLE_ENDIAN ? key : swapBytes(key);
  let w = 0;
  for (const stop = words & ~3; w < stop; w += 4) {
    view[w] ^= word;
    view[w + 1] ^= word;
    view[w + 2] ^= word;
    view[w + 3] ^= word;
  }
  for (; w < words; w++) view[w] ^= word;
  // Tail: fewer than 4 bytes, starting again at key byte 0 of the rotated key.
  for (i += words << 2; i < end; i++) {
    data[i] ^= key;
    key >>>= 8;
  }
}

function swapBytes(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

// ------------------------------------------------------------ WebAssembly

/** The slice of the WebAssembly API used here (lib ES2022 does not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** 0: not tried yet, 1: ready, 2: unavailable (use the word loop). */
let wasmState = 0;
let wasmMemory = new Uint8Array(0);
let wasmMask: (length: number, key: number) => void = () => {};

function wasmReady(): boolean {
  if (wasmState === 0) wasmState = loadWasm() ? 1 : 2;
  return wasmState === 1;
}

/** Compiles and instantiates the kernel synchronously (286 bytes: well under any sync-compile limit). */
function loadWasm(): boolean {
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (api === undefined) return false;
    const binary = atob(MASK_WASM_BASE64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    // Throws a CompileError where SIMD is not supported.
    const { exports } = new api.Instance(new api.Module(bytes), {});
    const memory = exports['memory'] as { buffer?: unknown } | undefined;
    const mask = exports['mask'];
    if (!(memory?.buffer instanceof ArrayBuffer) || typeof mask !== 'function') return false;
    // The memory cannot grow (maximum 1 page), so this view never detaches.
    wasmMemory = new Uint8Array(memory.buffer);
    wasmMask = mask as (length: number, key: number) => void;
    return true;
  } catch {
    return false;
  }
}

/**
 * A view of the first `length` bytes of WebAssembly memory, reused while the
 * length repeats (whole blocks, equal-sized frames): allocating a view costs
 * about as much as masking 1 KiB.
 */
function memoryView(length: number): Uint8Array {
  if (length !== wasmViewLength) {
    wasmView = new Uint8Array(wasmMemory.buffer, 0, length);
    wasmViewLength = length;
  }
  return wasmView;
}
let wasmView = new Uint8Array(0);
let wasmViewLength = 0;

/** `data[start..end)` through WebAssembly memory, one block at a time. */
function maskWasm(data: Uint8Array, start: number, end: number, key: number): void {
  const memory = wasmMemory;
  const whole = start === 0 && end === data.length && end <= WASM_BLOCK;
  for (let off = start; off < end; off += WASM_BLOCK) {
    const length = Math.min(WASM_BLOCK, end - off);
    // Views built directly: subarray() on a Buffer goes through its species constructor.
    memory.set(whole ? data : new Uint8Array(data.buffer, data.byteOffset + off, length));
    wasmMask(length, key);
    data.set(memoryView(length), off);
  }
}

/** `src` masked into `dst` from `dstOffset` through WebAssembly memory (disjoint buffers only). */
function copyWasm(src: Uint8Array, dst: Uint8Array, dstOffset: number, key: number): void {
  const memory = wasmMemory;
  const end = src.length;
  for (let off = 0; off < end; off += WASM_BLOCK) {
    const length = Math.min(WASM_BLOCK, end - off);
    memory.set(length === end ? src : new Uint8Array(src.buffer, src.byteOffset + off, length));
    wasmMask(length, key);
    dst.set(memoryView(length), dstOffset + off);
  }
}
