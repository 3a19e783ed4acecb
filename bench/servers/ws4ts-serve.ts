/**
 * ws4ts's standalone server, `serve()` on node:net (its own HTTP/1.1 head
 * parser, no node:http), echoing in one handler shape
 * (`--shape hooks|loop|observable`, default hooks), plus the control
 * channel. The echo benchmark's ws4ts targets (the library as a user sets
 * it up, without the demo server's extras), and the capacity benchmark's
 * second ws4ts target next to bench/servers/ws4ts-server.ts (node:http +
 * `attach`): a reconnect storm hits whichever of the two a deployment runs.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { EchoWebSocket, observe, serve, type ConnectionHandler, type Handler } from '../../src/index.js';
import { startControl } from './control.js';

const { values } = parseArgs({ options: { shape: { type: 'string', default: 'hooks' } } });
// RxJS is imported only by the observable shape, as an application using
// the other shapes would not import it (ws4ts itself loads it on first use).
const handlers: Record<string, () => Promise<Handler>> = {
  hooks: async () => EchoWebSocket,
  loop: async () =>
    (async (ws) => {
      for await (const message of ws) ws.send(message.data);
    }) satisfies ConnectionHandler,
  observable: async () => {
    const { map } = await import('rxjs');
    return observe((messages$) => messages$.pipe(map((message) => message.data)));
  },
};
const handler = await handlers[values.shape ?? 'hooks']?.();
if (handler === undefined) throw new Error(`unknown --shape ${values.shape}`);

const server = serve({ port: 0, host: '127.0.0.1', handler });
await server.listening;
startControl(
  {
    connections: () => server.manager.size,
    broadcasts: { loop: (data) => void server.manager.broadcast(data) },
  },
  (server.address() as AddressInfo).port,
);
