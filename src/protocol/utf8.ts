/**
 * UTF-8 validation for text messages and close reasons (RFC 6455 §5.6, §8.1;
 * UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates U+D800 to
 * U+DFFF, nothing above U+10FFFF).
 *
 * {@link Utf8Validator} checks a message piece by piece as its frames arrive,
 * so an invalid byte fails the connection with 1007 in the push that delivers
 * it, not when the message is complete. Between pieces it carries one small
 * number: the state of a byte-wise automaton inside an unfinished code point.
 *
 * Large runs go to Node's native `isUtf8` (SIMD, from `node:buffer`: pure
 * computation); the byte-wise automaton runs only on small pieces, on the
 * start of a piece that finishes a code point begun earlier, and on a tail
 * that begins one.
 *
 * @module
 */

import { isUtf8 } from 'node:buffer';

/**
 * Below this length {@link isValidUtf8} scans in JavaScript: calling the
 * native `isUtf8` costs about as much as scanning ~24 bytes (as in ws).
 */
const NATIVE_MIN = 24;
/**
 * Below these lengths a validator push scans in JavaScript rather than call
 * `isUtf8`: on the whole piece (a native call, ~40 ns) or on a view of part of
 * it (creating the view about doubles that). The JavaScript scan costs ~0.5 ns
 * per ASCII byte and ~2 ns per byte of multi-byte text.
 */
const PUSH_NATIVE_MIN = 48;
const PUSH_VIEW_NATIVE_MIN = 96;

/** Automaton state after an invalid byte. */
const FAILED = -1;
/** Continuation byte range once the first continuation byte is checked. */
const ANY_LO = 0x80;
const ANY_HI = 0xbf;

/**
 * Whether `data` is well-formed UTF-8 as a whole (an unfinished code point at
 * the end makes it invalid).
 *
 * @example
 * ```ts
 * isValidUtf8(new TextEncoder().encode('héllo €')); // true
 * isValidUtf8(Uint8Array.of(0xed, 0xa0, 0x80));     // false: a UTF-16 surrogate
 * ```
 */
export function isValidUtf8(data: Uint8Array): boolean {
  return data.length < NATIVE_MIN ? scan(data, 0, data.length, 0) === 0 : isUtf8(data);
}

/**
 * Streaming UTF-8 validator for one message delivered in pieces.
 *
 * {@link Utf8Validator.push | push} returns `false` from the piece that holds
 * the first invalid byte on (an invalid sequence is reported in the push that
 * delivers the byte that makes it invalid: `E0` then `80` fails at the `80`),
 * and the validator stays failed. {@link Utf8Validator.end | end} then tells
 * whether the stream stopped at a code point boundary. Call
 * {@link Utf8Validator.reset | reset} before the next message. The whole
 * state is one number, so a validator per connection costs next to nothing.
 *
 * @example
 * ```ts
 * const utf8 = new Utf8Validator();
 * for (const piece of [Uint8Array.of(0x68, 0xe2, 0x82), Uint8Array.of(0xac)]) {
 *   if (!utf8.push(piece)) throw new Error('invalid UTF-8: close with 1007');
 * }
 * if (!utf8.end()) throw new Error('message ends inside a code point: close with 1007');
 * utf8.reset();
 * ```
 */
export class Utf8Validator {
  /**
   * 0 at a code point boundary, {@link FAILED} after an invalid byte,
   * otherwise `need | lo << 2 | hi << 10`: continuation bytes still needed
   * (1 to 3) and the range the next one must lie in.
   */
  #state = 0;

  /**
   * Validates the next piece of the stream, `data[start..end)`.
   *
   * @returns `false` if this piece or an earlier one holds an invalid byte.
   * @throws RangeError when the range does not lie within `data`.
   */
  push(data: Uint8Array, start = 0, end = data.length): boolean {
    if (!(start >= 0 && start <= end && end <= data.length)) {
      throw new RangeError(`range [${start}, ${end}) is outside a buffer of ${data.length} bytes`);
    }
    let state = this.#state;
    if (state === FAILED) return false;
    let i = start;
    if (state !== 0) {
      // Finish the code point begun in an earlier piece: its remaining bytes only.
      const stop = Math.min(end, i + (state & 3));
      state = scan(data, i, stop, state);
      i = stop;
      if (state !== 0) return (this.#state = state) !== FAILED;
    }
    if (end - i < (i === 0 && end === data.length ? PUSH_NATIVE_MIN : PUSH_VIEW_NATIVE_MIN)) {
      return (this.#state = scan(data, i, end, 0)) !== FAILED;
    }
    // Hand the native check everything up to the last complete code point. A
    // valid unfinished code point has at most 3 bytes, so only a lead byte in
    // the last 3 positions can start one; any other problem at the end is a
    // real error that isUtf8 reports.
    let cut = end;
    for (let k = end - 1, stop = end - 3; k >= stop; k--) {
      const b = data[k]!;
      if ((b & 0xc0) !== 0x80) {
        if (b >= 0xc0 && k + (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2) > end) cut = k;
        break;
      }
    }
    // A view built directly: subarray() on a Buffer goes through its species constructor.
    const run = i === 0 && cut === data.length ? data : new Uint8Array(data.buffer, data.byteOffset + i, cut - i);
    if (!isUtf8(run)) {
      this.#state = FAILED;
      return false;
    }
    return (this.#state = cut === end ? 0 : scan(data, cut, end, 0)) !== FAILED;
  }

  /**
   * Ends the stream: `false` if an invalid byte was seen or the stream stops
   * inside a code point (which also marks the validator failed).
   */
  end(): boolean {
    if (this.#state !== 0) this.#state = FAILED;
    return this.#state === 0;
  }

  /** Forgets everything pushed so far, ready for a new stream. */
  reset(): void {
    this.#state = 0;
  }

  /**
   * `false` once an invalid byte was pushed (or {@link Utf8Validator.end | end}
   * found an unfinished code point); `true` otherwise, including in the middle
   * of a code point that may still be completed.
   */
  get valid(): boolean {
    return this.#state !== FAILED;
  }
}

/**
 * The byte-wise automaton over `data[i..end)` from `state` (see
 * `Utf8Validator.#state`); returns the state after the last byte, or FAILED at
 * the first invalid byte. Byte ranges per RFC 3629 §4.
 */
function scan(data: Uint8Array, i: number, end: number, state: number): number {
  let need = state & 3;
  let lo = (state >>> 2) & 0xff;
  let hi = state >>> 10;
  while (i < end) {
    if (need === 0) {
      // ASCII run, four bytes per test while at least four remain.
      while (i + 4 <= end && ((data[i]! | data[i + 1]! | data[i + 2]! | data[i + 3]!) & 0x80) === 0) i += 4;
      while (i < end && data[i]! < 0x80) i++;
      if (i === end) break;
      const b = data[i++]!;
      if (b < 0xc2) return FAILED; // a continuation byte, or C0/C1 (overlong 2-byte forms)
      if (b < 0xe0) {
        need = 1;
        lo = ANY_LO;
        hi = ANY_HI;
      } else if (b < 0xf0) {
        need = 2;
        lo = b === 0xe0 ? 0xa0 : ANY_LO; // E0 80..9F would be overlong
        hi = b === 0xed ? 0x9f : ANY_HI; // ED A0..BF would be a surrogate
      } else if (b < 0xf5) {
        need = 3;
        lo = b === 0xf0 ? 0x90 : ANY_LO; // F0 80..8F would be overlong
        hi = b === 0xf4 ? 0x8f : ANY_HI; // F4 90..BF would exceed U+10FFFF
      } else {
        return FAILED; // F5..FF never occur
      }
    } else {
      const b = data[i++]!;
      if (b < lo || b > hi) return FAILED;
      lo = ANY_LO;
      hi = ANY_HI;
      need--;
    }
  }
  return need === 0 ? 0 : need | (lo << 2) | (hi << 10);
}
