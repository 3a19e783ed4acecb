/**
 * Set-up shared by the tests of src/websocket/*: the echo route, message
 * data and a bare TCP server that only answers the opening handshake.
 * The loopback plumbing itself is tests/helpers/loopback.ts.
 */
import type { ExecutionContext } from 'ava';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { EchoWebSocket, WebSocket, startWebSocket, type WebSocketInit, type WebSocketOptions } from '../../src/websocket.js';
import { WebStreamTransport } from '../../src/transport/web-stream.js';
import type { Message } from '../../src/protocol/message.js';
import { FrameReader, accept, netServer } from '../helpers/loopback.js';

/** Upgrade options whose handler echoes every message. */
export const echo = { handler: EchoWebSocket };

/** A message with its bytes as a plain Uint8Array (received binary data may be a Buffer). */
export function plain(message: Message): { type: string; data: string | Uint8Array } {
  return { type: message.type, data: typeof message.data === 'string' ? message.data : new Uint8Array(message.data) };
}

/** `length` bytes of a pattern that depends on `seed`. */
export function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/**
 * A fake WebSocket server on raw TCP: it answers the opening handshake with
 * 101 and then leaves the socket to `afterUpgrade` (by default it does
 * nothing more, not even answer a close).
 */
export async function handshakeOnly(t: ExecutionContext, afterUpgrade: (socket: Socket) => void = () => {}): Promise<{ port: number; url: string }> {
  const { port } = await netServer(t, (socket) => {
    socket.once('data', (data: Buffer) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(data.toString())![1]!;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
      afterUpgrade(socket);
    });
  });
  return { port, url: `ws://127.0.0.1:${port}/` };
}

/** A WebSocket class as servers and `connect()` build it. */
export type WebSocketClass<W extends WebSocket = WebSocket> = new (init: WebSocketInit) => W;

/** One side of an in-memory connection: what it sends, what it reads. */
export interface MemoryEnds {
  readonly server: WebStreamTransport;
  readonly client: WebStreamTransport;
}

/** Two WebStreamTransports joined back to back by TransformStreams: no sockets, no ports. */
function memoryTransports(): MemoryEnds {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  return {
    server: new WebStreamTransport({ readable: toServer.readable, writable: toClient.writable }, 'memory'),
    client: new WebStreamTransport({ readable: toClient.readable, writable: toServer.writable }, 'memory'),
  };
}

/**
 * A server-side and a client-side WebSocket connected in memory, over the
 * library's WebStreamTransport. `beforeStart` runs on the built, not yet
 * started objects (to add listeners before `open`); both are started, then
 * terminated on teardown.
 */
export function memoryPair<S extends WebSocket = WebSocket, C extends WebSocket = WebSocket>(
  t: ExecutionContext,
  setup: {
    server?: WebSocketClass<S>;
    client?: WebSocketClass<C>;
    serverOptions?: WebSocketOptions;
    clientOptions?: WebSocketOptions;
    beforeStart?: (server: S, client: C) => void;
  } = {},
): { server: S; client: C } {
  const ends = memoryTransports();
  const ServerClass = (setup.server ?? WebSocket) as WebSocketClass<S>;
  const ClientClass = (setup.client ?? WebSocket) as WebSocketClass<C>;
  const server = new ServerClass({ transport: ends.server, role: 'server', options: setup.serverOptions });
  const client = new ClientClass({ transport: ends.client, role: 'client', options: setup.clientOptions });
  t.teardown(() => {
    server.terminate();
    client.terminate();
  });
  setup.beforeStart?.(server, client);
  startWebSocket(server);
  startWebSocket(client);
  return { server, client };
}

/**
 * A server-side WebSocket whose peer is raw bytes in memory: `write` feeds
 * it (masked frames from tests/helpers/loopback.ts `frame()`), `frames`
 * reads what it sends. `head` is given to the WebSocket as the bytes read
 * with the upgrade. Not started: call `startWebSocket(ws)`.
 */
export function memoryRawPeer<W extends WebSocket = WebSocket>(
  t: ExecutionContext,
  setup: { Class?: WebSocketClass<W>; options?: WebSocketOptions; head?: Uint8Array } = {},
): { ws: W; write: (bytes: Uint8Array) => Promise<void>; end: () => Promise<void>; frames: FrameReader } {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toPeer = new TransformStream<Uint8Array, Uint8Array>();
  const Class = (setup.Class ?? WebSocket) as WebSocketClass<W>;
  const ws = new Class({
    transport: new WebStreamTransport({ readable: toServer.readable, writable: toPeer.writable }, 'memory'),
    role: 'server',
    options: setup.options,
    head: setup.head,
  });
  // FrameReader reads node:net sockets; this one is fed by hand from the readable side.
  const events = new EventEmitter();
  const frames = new FrameReader(events as unknown as Socket);
  void (async () => {
    const reader = toPeer.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        frames.push(Buffer.from(value));
      }
    } catch {
      // Aborted by a destroy: the end below.
    }
    events.emit('end');
  })();
  const writer = toServer.writable.getWriter();
  t.teardown(() => {
    ws.terminate();
    writer.abort().catch(() => {});
  });
  return { ws, write: (bytes) => writer.write(bytes), end: () => writer.close(), frames };
}

/**
 * A WebSocket class whose `hook` throws `new Error(message)`, and the list
 * its `unhandledError` fills: the set-up of every "a throwing hook is
 * reported and closes with 1011" test.
 */
export function throwingHook(hook: 'opened' | 'receivedMessage' | 'closed', message: string): { Class: WebSocketClass; reported: unknown[] } {
  const reported: unknown[] = [];
  class Throwing extends WebSocket {
    override unhandledError(error: unknown): void {
      reported.push(error);
    }
  }
  Object.defineProperty(Throwing.prototype, hook, {
    value() {
      throw new Error(message);
    },
  });
  return { Class: Throwing, reported };
}
