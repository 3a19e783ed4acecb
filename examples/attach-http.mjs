// ws4py's wsgiref server: WebSockets on an existing node:http server, routed
// by path, next to ordinary HTTP routes. Run: npm run build && node examples/attach-http.mjs
import { createServer } from 'node:http';
import { attach, EchoWebSocket } from 'ws4ts';

const port = Number(process.env.PORT ?? 9000);

// Ordinary requests keep going to the HTTP handler…
const server = createServer((request, response) => {
  response.setHeader('Content-Type', 'text/plain');
  response.end('This is an HTTP server; the WebSocket echo is at ws://…/\n');
});
// …and upgrades on `/` get an echo. Other paths are answered 404.
const { manager } = attach(server, { '/': EchoWebSocket });

// Ctrl-C / SIGTERM: close every WebSocket with 1001, then exit.
manager.handleSignals();

server.listen(port, '127.0.0.1', () => console.log(`echo on ws://127.0.0.1:${port}/`));
