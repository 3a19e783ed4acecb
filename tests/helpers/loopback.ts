/**
 * Loopback helpers for the end-to-end tests: an http server with `attach`,
 * raw TCP peers that speak just enough RFC 6455 to misbehave on purpose, a
 * tiny frame reader, and raw HTTP exchanges for handshake rejections.
 *
 * Everything binds 127.0.0.1 on port 0 and registers its own teardown.
 *
 * @module
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { ExecutionContext } from 'ava';
import { attach } from '../../src/server/attach.js';
import type { Routes } from '../../src/server/routes.js';
import type { UpgradeOptions } from '../../src/server/upgrade.js';
import type { WebSocket } from '../../src/websocket.js';
import { connect, type ConnectOptions } from '../../src/client.js';

/** A port that was free a moment ago (bound on port 0, then released). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolve `promise` or reject after `ms` with a clear message (no test may hang). */
export function within<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `predicate` every 5 ms until it holds; reject after `ms`. */
export async function until(predicate: () => boolean, ms = PATIENCE, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await delay(5);
  }
}

/** A listening http server; every socket it accepted is destroyed on teardown. */
export interface Listening {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  /** Server-side sockets accepted so far (raw, including upgraded ones). */
  readonly sockets: Set<Socket>;
}

/** Start an http server on 127.0.0.1:0 (optionally with a request handler) and close it on teardown. */
export async function httpServer(t: ExecutionContext, onRequest?: RequestListener): Promise<Listening> {
  const server = onRequest ? createServer(onRequest) : createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { server, port, url: `ws://127.0.0.1:${port}`, sockets };
}

/** An http server with `attach(server, routes, defaults)`. */
export async function wsServer(t: ExecutionContext, routes: Routes, defaults: Partial<UpgradeOptions> = {}): Promise<Listening> {
  const listening = await httpServer(t);
  attach(listening.server, routes, defaults);
  return listening;
}

/** A plain TCP server (for fake WebSocket servers); closed on teardown. */
export async function netServer(t: ExecutionContext, onSocket: (socket: Socket) => void): Promise<{ server: NetServer; port: number }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Open a TCP connection to 127.0.0.1:port, destroyed on teardown. */
export async function tcp(t: ExecutionContext, port: number): Promise<Socket> {
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => {});
  t.teardown(() => void socket.destroy());
  await once(socket, 'connect');
  return socket;
}

/** The accept key for `key` (RFC 6455 §4.2.2), computed independently of src/. */
export function accept(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** A parsed raw HTTP response. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Bytes after the header block (body or, for 101, the first frames). */
  readonly rest: Buffer;
}

function parseHead(data: Buffer, end: number): { status: number; headers: Record<string, string> } {
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers };
}

/** Send `request` verbatim and read the response until the server closes (for rejections). */
export async function rawHttp(t: ExecutionContext, port: number, request: string, ms = PATIENCE): Promise<RawResponse> {
  const socket = await tcp(t, port);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write(request);
  await within(once(socket, 'end'), ms, 'reading the HTTP response');
  const data = Buffer.concat(chunks);
  const end = data.indexOf('\r\n\r\n');
  const { status, headers } = parseHead(data, end);
  const rest = data.subarray(end + 4);
  return { status, headers, body: rest.toString('utf8'), rest };
}

/** A well-formed upgrade request, with headers overridable (`null` drops one). */
export function upgradeRequest(path = '/', overrides: Record<string, string | null> = {}, method = 'GET'): { text: string; key: string } {
  const key = randomBytes(16).toString('base64');
  const headers: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
    ...overrides,
  };
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) if (value !== null) text += `${name}: ${value}\r\n`;
  return { text: `${text}\r\n`, key };
}

/** A raw WebSocket client: completes the handshake, then gives the socket and a frame reader. */
export interface RawPeer {
  readonly socket: Socket;
  readonly frames: FrameReader;
  readonly response: RawResponse;
}

/** Open a raw client connection and complete the opening handshake by hand. */
export async function rawClient(t: ExecutionContext, port: number, path = '/', extra: Record<string, string | null> = {}): Promise<RawPeer> {
  const socket = await tcp(t, port);
  const { text, key } = upgradeRequest(path, extra);
  let buffered = Buffer.alloc(0);
  const head = new Promise<RawResponse>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const { status, headers } = parseHead(buffered, end);
      const rest = buffered.subarray(end + 4);
      if (status !== 101 || headers['sec-websocket-accept'] !== accept(key)) reject(new Error(`bad handshake answer ${status}`));
      resolve({ status, headers, body: '', rest });
    };
    socket.on('data', onData);
  });
  socket.write(text);
  const response = await within(head, PATIENCE, 'raw handshake');
  const frames = new FrameReader(socket);
  if (response.rest.length > 0) frames.push(response.rest);
  return { socket, frames, response };
}

/** Build one frame; client frames are masked (with a random key) unless `mask` is false. */
export function frame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), options: { fin?: boolean; mask?: boolean; rsv?: number } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const fin = options.fin ?? true;
  const mask = options.mask ?? true;
  const length = data.length;
  const headerLength = 2 + (length < 126 ? 0 : length < 65536 ? 2 : 8) + (mask ? 4 : 0);
  const out = Buffer.alloc(headerLength + length);
  out[0] = (fin ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
  let offset = 2;
  if (length < 126) out[1] = length;
  else if (length < 65536) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
    offset = 4;
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(length), 2);
    offset = 10;
  }
  if (mask) {
    out[1]! |= 0x80;
    const key = randomBytes(4);
    key.copy(out, offset);
    offset += 4;
    for (let i = 0; i < length; i++) out[offset + i] = data[i]! ^ key[i & 3]!;
  } else {
    data.copy(out, offset);
  }
  return out;
}

/** A close frame payload: code (big endian) then the reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const out = Buffer.alloc(2 + Buffer.byteLength(reason));
  out.writeUInt16BE(code, 0);
  out.write(reason, 2);
  return out;
}

/** One frame as read off the wire. */
export interface RawFrame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
}

/** Reads frames from a socket (unmasking if needed) into a queue with async waiting. */
export class FrameReader {
  readonly received: RawFrame[] = [];
  ended = false;
  // Chunks are joined only once a whole frame is in, so a 16 MiB frame costs one copy.
  #chunks: Buffer[] = [];
  #length = 0;
  #waiters: (() => void)[] = [];

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.push(chunk));
    const end = (): void => {
      this.ended = true;
      this.#wake();
    };
    socket.on('end', end);
    socket.on('close', end);
  }

  #peek(n: number): Buffer {
    if (this.#chunks[0]!.length >= n) return this.#chunks[0]!;
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    while (this.#length >= 2) {
      let b = this.#peek(Math.min(this.#length, 14));
      const masked = (b[1]! & 0x80) !== 0;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) break;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) break;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (this.#length < offset + length) break;
      b = this.#peek(offset + length);
      const payload = Buffer.from(b.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < length; i++) payload[i]! ^= b[maskOffset + (i & 3)]!;
      this.received.push({ fin: (b[0]! & 0x80) !== 0, rsv: (b[0]! >> 4) & 7, opcode: b[0]! & 0x0f, masked, payload });
      const rest = b.subarray(offset + length);
      if (rest.length > 0) this.#chunks[0] = rest;
      else this.#chunks.shift();
      this.#length -= offset + length;
    }
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Wait until a frame matching `predicate` arrived (searching from the start); reject on end or timeout. */
  async waitFor(predicate: (frame: RawFrame) => boolean, ms = PATIENCE): Promise<RawFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      if (this.ended) throw new Error('connection ended before the expected frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected frame not received within ${ms} ms`);
      await within(new Promise<void>((resolve) => this.#waiters.push(resolve)), left, 'waiting for a frame').catch(() => {});
    }
  }

  /** Wait for the socket to end. */
  async waitEnd(ms = PATIENCE): Promise<void> {
    await until(() => this.ended, ms, 'socket end');
  }
}

/** A queue of values with async `next()` (e.g. server-side WebSockets as they open). */
export class Queue<T> {
  #items: T[] = [];
  #waiters: ((value: T) => void)[] = [];

  push(value: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(value);
    else this.#items.push(value);
  }

  next(ms = PATIENCE): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    return within(new Promise<T>((resolve) => this.#waiters.push(resolve)), ms, 'waiting for the next value');
  }
}

/** A server on `/` running `options`; `accepted` yields each server-side WebSocket once open. */
export async function serverWith(t: ExecutionContext, options: UpgradeOptions): Promise<Listening & { accepted: Queue<WebSocket> }> {
  const accepted = new Queue<WebSocket>();
  const listening = await wsServer(t, {
    '/': {
      ...options,
      onConnection: (ws) => {
        options.onConnection?.(ws);
        accepted.push(ws);
      },
    },
  });
  return { ...listening, accepted };
}

/** `connect()` with a teardown that terminates the connection. */
export async function client(t: ExecutionContext, url: string, options: ConnectOptions = {}): Promise<WebSocket> {
  const ws = await within(connect(url, { timeout: PATIENCE, ...options }), PATIENCE + 1000, 'connect');
  t.teardown(() => ws.terminate());
  return ws;
}

/** A promise with its resolve/reject (Promise.withResolvers needs Node 22). */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * How long anything that should happen may take (ms). Generous on purpose:
 * CI machines are shared and loaded; tests that are about time use their
 * own bounds.
 */
export const PATIENCE = 10_000;
