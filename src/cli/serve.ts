/**
 * `ws4ts serve`: the demo server, hardened like a production default. On one
 * port: the demo page at `/` (plain GET), WebSocket endpoints `/echo` and
 * `/chat`, and an echo on every other path for ws:// clients (so it stays a
 * drop-in echo server for test suites such as Autobahn's).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { map } from 'rxjs';
import {
  EchoWebSocket,
  observe,
  serve,
  WebSocketManager,
  type ConnectionHandler,
  type Handler,
  type Route,
  type UpgradeRequest,
  type WebSocketServer,
} from '../index.js';
import { choice, integer, parse, port, UsageError } from './args.js';
import { chatHandler, Rooms } from './chat.js';
import { httpHandler } from './http.js';
import { http2Handler, selfSignedCertificate } from './http2.js';
import { startStatus } from './status.js';

export const SERVE_USAGE = `Usage: ws4ts serve [options]

The demo server: the page at http://HOST:PORT/, WebSocket endpoints /echo and
/chat, and an echo on every other path for ws:// clients.

Options:
  -p, --port N               TCP port, 0 for any free one (default $PORT or 9000)
      --host H               interface to bind (default $HOST or 127.0.0.1)
      --shape S              echo handler shape: hooks, loop or observable (default hooks)
      --no-deflate           turn permessage-deflate off (on by default)
      --broadcast            echo endpoints send every message to every echo client
      --static DIR           serve files from DIR over plain HTTP (the page stays at /)
      --tls-cert FILE        serve wss:// and https:// with this certificate (PEM)…
      --tls-key FILE         …and this key (PEM)
      --http2                also WebSockets over HTTP/2 (RFC 8441) and the page over HTTP/2;
                             TLS with a generated self-signed certificate unless --tls-cert/--tls-key
      --max-payload BYTES    largest message accepted on echo endpoints (default 16 MiB; chat: 64 KiB)
      --header-timeout MS    drop clients that do not finish their request head in time (default 5000;
                             --handshake-timeout is its old name)
      --quiet                no per-connection log lines
  -h, --help                 this help

On a terminal a status line shows connections and traffic; otherwise each
connection is logged on one line. SIGINT or SIGTERM closes every connection
(1001) and exits.`;

const OPTIONS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  shape: { type: 'string' },
  deflate: { type: 'boolean' },
  'no-deflate': { type: 'boolean' },
  broadcast: { type: 'boolean' },
  static: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  http2: { type: 'boolean' },
  'max-payload': { type: 'string' },
  'header-timeout': { type: 'string' },
  'handshake-timeout': { type: 'string' }, // deprecated: --header-timeout
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SHAPES = ['hooks', 'loop', 'observable'] as const;

function echoHandler(shape: (typeof SHAPES)[number]): Handler {
  if (shape === 'loop') {
    return (async (ws) => {
      for await (const message of ws) ws.send(message.data);
    }) satisfies ConnectionHandler;
  }
  if (shape === 'observable') return observe((messages$) => messages$.pipe(map((message) => message.data)));
  return EchoWebSocket;
}

function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

function readPem(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--${option} ${file}: ${(error as NodeJS.ErrnoException).code ?? 'cannot read'}`, 'serve');
  }
}

/** Run `ws4ts serve`; resolves once the server is listening. */
export async function runServe(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parse('serve', argv, OPTIONS);
  if (values.help) {
    console.log(SERVE_USAGE);
    return;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (did you mean: ws4ts connect ${positionals[0]}?)`, 'serve');
  const shape = choice('serve', 'shape', values.shape, SHAPES, 'hooks');
  const listenPort = port('serve', values.port ?? process.env.PORT, 9000);
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  const maxPayload = integer('serve', 'max-payload', values['max-payload'], 16 * 1024 * 1024, 1, 2 ** 31);
  // --handshake-timeout, the deprecated name, is read when --header-timeout is not given.
  const timeoutFlag = values['header-timeout'] === undefined && values['handshake-timeout'] !== undefined ? 'handshake-timeout' : 'header-timeout';
  const headerTimeout = integer('serve', timeoutFlag, values[timeoutFlag], 5_000, 1, 600_000);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together', 'serve');
  const given = values['tls-cert'] !== undefined ? { cert: readPem(values['tls-cert'], 'tls-cert'), key: readPem(values['tls-key']!, 'tls-key') } : undefined;
  // Browsers speak HTTP/2 over TLS only: --http2 without a certificate makes one.
  const tls = given ?? (values.http2 ? selfSignedCertificate() : undefined);
  const deflate = !values['no-deflate'];

  const manager = new WebSocketManager();
  const rooms = new Rooms(manager);
  const startedAt = Date.now();
  const echo = echoHandler(shape);
  const echoes = new Set<import('../index.js').WebSocket>();
  const echoRoute: Route = {
    handler: values.broadcast
      ? ((async (ws) => {
          for await (const message of ws) manager.broadcast(message.data, { filter: (other) => echoes.has(other) });
        }) satisfies ConnectionHandler)
      : echo,
    deflate,
    maxPayload,
    onConnection: (ws) => {
      echoes.add(ws);
      void ws.finished.then(() => echoes.delete(ws));
    },
  };
  const chatRoute: Route = { handler: chatHandler(rooms), deflate, maxPayload: 64 * 1024 };
  const routes = (request: UpgradeRequest): Route => (pathOf(request.url) === '/chat' ? chatRoute : echoRoute);

  const site = {
    staticDir: values.static,
    stats: () => ({ counters: manager.stats(), rooms: rooms.snapshot(), uptime: (Date.now() - startedAt) / 1000 }),
  };
  const server: WebSocketServer = serve({
    port: listenPort,
    host,
    ...(tls ? { tls } : {}),
    manager,
    routes,
    // The CLI's one knob bounds both a slow request head and a slow verify.
    headerTimeout,
    verifyTimeout: headerTimeout,
    maxHeaderBytes: 8 * 1024,
    maxHeaderCount: 64,
    onRequest: httpHandler(site),
    ...(values.http2 ? { http2: true, onStream: http2Handler(site) } : {}),
  });
  try {
    await server.listening;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot listen on ${host}:${listenPort}: ${code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`, 'serve');
  }
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : listenPort;
  const shown = host.includes(':') ? `[${host}]` : host;
  const scheme = tls ? 'wss' : 'ws';
  console.log(`ws4ts echo server (${shape}${deflate ? ', permessage-deflate' : ''}${values.broadcast ? ', broadcast' : ''}) listening on ${scheme}://${shown}:${actual}/`);
  console.log(`demo page: ${tls ? 'https' : 'http'}://${shown}:${actual}/ · endpoints /echo and /chat · stats at /stats`);
  if (values.http2) console.log(`HTTP/2: WebSockets over RFC 8441 and HTTP/1.1 upgrades on the same port${given ? '' : ' (self-signed certificate: your browser will ask)'}`);

  const stopStatus = startStatus(manager, { quiet: values.quiet === true });
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1); // a second signal: do not wait
    stopping = true;
    stopStatus();
    // Idle: resolves at once. With clients: their close handshakes, at most 2 s.
    server.close({ timeout: 2_000 }).finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
