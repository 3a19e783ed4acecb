/**
 * The ceiling: a node:net server that answers the upgrade with a fixed 101
 * response and then writes back every chunk it reads, unparsed (the load
 * generator counts the echoed client frames, masked as they are). No
 * WebSocket server in Node can do less work per byte. Broadcast mode `loop`
 * writes one pre-framed message to every socket.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { startControl } from './control.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const sockets = new Set<Socket>();

function echo(this: Socket, chunk: Buffer): void {
  this.write(chunk);
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  let head: Buffer | undefined;
  const onHead = (chunk: Buffer) => {
    head = head === undefined ? chunk : Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    socket.off('data', onHead);
    const key = /sec-websocket-key:\s*(\S+)/i.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? '';
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('data', echo);
    if (end + 4 < head.length) socket.write(head.subarray(end + 4));
    head = undefined;
  };
  socket.on('data', onHead);
});

server.listen(0, '127.0.0.1', () => {
  startControl(
    {
      connections: () => sockets.size,
      broadcasts: {
        loop: (data) => {
          const frame = Buffer.allocUnsafe(data.length + (data.length < 126 ? 2 : 4));
          frame[0] = 0x82;
          if (data.length < 126) {
            frame[1] = data.length;
            frame.set(data, 2);
          } else {
            frame[1] = 126;
            frame.writeUInt16BE(data.length, 2);
            frame.set(data, 4);
          }
          for (const socket of sockets) socket.write(frame);
        },
      },
    },
    (server.address() as AddressInfo).port,
  );
});
