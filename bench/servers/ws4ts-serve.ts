/**
 * ws4ts's standalone server, `serve()` on node:net (its own HTTP/1.1 head
 * parser, no node:http), with the hooks echo handler, plus the control
 * channel: the capacity benchmark's second ws4ts target, next to
 * bench/servers/ws4ts-server.ts (node:http + `attach`). A reconnect storm
 * hits whichever of the two a deployment runs.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { EchoWebSocket, serve } from '../../src/index.js';
import { startControl } from './control.js';

const server = serve({ port: 0, host: '127.0.0.1', handler: EchoWebSocket });
await server.listening;
startControl(
  {
    connections: () => server.manager.size,
    broadcasts: { loop: (data) => void server.manager.broadcast(data) },
  },
  (server.address() as AddressInfo).port,
);
