// ws4py's asyncio server: a standalone server on node:net that reads the
// HTTP upgrade request itself (no node:http), with limits on header size and
// handshake time. Run: npm run build && node examples/standalone.mjs
// #region standalone
import { serve, EchoWebSocket } from 'ws4ts';

const port = Number(process.env.PORT ?? 9000);

const server = serve({
  port,
  host: '127.0.0.1',
  routes: { '/': EchoWebSocket }, // other paths get 404
  maxHeaderBytes: 8 * 1024, // 431 beyond
  headerTimeout: 5_000, // slowloris clients are dropped after 5 s
  // For wss://, add: tls: { key: readFileSync('key.pem'), cert: readFileSync('cert.pem') }
});

// Ctrl-C / SIGTERM: stop listening, close every connection with 1001, exit.
server.manager.handleSignals();

await server.listening;
console.log(`echo on ws://127.0.0.1:${port}/`);
// #endregion standalone
