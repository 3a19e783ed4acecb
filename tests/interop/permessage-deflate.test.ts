/**
 * permessage-deflate interop with `ws` 8, both ways, with and without
 * context takeover and with small windows: the `ws` client against our
 * `attach` server, and our `connect()` client against a `ws`
 * WebSocketServer. A counting wrapper around our extension proves that both
 * sides really compressed (RSV1 messages in each direction).
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WS, { WebSocketServer, type PerMessageDeflateOptions } from 'ws';
import { permessageDeflate, type DeflateOptions } from '../../src/extensions/permessage-deflate.js';
import type { EncodedMessage, Extension, ExtensionFactory } from '../../src/protocol/extension.js';
import type { Message } from '../../src/protocol/message.js';
import { EchoWebSocket } from '../../src/websocket.js';
import { client, serverWith, until, within } from '../helpers/loopback.js';
import { wsPeer } from '../helpers/ws-peer.js';
import { pattern as patternBytes } from '../protocol/arbitraries.js';

/** Our factory, with counts of compressed messages each way. */
function counted(factory: ExtensionFactory): { factory: ExtensionFactory; counts: { compressedIn: number; compressedOut: number; disposed: number } } {
  const counts = { compressedIn: 0, compressedOut: 0, disposed: 0 };
  const note = (message: EncodedMessage): EncodedMessage => {
    if ((message.rsv & 0x40) !== 0) counts.compressedOut++;
    return message;
  };
  const wrap = (extension: Extension): Extension => ({
    name: extension.name,
    rsvMask: extension.rsvMask,
    params: extension.params,
    decode(chunks, rsv, maxSize) {
      counts.compressedIn++; // the engine calls decode only for RSV1 messages
      return extension.decode(chunks, rsv, maxSize);
    },
    encode(data, opcode) {
      const result = extension.encode(data, opcode);
      return result instanceof Promise ? result.then(note) : note(result);
    },
    dispose: () => {
      counts.disposed++;
      extension.dispose();
    },
  });
  return {
    counts,
    factory: {
      name: factory.name,
      offer: () => factory.offer(),
      accept(offers) {
        const accepted = factory.accept(offers);
        return accepted && { response: accepted.response, extension: wrap(accepted.extension) };
      },
      complete: (response) => wrap(factory.complete(response)),
    },
  };
}

function pattern(length: number, seed: number): Buffer {
  const bytes = patternBytes(length, seed);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

const json = JSON.stringify(Array.from({ length: 80 }, (_, i) => ({ id: i, name: `user ${i % 7}`, tags: ['a', 'b'] })));
const messages: (string | Buffer)[] = [
  'hello',
  '',
  'ünïcödé ✓ 🎉 '.repeat(50),
  json,
  json, // a repeat: context takeover turns it into a few back-references
  pattern(100_000, 1), // incompressible, past the synchronous limits
  Buffer.alloc(300_000, 0x61), // inflates past the synchronous output budget
  'x'.repeat(70_000),
];

/** One configuration, seen from both implementations. */
interface Variant {
  readonly name: string;
  readonly ours: DeflateOptions;
  readonly theirs: PerMessageDeflateOptions;
  /** The Sec-WebSocket-Extensions answer must match this. */
  readonly agreed: RegExp;
}

const variants: Variant[] = [
  { name: 'with context takeover', ours: {}, theirs: {}, agreed: /^permessage-deflate/ },
  {
    name: 'without context takeover',
    ours: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    theirs: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    agreed: /server_no_context_takeover.*client_no_context_takeover|client_no_context_takeover.*server_no_context_takeover/,
  },
  {
    name: 'with 8-bit windows both ways',
    ours: { serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
    theirs: { serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
    agreed: /server_max_window_bits=8.*client_max_window_bits=8|client_max_window_bits=8.*server_max_window_bits=8/,
  },
];

function same(message: Message, expected: string | Buffer): boolean {
  if (typeof expected === 'string') return message.type === 'text' && message.data === expected;
  return message.type === 'binary' && Buffer.from(message.data).equals(expected);
}

/** A `ws` WebSocketServer (echo) on 127.0.0.1:0, closed on teardown. */
async function wsEchoServer(t: ExecutionContext, perMessageDeflate: PerMessageDeflateOptions): Promise<{ server: WebSocketServer; url: string }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  server.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
  });
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of server.clients) socket.terminate();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

for (const variant of variants) {
  test(`ws client → ws4ts server: messages round-trip compressed ${variant.name}`, async (t) => {
    const { factory, counts } = counted(permessageDeflate({ ...variant.ours, threshold: 0 }));
    const { url, accepted } = await serverWith(t, { handler: EchoWebSocket, extensions: [factory] });
    const peer = await wsPeer(t, url, { perMessageDeflate: { ...variant.theirs, threshold: 0 } });
    t.regex((await accepted.next()).extensions, variant.agreed);
    t.truthy((peer.ws as WS & { _extensions: Record<string, unknown> })._extensions['permessage-deflate'], 'ws negotiated permessage-deflate');
    for (const message of messages) peer.ws.send(message, { binary: typeof message !== 'string' });
    for (const message of messages) {
      const reply = await within(peer.messages.next(), 10_000, 'echo');
      t.true(typeof message === 'string' ? reply === message : Buffer.isBuffer(reply) && reply.equals(message));
    }
    t.is(counts.compressedIn, messages.length, 'ws compressed every message');
    t.is(counts.compressedOut, messages.length, 'we compressed every echo');
    peer.ws.close(1000);
    t.is((await within(peer.closed, 5000, 'close')).code, 1000);
    await until(() => counts.disposed === 1, 5000, 'the extension disposed on close');
    t.is(counts.disposed, 1);
  });

  test(`ws4ts client → ws server: messages round-trip compressed ${variant.name}`, async (t) => {
    const { server, url } = await wsEchoServer(t, { ...variant.theirs, threshold: 0 });
    const { factory, counts } = counted(permessageDeflate({ ...variant.ours, threshold: 0 }));
    const ws = await client(t, url, { extensions: [factory] });
    t.regex(ws.extensions, variant.agreed);
    const [serverSide] = [...server.clients] as (WS & { _extensions: Record<string, unknown> })[];
    t.truthy(serverSide?._extensions['permessage-deflate'], 'ws negotiated permessage-deflate');
    for (const message of messages) ws.send(message);
    for (const message of messages) t.true(same(await within(ws.receive(), 10_000, 'echo'), message));
    t.is(counts.compressedOut, messages.length, 'we compressed every message');
    t.is(counts.compressedIn, messages.length, 'ws compressed every echo');
    const outcome = await within(ws.close(1000), 5000, 'close');
    t.is(outcome.code, 1000);
    t.is(counts.disposed, 1, 'the extension is disposed once the connection closed');
  });
}

test('ws4ts client → ws server: with default options our small messages stay uncompressed', async (t) => {
  const { url } = await wsEchoServer(t, {});
  const { factory, counts } = counted(permessageDeflate());
  const ws = await client(t, url, { extensions: [factory] });
  t.regex(ws.extensions, /^permessage-deflate/);
  ws.send('short');
  ws.send('long enough to be compressed by both sides: '.repeat(40));
  t.true(same(await within(ws.receive(), 5000, 'echo'), 'short'));
  await within(ws.receive(), 5000, 'echo');
  t.is(counts.compressedOut, 1);
  // ws applies its threshold only without context takeover: it compressed both echoes.
  t.is(counts.compressedIn, 2);
  await ws.close();
});
