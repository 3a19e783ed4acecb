// ws4py's CherryPy tool + plugin, for Express 5: `app.ws(path, ...middlewares,
// handler)` declares a WebSocket route next to ordinary ones (its middlewares
// run for the upgrade and may refuse it), and one manager per app tracks every
// connection. Run: npm run build && node examples/express.mjs
// #region express
import express from 'express';
import { EchoWebSocket } from 'ws4ts';
import { expressWebSockets } from 'ws4ts/express';

const port = Number(process.env.PORT ?? 9000);

const { app, manager } = expressWebSockets(express());

// An ordinary route…
app.get('/health', (request, response) => {
  response.json({ connections: manager.size });
});

// …and the echo at `/`. A plain GET on `/` skips it (here: Express's 404).
// Middlewares go before the handler, e.g. app.ws('/', requireLogin, EchoWebSocket):
// one that answers (res.status(401).send('no')) refuses the upgrade.
app.ws('/', EchoWebSocket);

// app.listen's server routes upgrades through the app; closing it closes
// every WebSocket with 1001.
const server = app.listen(port, '127.0.0.1', () => console.log(`echo on ws://127.0.0.1:${port}/`));

// Ctrl-C / SIGTERM: close the server (and so every WebSocket, 1001), then exit.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
// #endregion express
