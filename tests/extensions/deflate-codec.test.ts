/**
 * The permessage-deflate transform (RFC 7692 §6–§7): round trips through two
 * Connections for every parameter combination, the wire format against
 * plain zlib, context takeover, lazy and idle release of zlib state, and
 * failures (bad data, RSV1 where it may not be).
 */
import test from 'ava';
import fc from 'fast-check';
import { constants, createInflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { PerMessageDeflate, RSV1 } from '../../src/extensions/deflate-codec.js';
import { ZlibPool } from '../../src/extensions/zlib-pool.js';
import type { DeflateOptions } from '../../src/extensions/permessage-deflate.js';
import { encodeFrame } from '../../src/protocol/encoder.js';
import type { EncodedMessage } from '../../src/protocol/extension.js';
import { pattern } from '../protocol/arbitraries.js';
import { negotiate, pair, sameMessage, type Cut } from './deflate-harness.js';

const TRAILER = Buffer.from([0, 0, 0xff, 0xff]);

function codec(overrides: Partial<ConstructorParameters<typeof PerMessageDeflate>[0]> = {}): PerMessageDeflate {
  return new PerMessageDeflate({
    params: [],
    localNoContextTakeover: false,
    remoteNoContextTakeover: false,
    localMaxWindowBits: 15,
    remoteMaxWindowBits: 15,
    level: 1,
    memLevel: 8,
    threshold: 0,
    idleTimeout: 10_000,
    pool: new ZlibPool(),
    ...overrides,
  });
}

const text = (s: string): Uint8Array => Buffer.from(s);

// ─── the round-trip property ────────────────────────────────────────────────

/** Client options for one parameter combination (the server runs with defaults and follows them). */
interface Combo {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

const comboArb: fc.Arbitrary<Combo> = fc.record({
  serverNoContextTakeover: fc.boolean(),
  clientNoContextTakeover: fc.boolean(),
  serverMaxWindowBits: fc.constantFrom(8, 9, 15),
  clientMaxWindowBits: fc.constantFrom(8, 9, 15),
});

const messageArb: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 3000 }) },
  // Compressible text: repeats reach back into earlier messages with context takeover.
  { weight: 4, arbitrary: fc.tuple(fc.string({ minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 300 })).map(([s, n]) => s.repeat(n)) },
  // Rare large messages take the asynchronous paths: incompressible (inflate
  // input over the sync limit) and compressible (output over the sync budget).
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 33 * 1024, max: 150 * 1024 }), fc.integer()).map(([n, seed]) => pattern(n, seed)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 129 * 1024, max: 300 * 1024 }), fc.integer({ min: 0, max: 255 })).map(([n, b]) => new Uint8Array(n).fill(b)) },
);

const cutArb: fc.Arbitrary<Cut> = fc.oneof(
  fc.constant<Cut>({ kind: 'whole' }),
  fc.integer({ min: 1, max: 17 }).map((size): Cut => ({ kind: 'size', size })),
  fc.array(fc.nat(), { maxLength: 12 }).map((cuts): Cut => ({ kind: 'cuts', cuts })),
);

test('any sequence of messages round-trips both ways for every parameter combination and any byte split', async (t) => {
  await t.notThrowsAsync(
    fc.assert(
      fc.asyncProperty(comboArb, fc.array(messageArb, { minLength: 1, maxLength: 6 }), fc.constantFrom(0, 16, 1024), cutArb, async (combo, messages, threshold, spec) => {
        const { client, server } = negotiate({ ...combo, threshold } satisfies DeflateOptions, { threshold });
        const link = pair(client, server);
        try {
          for (const message of messages) {
            link.client.send(message);
            link.server.send(message);
          }
          await link.run(() => link.serverEvents.length >= messages.length && link.clientEvents.length >= messages.length, spec);
          if (link.serverEvents.length !== messages.length || link.clientEvents.length !== messages.length) return false;
          return messages.every((m, i) => sameMessage(link.serverEvents[i], m) && sameMessage(link.clientEvents[i], m));
        } finally {
          link.dispose();
        }
      }),
      { numRuns: 1000 },
    ),
    'the property holds for every generated case',
  );
});

test('what we send decodes with one continuous zlib stream, as a stream-based peer (ws) reads it', async (t) => {
  // Our own decoder inflates each message on its own; a peer such as ws keeps
  // one inflate stream per connection, so message boundaries must be exact.
  await t.notThrowsAsync(
    fc.assert(
      fc.asyncProperty(fc.array(messageArb, { maxLength: 8 }), fc.constantFrom(8, 9, 12, 15), fc.boolean(), async (messages, bits, noContextTakeover) => {
        const sender = codec({ localMaxWindowBits: bits, localNoContextTakeover: noContextTakeover });
        const peer = createInflateRaw({ windowBits: Math.max(9, bits) });
        const errors: Error[] = [];
        peer.on('error', (error) => errors.push(error));
        try {
          for (const message of messages) {
            const bytes = typeof message === 'string' ? Buffer.from(message) : message;
            const { data, rsv } = (await sender.encode(bytes, 2)) as EncodedMessage;
            if (rsv !== RSV1) return false;
            const out: Buffer[] = [];
            const onData = (chunk: Buffer): number => out.push(chunk);
            peer.on('data', onData);
            peer.write(data);
            peer.write(TRAILER);
            // A stream that failed never calls back from flush: wait for either.
            await new Promise<void>((resolve) => {
              peer.once('error', () => resolve());
              peer.flush(constants.Z_SYNC_FLUSH, () => resolve());
            });
            peer.off('data', onData);
            if (errors.length > 0 || !Buffer.concat(out).equals(bytes)) return false;
          }
          return true;
        } finally {
          peer.destroy();
          sender.dispose();
        }
      }),
      { numRuns: 300 },
    ),
    'the property holds for every generated case',
  );
});

// ─── the wire format ────────────────────────────────────────────────────────

test('RFC 7692 §7.2.1: a compressed message is raw DEFLATE without the trailing 00 00 ff ff, flagged RSV1', async (t) => {
  const c = codec({ localNoContextTakeover: true });
  const input = text('Hello, hello, hello, hello!');
  const { data, rsv } = (await c.encode(input, 1)) as EncodedMessage;
  t.is(rsv, RSV1);
  t.notDeepEqual(Buffer.from(data.subarray(-4)), TRAILER);
  t.deepEqual(inflateRawSync(Buffer.concat([data, TRAILER]), { finishFlush: constants.Z_SYNC_FLUSH }), Buffer.from(input));
  c.dispose();
});

test('RFC 7692 §7.2.2: a message compressed by plain zlib decodes', async (t) => {
  const c = codec({ remoteNoContextTakeover: true });
  const input = Buffer.from('A plain zlib stream, sync-flushed, trailer removed. '.repeat(20));
  const deflated = deflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH });
  const out = await c.decode([deflated.subarray(0, -4)], RSV1, 1 << 20);
  t.deepEqual(Buffer.from(out), input);
  c.dispose();
});

test('RFC 7692 §7.2.3.6: an empty message compresses to one 0x00 byte and decodes back', async (t) => {
  const sender = codec();
  const receiver = codec();
  const { data } = (await sender.encode(new Uint8Array(0), 2)) as EncodedMessage;
  t.deepEqual([...data], [0]);
  t.is((await receiver.decode([data], RSV1, 10)).length, 0);
  t.is((await receiver.decode([new Uint8Array(0)], RSV1, 10)).length, 0);
  sender.dispose();
  receiver.dispose();
});

test('a message below the threshold is sent as is with RSV1 clear', async (t) => {
  const c = codec({ threshold: 1024 });
  const small = new Uint8Array(1023).fill(1);
  const result = c.encode(small, 2) as EncodedMessage;
  t.is(result.rsv, 0);
  t.is(result.data, small);
  const big = new Uint8Array(1024).fill(1);
  t.is(((await c.encode(big, 2)) as EncodedMessage).rsv, RSV1);
  c.dispose();
});

test('RFC 7692 §7.2.3.2: with context takeover a repeated message references the previous one', async (t) => {
  const message = pattern(4000, 7);
  const takeover = codec();
  const first = ((await takeover.encode(message, 2)) as EncodedMessage).data.length;
  const second = ((await takeover.encode(message, 2)) as EncodedMessage).data.length;
  t.true(first > 3900, `random bytes do not compress (${first})`);
  t.true(second < 100, `the repeat is a back-reference (${second})`);
  const fresh = codec({ localNoContextTakeover: true });
  await fresh.encode(message, 2);
  t.true(((await fresh.encode(message, 2)) as EncodedMessage).data.length > 3900);
  takeover.dispose();
  fresh.dispose();
});

test('a decoder with context takeover follows a peer that references earlier messages', async (t) => {
  const sender = codec();
  const receiver = codec();
  const messages = [text('the first message, long enough to be referenced'), text('the first message, long enough to be referenced!'), pattern(70_000, 3), text('the first message again')];
  for (const message of messages) {
    const { data } = (await sender.encode(message, 2)) as EncodedMessage;
    t.deepEqual(Buffer.from(await receiver.decode([data], RSV1, 1 << 20)), Buffer.from(message));
  }
  sender.dispose();
  receiver.dispose();
});

test('window bits 8: the output fits a strict 256-byte-window decoder across messages', async (t) => {
  const c = codec({ localMaxWindowBits: 8 });
  // A strict decoder: 64-byte output chunks leave only the 256-byte window to look back into.
  const strict = createInflateRaw({ windowBits: 8, chunkSize: 64 });
  const errors: Error[] = [];
  strict.on('error', (error) => errors.push(error));
  const out: Buffer[] = [];
  strict.on('data', (chunk: Buffer) => out.push(chunk));
  const block = pattern(300, 1); // repeats 300 bytes apart: too far for 256
  const messages = [Buffer.concat([block, block, block]), Buffer.concat([pattern(200, 2), pattern(200, 2)]), Buffer.from(block)];
  for (const message of messages) {
    const { data } = (await c.encode(message, 2)) as EncodedMessage;
    strict.write(data);
    strict.write(TRAILER);
  }
  await new Promise<void>((resolve) => strict.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  t.deepEqual(errors, []);
  t.deepEqual(Buffer.concat(out), Buffer.concat(messages));
  strict.destroy();
  c.dispose();
});

// ─── memory: lazy creation, release ─────────────────────────────────────────

test('no zlib state exists before the first compressed message', async (t) => {
  const { client, server } = negotiate({ threshold: 1024 }, { threshold: 1024 });
  const link = pair(client, server);
  link.client.send('short');
  link.server.send('short');
  await link.run(() => link.serverEvents.length === 1 && link.clientEvents.length === 1);
  for (const extension of [client, server] as PerMessageDeflate[]) {
    t.false(extension.holdsDeflateContext);
    t.false(extension.holdsHistory);
  }
  link.client.send('x'.repeat(2000));
  await link.run(() => link.serverEvents.length === 2);
  t.true((client as PerMessageDeflate).holdsDeflateContext);
  t.true((server as PerMessageDeflate).holdsHistory);
  link.dispose();
  t.false((client as PerMessageDeflate).holdsDeflateContext);
  t.false((server as PerMessageDeflate).holdsHistory);
});

test('without context takeover nothing is kept between messages', async (t) => {
  const { client, server } = negotiate({ serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 0 });
  const link = pair(client, server);
  for (const size of [100, 5000, 100_000]) {
    link.client.send(new Uint8Array(size).fill(9));
    link.server.send(new Uint8Array(size).fill(9));
  }
  await link.run(() => link.serverEvents.length === 3 && link.clientEvents.length === 3);
  t.true(link.serverEvents.every((e) => e.type === 'binary'));
  for (const extension of [client, server] as PerMessageDeflate[]) {
    t.false(extension.holdsDeflateContext);
    t.false(extension.holdsHistory);
  }
  link.dispose();
});

test('an idle deflate context is released and the next message still decodes', async (t) => {
  const pool = new ZlibPool({ concurrency: 2 });
  const sender = codec({ idleTimeout: 30, pool });
  const receiver = codec();
  const message = text('a message worth compressing, a message worth compressing');
  t.deepEqual(Buffer.from(await receiver.decode([((await sender.encode(message, 1)) as EncodedMessage).data], RSV1, 1000)), Buffer.from(message));
  t.true(sender.holdsDeflateContext);
  t.is(pool.tracked, 1);
  await new Promise((resolve) => setTimeout(resolve, 120));
  t.false(sender.holdsDeflateContext);
  t.is(pool.tracked, 0);
  t.deepEqual(Buffer.from(await receiver.decode([((await sender.encode(message, 1)) as EncodedMessage).data], RSV1, 1000)), Buffer.from(message));
  sender.dispose();
  receiver.dispose();
});

test('dispose frees the pool slots of work in flight and later calls degrade safely', async (t) => {
  const pool = new ZlibPool({ concurrency: 1 });
  const c = codec({ pool });
  void c.encode(pattern(50_000, 1), 2);
  void c.encode(pattern(50_000, 2), 2);
  t.is(pool.active, 1);
  c.dispose();
  t.is(pool.active, 0);
  t.is(pool.tracked, 0);
  const after = c.encode(text('still sendable'), 1) as EncodedMessage;
  t.is(after.rsv, 0);
  t.throws(() => c.decode([new Uint8Array([0])], RSV1, 10), { code: 'WS_ERR_CLOSED' });
  c.dispose();
});

// ─── failures ───────────────────────────────────────────────────────────────

test('invalid compressed data fails the connection with 1007 (small message, synchronous path)', async (t) => {
  const { client, server } = negotiate();
  const link = pair(client, server);
  link.server.receive(encodeFrame({ opcode: 2, fin: true, rsv: RSV1, payload: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }, 0x01020304));
  await link.run(() => link.serverEvents.length > 0);
  const event = link.serverEvents[0];
  t.is(event?.type, 'error');
  if (event?.type === 'error') {
    t.is(event.error.closeCode, 1007);
    t.is(event.error.code, 'WS_ERR_EXTENSION_FAILED');
  }
  link.dispose();
});

test('invalid compressed data fails the connection with 1007 (large message, asynchronous path)', async (t) => {
  const c = codec();
  // A dynamic-Huffman block header followed by 100 KiB of noise.
  const garbage = Buffer.concat([Buffer.from([0x04]), Buffer.from(pattern(100_000, 5))]);
  const error = await t.throwsAsync(async () => c.decode([garbage], RSV1, 1 << 20));
  t.is((error as { closeCode?: number }).closeCode, 1007);
  c.dispose();
});

test('RFC 7692 §6.1: RSV1 on a control frame fails with 1002 even with permessage-deflate', async (t) => {
  const { client, server } = negotiate();
  const link = pair(client, server);
  link.server.receive(encodeFrame({ opcode: 9, fin: true, rsv: RSV1, payload: new Uint8Array(0) }, 0x01020304));
  await link.run(() => link.serverEvents.length > 0);
  const event = link.serverEvents[0];
  t.is(event?.type === 'error' ? event.error.closeCode : undefined, 1002);
  link.dispose();
});

test('RFC 7692 §6.1: RSV1 on a continuation frame fails with 1002 even with permessage-deflate', async (t) => {
  const { client, server } = negotiate();
  const link = pair(client, server);
  link.server.receive(encodeFrame({ opcode: 2, fin: false, rsv: RSV1, payload: new Uint8Array([0]) }, 0x01020304));
  link.server.receive(encodeFrame({ opcode: 0, fin: true, rsv: RSV1, payload: new Uint8Array([0]) }, 0x01020304));
  await link.run(() => link.serverEvents.length > 0);
  const event = link.serverEvents[0];
  t.is(event?.type === 'error' ? event.error.closeCode : undefined, 1002);
  link.dispose();
});

test('a compressed message fragmented over several frames decodes', async (t) => {
  const { client, server } = negotiate();
  const link = pair(client, server);
  const input = Buffer.from('fragmented and compressed. '.repeat(100));
  const deflated = deflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  const third = Math.floor(deflated.length / 3);
  link.server.receive(encodeFrame({ opcode: 1, fin: false, rsv: RSV1, payload: deflated.subarray(0, third) }, 1));
  link.server.receive(encodeFrame({ opcode: 0, fin: false, rsv: 0, payload: deflated.subarray(third, 2 * third) }, 2));
  link.server.receive(encodeFrame({ opcode: 0, fin: true, rsv: 0, payload: deflated.subarray(2 * third) }, 3));
  await link.run(() => link.serverEvents.length > 0);
  t.true(sameMessage(link.serverEvents[0], input.toString()));
  link.dispose();
});

test('compressed text that is not UTF-8 once inflated fails with 1007', async (t) => {
  const { client, server } = negotiate();
  const link = pair(client, server);
  const deflated = deflateRawSync(Buffer.from([0x61, 0xff, 0x62]), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  link.server.receive(encodeFrame({ opcode: 1, fin: true, rsv: RSV1, payload: deflated }, 1));
  await link.run(() => link.serverEvents.length > 0);
  const event = link.serverEvents[0];
  t.is(event?.type === 'error' ? event.error.closeCode : undefined, 1007);
  link.dispose();
});

test('a limit of 0 bytes admits only empty messages', async (t) => {
  const c = codec({ remoteNoContextTakeover: true });
  const one = deflateRawSync(Buffer.from('a'), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  t.throws(() => c.decode([one], RSV1, 0), { code: 'WS_ERR_MESSAGE_TOO_BIG' });
  t.is((await c.decode([Buffer.from([0])], RSV1, 0)).length, 0);
  c.dispose();
});
