/**
 * The options of `ws4ts/ws`'s {@link WebSocketServer} (`ws`'s names), their
 * check, and their translation into ws4ts's deflate options.
 *
 * @module
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { OptionsChecker } from '../protocol/check.js';
import type { DeflateOptions } from '../extensions/index.js';
import { checkServer } from '../options.js';
import type { WsCompatWebSocket } from './ws-compat-socket.js';

/** What `handleUpgrade` calls with the accepted connection, as in `ws`. */
export type ConnectionCallback = (ws: WsCompatWebSocket, request: IncomingMessage) => void;

/** What `verifyClient` is given, as in `ws`. */
export interface VerifyClientInfo {
  /** The `Origin` header (`Sec-WebSocket-Origin` for protocol version 8), if any. */
  readonly origin: string | undefined;
  /** True when the request came over TLS. */
  readonly secure: boolean;
  /** The upgrade request. */
  readonly req: IncomingMessage;
}

/** The callback of the asynchronous `verifyClient` form: `false` refuses with `code` (default 401). */
export type VerifyClientCallback = (result: boolean, code?: number, message?: string, headers?: Readonly<Record<string, string>>) => void;

/**
 * `ws`'s `verifyClient`, in either form, told apart (as `ws` does) by the
 * number of parameters it declares: `(info) => boolean` answers at once;
 * `(info, callback) => void` answers through `callback`. One signature, so
 * that an inline function's parameters are typed in both forms.
 */
export type VerifyClient = (info: VerifyClientInfo, callback: VerifyClientCallback) => boolean | void;

/**
 * `ws`'s `perMessageDeflate` object. ws4ts's own {@link DeflateOptions}
 * names are accepted too; `zlibDeflateOptions` contributes `level` and
 * `memLevel` only (`zlibInflateOptions` is not supported: inflation is
 * bounded by `maxPayload`).
 */
export interface PerMessageDeflateOptions extends Omit<DeflateOptions, 'clientMaxWindowBits'> {
  /** Like `ws`: `false` is the same as leaving it out. */
  readonly clientMaxWindowBits?: number | boolean;
  /** `ws`'s name for {@link DeflateOptions.concurrency}. */
  readonly concurrencyLimit?: number;
  /** Only `level` and `memLevel` are used. */
  readonly zlibDeflateOptions?: { readonly level?: number; readonly memLevel?: number };
}

/** Options of {@link WebSocketServer}, named as in `ws`. Exactly one of `port`, `server` and `noServer`. */
export interface ServerOptions {
  /** Create a node:http server and listen on this port (0: any free port). */
  readonly port?: number;
  /** With `port`: the address to listen on. Default: all interfaces, as `server.listen()`. */
  readonly host?: string;
  /** With `port`: the listen backlog. */
  readonly backlog?: number;
  /** Handle upgrades on this existing node:http / node:https server. */
  readonly server?: HttpServer | HttpsServer;
  /** Handle nothing by itself: call {@link WebSocketServer.handleUpgrade} from your own `'upgrade'` listener. */
  readonly noServer?: boolean;
  /** Accept only this path (the query string is ignored); other upgrades get 400. Default: any path. */
  readonly path?: string;
  /**
   * Choose a subprotocol among those offered; `false` selects none. Default,
   * as `ws`: the first one offered. Called before `verifyClient` (`ws` calls
   * it after).
   */
  readonly handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false;
  /** Accept or refuse a request (default refusal 401). */
  readonly verifyClient?: VerifyClient;
  /** Largest message in bytes; a larger one closes the connection with 1009. Default, as `ws`: 100 MiB. */
  readonly maxPayload?: number;
  /** permessage-deflate (RFC 7692). Default, as `ws` servers: off. */
  readonly perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Keep the open connections in {@link WebSocketServer.clients}. Default true. */
  readonly clientTracking?: boolean;
  /** Answer pings automatically. Default true. */
  readonly autoPong?: boolean;
}

/** The events of a {@link WebSocketServer} and their listeners. */
export interface WebSocketServerEvents {
  /** A connection is open. */
  connection: (ws: WsCompatWebSocket, request: IncomingMessage) => void;
  /** The HTTP server (created or given) is listening. */
  listening: () => void;
  /** The HTTP server (created or given) failed, e.g. `EADDRINUSE`. */
  error: (error: Error) => void;
  /**
   * The 101 response is about to be written: `headers` holds its status line
   * and header lines; lines pushed onto it (`'Name: value'`) are sent too.
   * Changing or removing the lines already there has no effect.
   */
  headers: (headers: string[], request: IncomingMessage) => void;
  /** The server is closed (see {@link WebSocketServer.close}). */
  close: () => void;
}

/** `perMessageDeflate` in ws4ts's terms. */
export function deflateOption(value: ServerOptions['perMessageDeflate']): boolean | DeflateOptions {
  if (value === undefined || typeof value === 'boolean') return value ?? false;
  const { concurrencyLimit, zlibDeflateOptions, clientMaxWindowBits, ...rest } = value;
  return {
    ...rest,
    ...(clientMaxWindowBits === undefined || clientMaxWindowBits === false ? {} : { clientMaxWindowBits: clientMaxWindowBits === true ? true : clientMaxWindowBits }),
    ...(concurrencyLimit === undefined ? {} : { concurrency: concurrencyLimit }),
    ...(zlibDeflateOptions?.level === undefined ? {} : { level: zlibDeflateOptions.level }),
    ...(zlibDeflateOptions?.memLevel === undefined ? {} : { memLevel: zlibDeflateOptions.memLevel }),
  };
}

/** Throws a `TypeError`/`RangeError` for a wrong option. */
export function checkOptions(options: unknown): asserts options is ServerOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('WebSocketServer: options must be an object');
  const o = options as ServerOptions;
  const modes = [o.port != null, o.server != null, o.noServer === true].filter(Boolean).length;
  if (modes !== 1) throw new TypeError('WebSocketServer: exactly one of the "port", "server" and "noServer" options must be given');
  const c = new OptionsChecker('WebSocketServer', options);
  c.number('port', 'a port number (0 to 65535)', { min: 0, max: 65535, integer: true });
  c.string('host');
  c.number('backlog', 'a non-negative integer', { min: 0, integer: true });
  if (o.server != null) checkServer('WebSocketServer', o.server, 'options.server');
  c.boolean('noServer');
  c.string('path');
  c.function('handleProtocols');
  c.function('verifyClient');
  c.boolean('clientTracking');
  c.boolean('autoPong');
  if (typeof o.perMessageDeflate !== 'boolean') c.object('perMessageDeflate', 'a boolean or an object');
}
