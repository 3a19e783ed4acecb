/**
 * `ws4ts/ws`: the server face of the `ws` package, for code written against
 * `new WebSocketServer({ port })`, `server.on('connection', …)` and
 * `handleUpgrade()`.
 *
 * It is a thin layer over the acceptor every ws4ts server uses
 * ({@link handshakeAcceptor}, src/server/upgrade.ts): the opening handshake,
 * its refusals ({@link refuse}) and the connection tracking
 * ({@link WebSocketManager}) are ws4ts's own; this file only translates
 * `ws`'s option names and events. The connections it yields are ws4ts
 * {@link WsCompatWebSocket}s: ws4ts WebSockets (WHATWG events, `for await`,
 * RxJS) that also take `ws`'s `on('message', (data, isBinary) => …)`,
 * `send(data, { binary }, cb)` and `ping(cb)`, not `ws` objects:
 * MIGRATING.md lists what changes for the code that uses them.
 *
 * @example
 * ```ts
 * import { WebSocketServer } from 'ws4ts/ws';
 * const wss = new WebSocketServer({ port: 8080 });
 * wss.on('connection', (ws) => {
 *   ws.addEventListener('message', (event) => ws.send(event.data));
 * });
 * ```
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import { STATUS_CODES, createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { acceptKey } from '../protocol/handshake.js';
import { WebSocketError } from '../protocol/errors.js';
import type { DeflateOptions } from '../extensions/index.js';
import { kOnceClosed } from '../websocket.js';
import { WsCompatWebSocket } from './ws-compat-socket.js';
import { handshakeAcceptor, upgradeListener, type HandshakeAcceptor, type Rejection, type UpgradeListener } from './upgrade.js';
import { WebSocketManager } from './manager.js';
import { refuse } from './refuse.js';

import { checkOptions, deflateOption, type ConnectionCallback, type ServerOptions, type VerifyClientInfo, type VerifyClient, type WebSocketServerEvents } from './ws-compat-options.js';
export type * from './ws-compat-options.js';
export { WsCompatWebSocket, type WsCompatEvents, type WsCompatListener, type WsSendOptions, type WsSendCallback } from './ws-compat-socket.js';

/** `ws`'s default `maxPayload` (100 MiB). */
const WS_MAX_PAYLOAD = 100 * 1024 * 1024;
const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/** The callback a synchronous verifyClient is given (it declares no second parameter, so never calls it). */
function ignoreVerdict(): void {}

function handshakeError(status: number, reason?: string, headers?: Readonly<Record<string, string>>): WebSocketError {
  return new WebSocketError('WS_ERR_HANDSHAKE', reason ?? STATUS_CODES[status] ?? 'Refused', { status, ...(headers ? { headers: { ...headers } } : {}) });
}

/**
 * A WebSocket server with the API of `ws`'s `WebSocketServer`, built on the
 * ws4ts acceptor. Connections are {@link WsCompatWebSocket}s.
 *
 * Where it differs from `ws` 8: {@link close} closes the open connections
 * (1001) instead of leaving them open; refused handshakes are answered by
 * ws4ts (plain-text reason, `wsClientError` is never emitted); server
 * connections send keepalive pings (ws4ts's default, every 20 s of silence).
 *
 * @example
 * ```ts
 * const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => console.log(wss.address()));
 * wss.on('connection', async (ws) => {
 *   for await (const message of ws) ws.send(message.data);
 * });
 * ```
 */
export class WebSocketServer extends EventEmitter {
  /** The open connections (empty, and kept so, when `clientTracking` is false). */
  readonly clients = new Set<WsCompatWebSocket>();
  /** ws4ts's manager of this server's connections (`broadcast`, `closeAll`, `shutdown`…). */
  readonly manager = new WebSocketManager();
  /** The options given, as `ws` keeps them. */
  readonly options: ServerOptions;
  #server: HttpServer | HttpsServer | undefined;
  readonly #ownServer: boolean;
  readonly #listener: UpgradeListener;
  #detach: (() => void) | undefined;
  #state = RUNNING;
  // Handed from handleUpgrade() to the acceptor, and from the 101 to the
  // handler: both hand-overs are synchronous (see #acceptor).
  #next: ConnectionCallback | undefined;
  #opening: { request: IncomingMessage; callback: ConnectionCallback | undefined } | undefined;
  // The request being validated, for handleProtocols (called synchronously by the acceptor).
  #current: IncomingMessage | undefined;

  /**
   * Throws a `TypeError` for invalid options, or unless exactly one of
   * `port`, `server` and `noServer` is given. With `port`, `callback` is
   * called once listening.
   */
  constructor(options: ServerOptions, callback?: () => void) {
    super();
    checkOptions(options);
    this.options = options;
    const server = this;
    const core = handshakeAcceptor({
      // A class per server: its opened() hook runs before the first frames
      // (even those that came with the upgrade request) are parsed, so the
      // listeners the 'connection' callback adds see every message.
      handler: class extends WsCompatWebSocket {
        override opened(): void {
          server.#connected(this);
        }
      },
      manager: this.manager,
      maxPayload: options.maxPayload ?? WS_MAX_PAYLOAD,
      ...(options.autoPong === undefined ? {} : { autoPong: options.autoPong }),
      deflate: deflateOption(options.perMessageDeflate),
      protocols: (offered) => this.#selectProtocol(offered),
      verify: options.verifyClient === undefined ? undefined : (request) => this.#verify(request as IncomingMessage),
    });
    this.#listener = upgradeListener(this.#acceptor(core));
    this.#ownServer = options.port != null;
    if (options.port != null) {
      this.#server = createServer((_request, response) => {
        const body = STATUS_CODES[426]!;
        response.writeHead(426, { 'Content-Length': Buffer.byteLength(body), 'Content-Type': 'text/plain' });
        response.end(body);
      });
      this.#server.listen(options.port, options.host, options.backlog, callback);
    } else if (options.server != null) {
      this.#server = options.server;
    }
    if (this.#server !== undefined) this.#detach = this.#listen(this.#server);
  }

  /** The address of the HTTP server, as `server.address()`; throws in `noServer` mode. */
  address(): AddressInfo | string | null {
    if (this.options.noServer === true) throw new Error('The server is operating in "noServer" mode');
    return this.#server?.address() ?? null;
  }

  /**
   * Whether this server handles `request`: its path (without the query) is
   * `options.path`, or no `path` was given. `handleUpgrade` answers 400 otherwise.
   */
  shouldHandle(request: IncomingMessage): boolean {
    if (this.options.path === undefined) return true;
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === this.options.path;
  }

  /**
   * Complete the upgrade of `request` (from an `'upgrade'` listener of your
   * own): on success `callback` gets the open WebSocket; a refused request
   * is answered (400 for another path, 503 once closing, …) and `callback`
   * is never called. `'connection'` is not emitted: do it in `callback`.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Uint8Array, callback: ConnectionCallback): void {
    if (this.#state !== RUNNING) return refuse(socket, handshakeError(503));
    if (!this.shouldHandle(request)) return refuse(socket, handshakeError(400));
    this.#next = callback;
    try {
      this.#listener(request, socket, head);
    } finally {
      this.#next = undefined;
    }
  }

  /**
   * Stop accepting, close every open connection with 1001 (`ws` 8 leaves
   * them open; ws4ts closes them, as its other servers do), close the HTTP
   * server if this one created it (a given `server` is left listening), then
   * emit `'close'`. `callback` runs on `'close'`; called again once closed,
   * it gets an `Error('The server is not running')`.
   */
  close(callback?: (error?: Error) => void): void {
    if (this.#state === CLOSED) {
      if (callback) this.once('close', () => callback(new Error('The server is not running')));
      process.nextTick(() => this.emit('close'));
      return;
    }
    if (callback) this.once('close', callback);
    if (this.#state === CLOSING) return;
    this.#state = CLOSING;
    this.#detach?.();
    this.#detach = undefined;
    const server = this.#ownServer ? this.#server : undefined;
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    const finished = this.manager.shutdown({ reason: 'server closing' }).catch(() => {});
    void Promise.all([closed, finished]).then(() => {
      this.#state = CLOSED;
      this.emit('close');
    });
  }

  #listen(server: HttpServer | HttpsServer): () => void {
    const listening = (): void => void this.emit('listening');
    const error = (cause: Error): void => void this.emit('error', cause);
    const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void =>
      this.handleUpgrade(request, socket, head, (ws, req) => this.emit('connection', ws, req));
    server.on('listening', listening);
    server.on('error', error);
    server.on('upgrade', upgrade);
    return () => {
      server.off('listening', listening);
      server.off('error', error);
      server.off('upgrade', upgrade);
    };
  }

  /** A connection opened: track it and hand it to the `handleUpgrade` callback (a throwing callback fails it with 1011, not the server). */
  #connected(ws: WsCompatWebSocket): void {
    const opening = this.#opening;
    this.#opening = undefined;
    if (this.options.clientTracking ?? true) {
      this.clients.add(ws);
      ws[kOnceClosed](() => this.clients.delete(ws));
    }
    opening?.callback?.(ws, opening.request);
  }

  /** The acceptor with `ws`'s per-request parts: the `headers` event and the `handleUpgrade` callback. */
  #acceptor(core: HandshakeAcceptor): HandshakeAcceptor {
    return (request, offer, carrier) => {
      // upgradeListener() calls this synchronously from handleUpgrade().
      const callback = this.#next;
      const req = request as IncomingMessage;
      this.#current = req;
      try {
        core(request, offer, {
          subject: carrier.subject,
          acceptStatus: carrier.acceptStatus,
          get gone() {
            return carrier.gone;
          },
          refuse: (error) => carrier.refuse(error),
          pause: () => carrier.pause(),
          open: (answer) => {
            const opened = carrier.open(this.listenerCount('headers') === 0 ? answer : { ...answer, headers: this.#emitHeaders(answer, req) });
            // The acceptor starts the handler right after this returns.
            this.#opening = { request: req, callback };
            return opened;
          },
        });
      } finally {
        this.#current = undefined;
      }
    };
  }

  #emitHeaders(answer: { protocol: string | undefined; extensions: string | undefined; headers: Record<string, string> | undefined }, request: IncomingMessage): Record<string, string> | undefined {
    const key = request.headers['sec-websocket-key'];
    const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade'];
    if (typeof key === 'string') lines.push(`Sec-WebSocket-Accept: ${acceptKey(key)}`);
    if (answer.protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${answer.protocol}`);
    if (answer.extensions !== undefined) lines.push(`Sec-WebSocket-Extensions: ${answer.extensions}`);
    for (const [name, value] of Object.entries(answer.headers ?? {})) lines.push(`${name}: ${value}`);
    const before = lines.length;
    this.emit('headers', lines, request);
    const headers: Record<string, string> = { ...answer.headers };
    for (const line of lines.slice(before)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
    return Object.keys(headers).length > 0 ? headers : undefined;
  }

  #selectProtocol(offered: readonly string[]): string | undefined {
    const handle = this.options.handleProtocols;
    if (handle === undefined) return offered[0];
    // Only the acceptor calls this, synchronously inside handleUpgrade().
    const chosen = handle(new Set(offered), this.#current!);
    return chosen === false ? undefined : chosen;
  }

  #verify(request: IncomingMessage): boolean | Rejection | Promise<boolean | Rejection> {
    const verifyClient = this.options.verifyClient!;
    const socket = request.socket as { authorized?: boolean; encrypted?: boolean } | undefined;
    const info: VerifyClientInfo = {
      origin: request.headers[Number(request.headers['sec-websocket-version']) === 8 ? 'sec-websocket-origin' : 'origin'] as string | undefined,
      secure: Boolean(socket?.authorized || socket?.encrypted),
      req: request,
    };
    if (verifyClient.length < 2) {
      return verifyClient(info, ignoreVerdict) ? true : { status: 401, reason: STATUS_CODES[401]! };
    }
    return new Promise((resolve) => {
      verifyClient(info, (result, code = 401, message, headers) => {
        resolve(result ? true : { status: code, reason: message ?? STATUS_CODES[code] ?? 'Refused', ...(headers ? { headers } : {}) });
      });
    });
  }
}

/** The typed events of {@link WebSocketServer}. */
export interface WebSocketServer {
  on<K extends keyof WebSocketServerEvents>(event: K, listener: WebSocketServerEvents[K]): this;
  once<K extends keyof WebSocketServerEvents>(event: K, listener: WebSocketServerEvents[K]): this;
  off<K extends keyof WebSocketServerEvents>(event: K, listener: WebSocketServerEvents[K]): this;
  addListener<K extends keyof WebSocketServerEvents>(event: K, listener: WebSocketServerEvents[K]): this;
  removeListener<K extends keyof WebSocketServerEvents>(event: K, listener: WebSocketServerEvents[K]): this;
  emit<K extends keyof WebSocketServerEvents>(event: K, ...args: Parameters<WebSocketServerEvents[K]>): boolean;
}

/**
 * ws4ts's WebSocket, also the client: `new WebSocket(url, protocols, options)`
 * as in `ws` and browsers (WHATWG events), with ws4ts's options.
 */
export { WebSocket } from '../websocket.js';
