import test from 'ava';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  EMPTY_MESSAGE,
  TRAILER,
  chunkSizeFor,
  closedError,
  compact,
  deflateFailed,
  invalidData,
  mapInflateError,
  stripTrailer,
} from '../../src/extensions/deflate-payload.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { tooBig } from '../../src/extensions/zlib-stream.js';

const inflate = (payload: Uint8Array) => inflateRawSync(Buffer.concat([payload, TRAILER]), { finishFlush: constants.Z_SYNC_FLUSH });

test('RFC 7692 §7.2.1: a sync flush’s 00 00 ff ff is stripped, and §7.2.2 appending it restores the message', (t) => {
  const flushed = deflateRawSync(Buffer.from('Hello'), { finishFlush: constants.Z_SYNC_FLUSH });
  t.deepEqual([...flushed.subarray(-4)], [0, 0, 0xff, 0xff]);
  const payload = stripTrailer(flushed);
  t.is(payload.length, flushed.length - 4);
  t.is(payload.buffer, flushed.buffer, 'a view, no copy');
  t.is(inflate(payload).toString(), 'Hello');
  // §7.2.3.1's example: "Hello" compressed without context takeover.
  t.deepEqual([...stripTrailer(Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff]))], [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
});

test('stripTrailer leaves output that does not end with the trailer alone', (t) => {
  for (const bytes of [[], [0xff, 0xff], [0, 0, 0xff], [0, 1, 0xff, 0xff], [0, 0, 0xff, 0xfe]]) {
    const out = Buffer.from(bytes);
    t.is(stripTrailer(out), out, JSON.stringify(bytes));
  }
});

test('RFC 7692 §7.2.3.6: the empty message is one byte that the appended trailer completes into an empty stored block', (t) => {
  t.deepEqual([...EMPTY_MESSAGE], [0x00]);
  t.is(inflate(EMPTY_MESSAGE).length, 0);
});

test('output chunks are powers of two from 1 KiB to 64 KiB, at least the estimate when they can be', (t) => {
  t.is(chunkSizeFor(0), 1024);
  t.is(chunkSizeFor(1024), 1024);
  t.is(chunkSizeFor(1025), 2048);
  t.is(chunkSizeFor(40_000), 65_536);
  t.is(chunkSizeFor(10_000_000), 65_536);
});

test('compact copies a small view into a large chunk, and leaves whole or pooled buffers alone', (t) => {
  const big = Buffer.alloc(64 * 1024);
  const small = big.subarray(0, 100);
  const copied = compact(small);
  t.not(copied.buffer, big.buffer);
  t.deepEqual(copied, small);
  t.is(compact(big), big, 'no slack');
  // A view into an 8 KiB slab, like Node's buffer pool (built by hand: the
  // pool's size and use differ between Node versions).
  const pooled = Buffer.from(new ArrayBuffer(8192), 100, 2);
  t.is(compact(pooled), pooled, 'slack of at most 8 KiB');
  const mostly = big.subarray(0, 40 * 1024);
  t.is(compact(mostly), mostly, 'more used than slack');
});

test('RFC 6455 §7.4.1: bad compressed data closes with 1007 (remote), a failed compression or a disposed codec with 1011 (local)', (t) => {
  const zlibError = new Error('invalid stored block lengths');
  const bad = invalidData(zlibError);
  t.like(bad, { code: 'WS_ERR_EXTENSION_FAILED', closeCode: 1007, side: 'remote', cause: zlibError });
  t.regex(bad.message, /invalid stored block lengths/);
  t.regex(invalidData('x').message, /unknown error/);
  t.true(invalidData(new Error('e'.repeat(500))).message.length < 100, 'the detail is cut short');
  t.like(deflateFailed(zlibError), { code: 'WS_ERR_EXTENSION_FAILED', closeCode: 1011, side: 'local', cause: zlibError });
  t.like(closedError(), { code: 'WS_ERR_CLOSED', closeCode: 1011, side: 'local' });
});

test('an inflate stream’s error: our limit error (1009) stays, zlib’s becomes bad data (1007)', (t) => {
  const limit = tooBig(100);
  t.is(mapInflateError(limit), limit);
  t.is(limit.closeCode, 1009);
  const mapped = mapInflateError(new Error('incorrect header check'));
  t.true(mapped instanceof WebSocketError);
  t.is(mapped.closeCode, 1007);
});
