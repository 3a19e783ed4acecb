/**
 * Set-up shared by the tests of src/websocket/*: the echo route, message
 * data and a bare TCP server that only answers the opening handshake.
 * The loopback plumbing itself is tests/helpers/loopback.ts.
 */
import type { ExecutionContext } from 'ava';
import type { Socket } from 'node:net';
import { EchoWebSocket } from '../../src/websocket.js';
import type { Message } from '../../src/protocol/message.js';
import { accept, netServer } from '../helpers/loopback.js';

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
