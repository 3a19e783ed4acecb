/**
 * The ws4ts server used by the fan-out and capacity benchmarks: the same
 * setup as `src/cli.ts` (node:http + `attach`, the hooks handler
 * `EchoWebSocket`), plus the control channel. (Echo is measured on the CLI
 * itself, the server `npm start` runs.)
 *
 * Broadcast modes:
 * - `loop`: `for (const ws of clients) ws.send(data)`, the plain loop a user writes;
 * - `prepared`: frame once with `prepareMessage`, then `sendPrepared` per connection;
 * - `manager`: `WebSocketManager.broadcast(data)` (started with `--manager`).
 * The last two are looked up at run time, so this file keeps working while
 * those APIs settle; a mode whose API is missing is reported as unsupported.
 *
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ws4ts from '../../src/index.js';
import { attach, EchoWebSocket, type WebSocket } from '../../src/index.js';
import { startControl } from './control.js';

const clients = new Set<WebSocket>();

class BenchSocket extends EchoWebSocket {
  override opened(): void {
    clients.add(this);
  }
  override closed(): void {
    clients.delete(this);
  }
}

interface ManagerLike {
  add(ws: WebSocket): void;
  broadcast(data: Uint8Array): unknown;
}
type PrepareLike = (data: Uint8Array) => unknown;
type SendPreparedLike = (prepared: unknown) => void;

const api = ws4ts as unknown as Record<string, unknown>;
const Manager = api['WebSocketManager'] as (new () => ManagerLike) | undefined;
// Only with --manager: the capacity benchmark measures a connection without a manager's bookkeeping.
const manager = process.argv.includes('--manager') && typeof Manager === 'function' ? new Manager() : undefined;
const prepare = api['prepareMessage'] as PrepareLike | undefined;

const server = createServer((_request, response) => {
  response.writeHead(426);
  response.end();
});
attach(server, { '/': BenchSocket }, manager ? { onConnection: (ws: WebSocket) => manager.add(ws) } : {});

const broadcasts: Record<string, (data: Uint8Array) => void> = {
  loop: (data) => {
    for (const ws of clients) ws.send(data);
  },
};
if (typeof prepare === 'function') {
  broadcasts['prepared'] = (data) => {
    const prepared = prepare(data);
    for (const ws of clients) (ws as unknown as { sendPrepared: SendPreparedLike }).sendPrepared(prepared);
  };
}
if (manager !== undefined && typeof manager.broadcast === 'function') {
  broadcasts['manager'] = (data) => void manager.broadcast(data);
}

server.listen(0, '127.0.0.1', () => {
  startControl({ connections: () => clients.size, broadcasts }, (server.address() as AddressInfo).port);
});
