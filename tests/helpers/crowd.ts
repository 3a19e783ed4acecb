/**
 * Many light raw WebSocket clients over node:net, for the load tests: the
 * upgrade request and client frames are encoded once and shared, and each
 * client keeps only a small parse state and what it received.
 *
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';

/** A fixed key: the server does not care that every client uses the same one. */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** The upgrade request for `path`, encoded once. */
export function upgradeBytes(path = '/', host = '127.0.0.1'): Buffer {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
}

/** A masked client frame (fixed mask: it only has to be a mask). */
export function maskedFrame(opcode: number, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (data.length > 125) throw new RangeError('maskedFrame: payloads up to 125 bytes');
  const mask = [0x37, 0xfa, 0x21, 0x3d];
  const out = Buffer.alloc(6 + data.length);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | data.length;
  out.set(mask, 2);
  for (let i = 0; i < data.length; i++) out[6 + i] = data[i]! ^ mask[i & 3]!;
  return out;
}

/** The masked close frame with `code`. */
export function closeFrame(code: number): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return maskedFrame(0x8, payload);
}

/** One raw client: handshake done by hand, server frames parsed (unmasked, unfragmented). */
export class CrowdClient {
  readonly socket: Socket;
  /** Text and binary messages received, as strings (binary: their byte length as `<n bytes>`). */
  readonly messages: string[] = [];
  /** Close code received, if any. */
  closeCode: number | undefined;
  /** Whether the socket is closed. */
  closed = false;
  /** HTTP status of the upgrade answer (0 until it arrives). */
  status = 0;
  /** Bytes of message payload received (counts large binary messages cheaply). */
  bytes = 0;
  /** Answer a close frame with a close frame (as a polite client does). */
  answerClose = true;
  #buffer: Buffer | undefined;
  #onMessage: (() => void) | undefined;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.#push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.#onMessage?.();
    });
  }

  /** Call `listener` after every message, close frame or end (one listener). */
  onMessage(listener: () => void): void {
    this.#onMessage = listener;
  }

  #push(chunk: Buffer): void {
    let data = this.#buffer === undefined ? chunk : Buffer.concat([this.#buffer, chunk]);
    this.#buffer = undefined;
    if (this.status === 0) {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        this.#buffer = data;
        return;
      }
      this.status = Number(data.subarray(9, 12).toString());
      data = data.subarray(end + 4);
      if (this.status !== 101) return;
    }
    let offset = 0;
    while (data.length - offset >= 2) {
      const opcode = data[offset]! & 0x0f;
      let length = data[offset + 1]! & 0x7f;
      let start = offset + 2;
      if (length === 126) {
        if (data.length - offset < 4) break;
        length = data.readUInt16BE(offset + 2);
        start = offset + 4;
      } else if (length === 127) {
        if (data.length - offset < 10) break;
        length = Number(data.readBigUInt64BE(offset + 2));
        start = offset + 10;
      }
      if (data.length < start + length) break;
      const payload = data.subarray(start, start + length);
      offset = start + length;
      if (opcode === 0x1) this.messages.push(payload.toString());
      else if (opcode === 0x2) this.messages.push(`<${length} bytes>`);
      else if (opcode === 0x9) this.socket.write(maskedFrame(0xa, Buffer.from(payload)));
      else if (opcode === 0x8) {
        this.closeCode = length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (this.answerClose && !this.socket.destroyed) this.socket.end(closeFrame(this.closeCode === 1005 ? 1000 : this.closeCode));
      }
      if (opcode === 0x1 || opcode === 0x2) this.bytes += length;
      this.#onMessage?.();
    }
    if (offset < data.length) this.#buffer = Buffer.from(data.subarray(offset));
  }

  /** Resolve once `predicate` holds (checked after each message); reject after `ms`. */
  until(predicate: (client: CrowdClient) => boolean, ms = 5000): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client condition not met within ${ms} ms (${this.messages.length} messages, close ${this.closeCode})`)), ms);
      this.onMessage(() => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.#onMessage = undefined;
        resolve();
      });
    });
  }
}

/** Open one raw client to 127.0.0.1:`port` and wait for its 101 answer. */
export function openClient(port: number, request: Buffer = upgradeBytes()): Promise<CrowdClient> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    const client = new CrowdClient(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('upgrade not answered within 10 s'));
    }, 10_000);
    const onData = (): void => {
      if (client.status === 0) return;
      socket.off('data', onData);
      clearTimeout(timer);
      if (client.status === 101) resolve(client);
      else reject(new Error(`upgrade answered ${client.status}`));
    };
    socket.on('data', onData);
    socket.once('close', () => {
      clearTimeout(timer);
      if (client.status === 0) reject(new Error('closed before the upgrade answer'));
    });
    socket.write(request);
  });
}

/** Open `count` raw clients, at most `concurrency` handshakes at a time. */
export async function openCrowd(port: number, count: number, options: { concurrency?: number; request?: Buffer } = {}): Promise<CrowdClient[]> {
  const clients: CrowdClient[] = [];
  const concurrency = options.concurrency ?? 100;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      clients.push(await openClient(port, options.request));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } catch (error) {
    for (const client of clients) client.socket.destroy();
    throw error;
  }
  return clients;
}
