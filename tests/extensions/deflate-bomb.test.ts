/**
 * Compression bombs: a small compressed message that would inflate to far
 * more than the message limit is stopped while inflating (close 1009), and
 * the process never allocates anything near its inflated size.
 *
 * Serial tests: memory is measured, so nothing else may run meanwhile.
 */
import test from 'ava';
import { once } from 'node:events';
import { constants, deflateRawSync } from 'node:zlib';
import { permessageDeflate } from '../../src/extensions/permessage-deflate.js';
import { RSV1, SYNC_INPUT_LIMIT } from '../../src/extensions/deflate-codec.js';
import { encodeFrame } from '../../src/protocol/encoder.js';
import { closePayload, frame, rawClient, serverWith } from '../helpers/loopback.js';
import { negotiate, pair } from './deflate-harness.js';
import type { WebSocket } from '../../src/websocket.js';

const MiB = 1024 * 1024;

/**
 * `copies` × 16 MiB of zeros as one raw DEFLATE message (trailer stripped):
 * each copy is a sync-flushed segment, so the copies concatenate into one
 * valid stream. 64 copies ≈ 1 MiB that inflates to 1 GiB.
 */
function bomb(copies: number): Buffer {
  const segment = deflateRawSync(Buffer.alloc(16 * MiB), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const parts: Buffer[] = [];
  for (let i = 0; i < copies; i++) parts.push(segment);
  return Buffer.concat(parts).subarray(0, -4);
}

/** Peak growth of rss and arrayBuffers (bytes) while `work` runs, sampled every 2 ms. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; rss: number; arrayBuffers: number }> {
  const base = process.memoryUsage();
  let rss = 0;
  let arrayBuffers = 0;
  const sample = (): void => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss - base.rss);
    arrayBuffers = Math.max(arrayBuffers, now.arrayBuffers - base.arrayBuffers);
  };
  const timer = setInterval(sample, 2);
  try {
    const result = await work();
    sample();
    return { result, rss, arrayBuffers };
  } finally {
    clearInterval(timer);
  }
}

test.serial('a 1 MiB message that would inflate to 1 GiB closes with 1009 and memory stays bounded', async (t) => {
  const payload = bomb(64);
  t.true(payload.length < 1.1 * MiB, `${payload.length} bytes`);
  const { client, server } = negotiate();
  const link = pair(client, server, { maxPayload: 4 * MiB });
  const started = performance.now();
  const { rss, arrayBuffers } = await peakGrowth(async () => {
    link.server.receive(encodeFrame({ opcode: 2, fin: true, rsv: RSV1, payload }, 0x0badf00d));
    await link.run(() => link.serverEvents.length > 0);
  });
  const event = link.serverEvents[0];
  t.is(event?.type, 'error');
  if (event?.type === 'error') {
    t.is(event.error.code, 'WS_ERR_MESSAGE_TOO_BIG');
    t.is(event.error.closeCode, 1009);
  }
  t.true(rss < 100 * MiB, `rss grew ${(rss / MiB).toFixed(1)} MiB`);
  t.true(arrayBuffers < 32 * MiB, `arrayBuffers grew ${(arrayBuffers / MiB).toFixed(1)} MiB`);
  t.log(`rss +${(rss / MiB).toFixed(1)} MiB, arrayBuffers +${(arrayBuffers / MiB).toFixed(1)} MiB, ${(performance.now() - started).toFixed(0)} ms`);
  link.dispose();
});

test.serial('a small bomb is stopped on the synchronous path when the limit is below the sync budget', async (t) => {
  const payload = bomb(1); // ~16 KiB → 16 MiB: within the synchronous input limit
  t.true(payload.length <= SYNC_INPUT_LIMIT);
  const { client, server } = negotiate();
  const link = pair(client, server, { maxPayload: 100 * 1024 });
  link.server.receive(encodeFrame({ opcode: 2, fin: true, rsv: RSV1, payload }, 1));
  // The synchronous path reports the failure before receive() returns.
  const events: unknown[] = [];
  for (let e = link.server.nextEvent(); e !== undefined; e = link.server.nextEvent()) events.push(e);
  t.like(events[0], { type: 'error', error: { closeCode: 1009 } });
  link.dispose();
});

test.serial('a small bomb over the sync budget is finished off the main thread and still stopped at the limit', async (t) => {
  const payload = bomb(1);
  const { client, server } = negotiate();
  const link = pair(client, server, { maxPayload: 2 * MiB });
  link.server.receive(encodeFrame({ opcode: 2, fin: true, rsv: RSV1, payload }, 1));
  await link.run(() => link.serverEvents.length > 0);
  t.like(link.serverEvents[0], { type: 'error', error: { closeCode: 1009 } });
  link.dispose();
});

test.serial('a message that inflates to exactly the limit is delivered', async (t) => {
  const { client, server } = negotiate();
  const link = pair(client, server, { maxPayload: 1 * MiB });
  const input = Buffer.alloc(MiB, 0x61);
  const payload = deflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  link.server.receive(encodeFrame({ opcode: 2, fin: true, rsv: RSV1, payload }, 1));
  await link.run(() => link.serverEvents.length > 0);
  t.like(link.serverEvents[0], { type: 'binary' });
  link.dispose();
});

test.serial('over the network, a deflate bomb from a client is answered with close 1009', async (t) => {
  const payload = bomb(64);
  const server = await serverWith(t, {
    handler: async (ws: WebSocket) => {
      // The iterator ends with the protocol error: nothing is expected to arrive.
      await ws.receive().catch(() => undefined);
    },
    extensions: [permessageDeflate()],
    maxPayload: 4 * MiB,
  });
  const peer = await rawClient(t, server.port, '/', { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' });
  t.regex(peer.response.headers['sec-websocket-extensions'] ?? '', /^permessage-deflate/);
  const { result: close, rss } = await peakGrowth(async () => {
    peer.socket.write(frame(2, payload, { rsv: RSV1 >> 4 }));
    return peer.frames.waitFor((f) => f.opcode === 8, 10_000);
  });
  t.is(close.payload.readUInt16BE(0), 1009);
  t.true(rss < 100 * MiB, `rss grew ${(rss / MiB).toFixed(1)} MiB`);
  t.log(`rss +${(rss / MiB).toFixed(1)} MiB`);
  peer.socket.write(frame(8, closePayload(1009)));
  peer.socket.end();
  await once(peer.socket, 'close');
});
