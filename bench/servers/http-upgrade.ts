/**
 * A second baseline for the capacity benchmark: node:http accepting the
 * upgrade (as ws and ws4ts both do) and then holding the raw socket, with no
 * WebSocket state at all. What a WebSocket library adds per connection is
 * its figure minus this one. Echoes bytes unparsed, like raw-echo.ts.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { startControl } from './control.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const sockets = new Set<Duplex>();

function echo(this: Socket, chunk: Buffer): void {
  this.write(chunk);
}
function forget(this: Duplex): void {
  sockets.delete(this);
}
function ignore(): void {}

const server = createServer((_request, response) => {
  response.writeHead(426);
  response.end();
});
server.on('upgrade', (request, socket: Socket, head: Buffer) => {
  const key = String(request.headers['sec-websocket-key'] ?? '');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.setNoDelay(true);
  socket.on('error', ignore);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  sockets.add(socket);
  socket.on('close', forget);
  socket.on('data', echo);
  if (head.length > 0) socket.write(head);
});
server.listen(0, '127.0.0.1', () => {
  startControl({ connections: () => sockets.size }, (server.address() as AddressInfo).port);
});
