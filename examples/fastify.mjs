// ws4py's CherryPy tool + plugin, for Fastify 5: routes declared with
// `{ websocket: true }` take any ws4ts handler (their onRequest / preHandler
// hooks run for the upgrade and may refuse it), and the plugin decorates
// `fastify.websocketManager`. Run: npm run build && node examples/fastify.mjs
// #region fastify
import Fastify from 'fastify';
import { EchoWebSocket } from 'ws4ts';
import { ws4tsFastify } from 'ws4ts/fastify';

const port = Number(process.env.PORT ?? 9000);

const fastify = Fastify();
// Await the plugin before declaring WebSocket routes.
await fastify.register(ws4tsFastify);

// An ordinary route…
fastify.get('/health', async () => ({ connections: fastify.websocketManager.size }));

// …and the echo at `/`. A plain GET on `/` is answered 426 Upgrade Required.
// Hooks guard it like any route: { websocket: true, onRequest: requireLogin }.
fastify.get('/', { websocket: true }, EchoWebSocket);

await fastify.listen({ port, host: '127.0.0.1' });
console.log(`echo on ws://127.0.0.1:${port}/`);

// Ctrl-C / SIGTERM: fastify.close() closes every WebSocket with 1001 first.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => fastify.close().then(() => process.exit(0)));
}
// #endregion fastify
