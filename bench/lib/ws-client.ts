/**
 * The load generator's own minimal WebSocket client side: an HTTP upgrade
 * written by hand over node:net and a frame counter that reads only frame
 * headers and skips payloads. It shares no code with ws4ts or ws, so the
 * load generator measures servers without measuring itself against them.
 *
 * @module
 */
import { connect, type Socket } from 'node:net';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** The upgrade request every benchmark client sends. */
export function upgradeRequest(host: string, port: number, path = '/'): Buffer {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    'latin1',
  );
}

/**
 * Counts complete data messages (FIN frames with opcode 0, 1 or 2) in a
 * byte stream, masked or not, reading only headers. Control frames (a
 * server's keepalive pings) are skipped and not counted. No allocation per
 * frame: a split header waits in a 14-byte spill buffer.
 */
export class FrameCounter {
  #spill = new Uint8Array(14);
  #spillLength = 0;
  #skip = 0; // payload bytes of the current frame still to skip
  #counts = false; // the current frame is a data frame with FIN
  #ping: Uint8Array | undefined; // payload of a ping being read, when pings are answered
  #pingLength = 0;
  #onPing: ((payload: Uint8Array) => void) | undefined;
  /** Data bytes (payload) seen in counted frames. */
  payloadBytes = 0;

  /**
   * @param onPing - called with the payload of every ping, so the caller can
   *   answer it (servers with keepalive drop peers that never pong).
   */
  constructor(onPing?: (payload: Uint8Array) => void) {
    this.#onPing = onPing;
  }

  /** Consume `chunk`; returns how many data messages completed in it. */
  push(chunk: Uint8Array): number {
    const length = chunk.length;
    let pos = 0;
    let done = 0;
    while (pos < length) {
      if (this.#skip > 0) {
        const take = Math.min(this.#skip, length - pos);
        if (this.#ping !== undefined) {
          this.#ping.set(chunk.subarray(pos, pos + take), this.#pingLength);
          this.#pingLength += take;
        }
        this.#skip -= take;
        pos += take;
        if (this.#skip === 0) {
          if (this.#counts) done++;
          else if (this.#ping !== undefined) this.#endPing();
        }
        continue;
      }
      // Header: fast path when it lies whole inside the chunk.
      let buf: Uint8Array = chunk;
      let at = pos;
      if (this.#spillLength > 0 || length - pos < 2 || length - pos < headerSize(chunk[pos + 1]!)) {
        const spill = this.#spill;
        while (this.#spillLength < 2 && pos < length) spill[this.#spillLength++] = chunk[pos++]!;
        if (this.#spillLength < 2) break;
        const need = headerSize(spill[1]!);
        while (this.#spillLength < need && pos < length) spill[this.#spillLength++] = chunk[pos++]!;
        if (this.#spillLength < need) break;
        buf = spill;
        at = 0;
        this.#spillLength = 0;
      } else {
        pos += headerSize(chunk[pos + 1]!);
      }
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      let len = b1 & 0x7f;
      if (len === 126) len = (buf[at + 2]! << 8) | buf[at + 3]!;
      else if (len === 127) {
        // Benchmarks stay far below 2^40 bytes: bytes 2 to 4 of the 64-bit length are 0.
        len = buf[at + 5]! * 0x100000000 + buf[at + 6]! * 0x1000000 + ((buf[at + 7]! << 16) | (buf[at + 8]! << 8) | buf[at + 9]!);
      }
      const opcode = b0 & 0x0f;
      this.#counts = (b0 & 0x80) !== 0 && opcode < 8;
      if (opcode < 8) this.payloadBytes += len;
      if (opcode === 9 && this.#onPing !== undefined) {
        this.#ping = new Uint8Array(len);
        this.#pingLength = 0;
      }
      if (len === 0) {
        if (this.#counts) done++;
        else if (this.#ping !== undefined) this.#endPing();
      } else {
        this.#skip = len;
      }
    }
    return done;
  }

  #endPing(): void {
    const payload = this.#ping!;
    this.#ping = undefined;
    this.#onPing!(payload);
  }
}

/** A masked pong frame carrying `payload` (at most 125 bytes), as a client must send it. */
export function pongFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(6 + payload.length);
  out[0] = 0x8a;
  out[1] = 0x80 | payload.length;
  out.writeUInt32LE(0x5a17c0de, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i]! ^ out[2 + (i & 3)]!;
  return out;
}

function headerSize(b1: number): number {
  const len = b1 & 0x7f;
  return 2 + (len === 126 ? 2 : len === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
}

/** An upgraded connection: the socket and any frame bytes that came with the 101 response. */
export interface Upgraded {
  readonly socket: Socket;
  readonly rest: Buffer;
}

/**
 * Connect to `host:port` and perform the WebSocket upgrade by hand. Resolves
 * once the `101` response head is in; rejects on any other status or error.
 */
export function openWebSocket(host: string, port: number, path = '/'): Promise<Upgraded> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    let head: Buffer = Buffer.alloc(0);
    const onError = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 8192) onError(new Error('upgrade response head too large'));
        return;
      }
      socket.off('data', onData);
      socket.off('error', onError);
      const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/1\.1 101 /.test(status)) {
        socket.destroy();
        reject(new Error(`upgrade refused: ${status}`));
        return;
      }
      resolve({ socket, rest: head.subarray(end + 4) });
    };
    socket.on('error', onError);
    socket.on('data', onData);
    socket.once('connect', () => socket.write(upgradeRequest(host, port, path)));
  });
}

/** Open `count` WebSockets with at most `parallel` handshakes in flight at once. */
export async function openMany(host: string, port: number, count: number, parallel = 200): Promise<Upgraded[]> {
  const out: Upgraded[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      out[index] = await openWebSocket(host, port);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return out;
}
