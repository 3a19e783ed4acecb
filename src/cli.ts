#!/usr/bin/env node
/**
 * The command-line tool: `ws4ts [--port N] [--host H] [--shape hooks|loop|observable]
 * [--deflate | --no-deflate]` serves an echo on `ws://host:port/` (any path) using the
 * public API only. permessage-deflate is on unless `--no-deflate`.
 *
 * @module
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { map } from 'rxjs';
import { attach, EchoWebSocket, observe, type ConnectionHandler, type Handler } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    shape: { type: 'string', default: 'hooks' },
    deflate: { type: 'boolean' },
    'no-deflate': { type: 'boolean' },
  },
  allowPositionals: true,
});

const port = Number(values.port ?? process.env.PORT ?? 9000);
const host = values.host ?? process.env.HOST ?? '127.0.0.1';

const handlers: Record<string, Handler> = {
  hooks: EchoWebSocket,
  loop: (async (ws) => {
    for await (const message of ws) ws.send(message.data);
  }) satisfies ConnectionHandler,
  observable: observe((messages$) => messages$.pipe(map((message) => message.data))),
};
const handler = handlers[values.shape ?? 'hooks'];
if (handler === undefined) {
  console.error(`unknown --shape ${values.shape}: use hooks, loop or observable`);
  process.exit(2);
}

const server = createServer((_request, response) => {
  response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
  response.end('This is a WebSocket echo server: connect with ws:// to /\n');
});
// permessage-deflate is on by default (`--no-deflate` turns it off; `--deflate` is accepted
// for clarity). Every path echoes: test suites such as Autobahn's use paths of their own.
const route = { handler, deflate: !values['no-deflate'] };
attach(server, () => route);
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  console.log(`ws4ts echo server (${values.shape}${route.deflate ? ', permessage-deflate' : ''}) listening on ws://${host}:${actual}/`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
