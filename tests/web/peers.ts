/**
 * Peers for the WHATWG-face tests: a real `ws` server that echoes (and obeys
 * a few commands in text messages), and an HTTP server that refuses
 * upgrades with a status. Everything on 127.0.0.1, port 0, closed on teardown.
 *
 * @module
 */
import type { ExecutionContext } from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as WS } from 'ws';
import type { CloseEvent } from '../../src/web/events.js';
import type { WebSocket } from '../../src/websocket.js';
import { within } from '../helpers/loopback.js';

export interface EchoPeer {
  readonly url: string;
  readonly server: WebSocketServer;
  /** Server-side sockets, in order of connection. */
  readonly clients: WS[];
}

/**
 * A `ws` echo server. Text commands: `close:<code>:<reason>` closes from
 * the server, `drop` destroys the TCP connection. It selects the first
 * offered subprotocol.
 */
export async function echoPeer(t: ExecutionContext, options: { perMessageDeflate?: boolean } = {}): Promise<EchoPeer> {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: options.perMessageDeflate ?? false,
    handleProtocols: (protocols) => protocols.values().next().value ?? false,
  });
  const clients: WS[] = [];
  server.on('connection', (ws) => {
    clients.push(ws);
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      if (text.startsWith('close:')) {
        const [, code, reason] = text.split(':');
        ws.close(Number(code), reason);
      } else if (text === 'drop') ws.terminate();
      else ws.send(data, { binary: isBinary });
    });
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  t.teardown(() => {
    for (const ws of server.clients) ws.terminate();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, server, clients };
}

/** An HTTP server answering every upgrade with `status`. */
export async function refusingPeer(t: ExecutionContext, status: number): Promise<string> {
  const server: Server = createServer((_request, response) => response.writeHead(status).end('no'));
  server.on('upgrade', (_request, socket) => socket.end(`HTTP/1.1 ${status} Nope\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** Resolve with the next event of `type` on `target`. */
export function next<E extends Event = Event>(target: EventTarget, type: string, ms = 10_000): Promise<E> {
  return within(new Promise<E>((resolve) => target.addEventListener(type, (event) => resolve(event as E), { once: true })), ms, `a '${type}' event`);
}

/** Resolve once `ws` is open (rejects on close first). */
export function opened(ws: WebSocket): Promise<void> {
  return within(
    new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('close', (event) => reject(new Error(`closed before open: ${(event as CloseEvent).code}`)), { once: true });
    }),
    10_000,
    'open',
  );
}
