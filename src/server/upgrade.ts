/**
 * `upgradeHandler(options)`: the one acceptor every server uses (ws4py's
 * WebSocketWSGIApplication, without its 500s).
 *
 * It validates the HTTP upgrade with src/protocol, checks the origin
 * allow-list and the `verify` hook, selects a subprotocol, negotiates
 * extensions, answers 101 and hands a running {@link WebSocket} to the
 * handler. Bad requests get 400/403/405/426 with a short plain-text reason.
 * The rules live in one core ({@link handshakeAcceptor}) that HTTP/2 streams
 * (RFC 8441, src/server/http2.ts) share; only the answer differs.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import {
  buildResponse,
  negotiateExtensions,
  selectProtocol,
  validateRequest,
  type UpgradeRequest,
} from '../protocol/handshake.js';
import { WebSocketError } from '../protocol/errors.js';
import type { ExtensionFactory, Extension, ExtensionOffer } from '../protocol/extension.js';
import type { HttpHeaders } from '../protocol/headers.js';
import { SocketTransport } from '../transport/socket.js';
import type { Transport } from '../transport/transport.js';
import { runHandler, type Handler } from '../handler.js';
import type { RequestInfo, WebSocket, WebSocketOptions } from '../websocket.js';
import type { WebSocketManager } from './manager.js';
import { defaultExtensions, type DeflateOptions } from '../extensions/index.js';
import { observeServerHandshake, observingHandshakes, settleServerHandshake } from '../observe/channels.js';
import { DEFAULTS, checkUpgradeOptions } from '../options.js';
import { refuse } from './refuse.js';

/** What `verify` may answer to reject a request. */
export interface Rejection {
  /** HTTP status, e.g. 401 or 403. */
  readonly status: number;
  /** Short plain-text reason for the body. */
  readonly reason?: string;
  /** Extra response headers (e.g. `WWW-Authenticate`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** @deprecated The same type as {@link UpgradeRequest}, under its old name. */
export type UpgradeRequestLike = UpgradeRequest;
export type { UpgradeRequest };

/** Options of {@link upgradeHandler}, each with its default. */
export interface UpgradeOptions extends WebSocketOptions {
  /** The handler: a WebSocket subclass, a coroutine or an observable function. Default: echo nothing, just a plain WebSocket. */
  readonly handler: Handler;
  /** Subprotocols the server speaks, preferred first, or a function choosing among the offered ones. */
  readonly protocols?: readonly string[] | ((offered: readonly string[]) => string | undefined);
  /**
   * Allowed `Origin` values (exact match), or a predicate. A request from
   * another origin gets 403. Default: any origin (like ws and websockets).
   */
  readonly origins?: readonly string[] | ((origin: string | undefined) => boolean);
  /**
   * Last check before accepting (authentication, rate limits…): return
   * `false` (403) or a {@link Rejection} to refuse, anything else to accept.
   * A throwing hook answers 500.
   */
  readonly verify?: (request: UpgradeRequest) => boolean | void | Rejection | Promise<boolean | void | Rejection>;
  /**
   * permessage-deflate (RFC 7692): on by default with memory-safe settings
   * (compression contexts created lazily and released after 10 s idle, a
   * per-process zlib concurrency limit, inflation bounded by `maxPayload`);
   * `false` turns it off, an object tunes it (see {@link DeflateOptions}).
   * Ignored when `extensions` is given.
   */
  readonly deflate?: boolean | DeflateOptions;
  /** Extension factories to negotiate, in preference order. Default: from `deflate`. */
  readonly extensions?: readonly ExtensionFactory[];
  /** Extra headers for the 101 response. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Give up (408) if `verify` takes longer than this many ms. Default 10,000. */
  readonly verifyTimeout?: number;
  /**
   * @deprecated Say what you bound: `verifyTimeout` here, `headerTimeout` on
   * `serve()`, `routingTimeout` on the Express and Fastify integrations.
   * Still honoured wherever the new name is not given.
   */
  readonly handshakeTimeout?: number;
  /** Called with every WebSocket once it is open. */
  readonly onConnection?: (ws: WebSocket) => void;
  /**
   * The manager that tracks this endpoint's connections. While it is shutting
   * down, new upgrades are answered with 503.
   */
  readonly manager?: WebSocketManager;
}

/** The signature of node:http's `'upgrade'` listener. */
export type UpgradeListener = (request: UpgradeRequest, socket: Duplex, head: Uint8Array) => void;

function reject(socket: Duplex, error: WebSocketError): void {
  settleServerHandshake(socket, { status: error.status ?? 400, error });
  refuse(socket, error);
}

function handshakeError(status: number, reason: string, headers?: Record<string, string>): WebSocketError {
  return new WebSocketError('WS_ERR_HANDSHAKE', reason, { status: status, ...(headers ? { headers: headers } : {}) });
}

/**
 * A callback of the user's threw while a request was being answered: the
 * client gets a 500 and the error goes to stderr (as serve() does for its
 * callbacks), so a failing hook is never silent.
 * @internal
 */
export function reportCallbackError(what: string, error: unknown): void {
  console.error(`ws4ts: ${what} threw:`, error);
}

function originAllowed(origins: UpgradeOptions['origins'], origin: string | undefined): boolean {
  if (origins === undefined) return true;
  if (typeof origins === 'function') return origins(origin);
  return origin !== undefined && origins.includes(origin);
}

/** What a client offered, once its request passed the handshake rules of its HTTP version. */
export interface HandshakeOffer {
  /** Offered subprotocols in the client's order. */
  readonly protocols: readonly string[];
  /** Extension offers in the client's order. */
  readonly extensions: readonly ExtensionOffer[];
  /** The `Origin` header, if any. */
  readonly origin: string | undefined;
}

/**
 * What carries one opening handshake: an HTTP/1.1 socket (101) or an HTTP/2
 * stream (RFC 8441, `:status 200`). The acceptor's rules (shutdown, origin,
 * subprotocol, `verify`, extensions) are the same for both; only the answer
 * differs. @internal
 */
export interface HandshakeCarrier {
  /** The socket or stream: what diagnostics (src/observe) know the handshake by. */
  readonly subject: object;
  /** The status of a success: 101 (HTTP/1.1) or 200 (HTTP/2). */
  readonly acceptStatus: number;
  /** True once the socket or stream is gone (nothing left to answer). */
  readonly gone: boolean;
  /** Answer a refusal (status, headers and reason from `error`). */
  refuse(error: WebSocketError): void;
  /** Hold the client's early frames while an async `verify` decides. */
  pause(): void;
  /** Answer success; returns the connection's transport and bytes that came early. */
  open(answer: { protocol: string | undefined; extensions: string | undefined; headers: Record<string, string> | undefined }): {
    transport: Transport;
    head: Uint8Array | undefined;
  };
}

/** The acceptor's core: one endpoint's rules, applied to a validated request over any carrier. @internal */
export type HandshakeAcceptor = (request: UpgradeRequest, offer: HandshakeOffer, carrier: HandshakeCarrier) => void;

/**
 * Build the acceptor core for one endpoint (shared by HTTP/1.1 upgrades and
 * HTTP/2 extended CONNECT). @internal
 */
export function handshakeAcceptor(options: UpgradeOptions): HandshakeAcceptor {
  checkUpgradeOptions('upgradeHandler()', options, { handlerRequired: true });
  // One factory per endpoint: its options are validated once, here.
  const factories = options.extensions ?? defaultExtensions(options.deflate);
  // Connection options, built once: every connection shares this object.
  const wsOptions: WebSocketOptions = { pingInterval: DEFAULTS.serverPingInterval, ...options };
  return (request, offer, carrier) => {
    if (options.manager !== undefined && !options.manager.accepting) {
      return carrier.refuse(handshakeError(503, 'Server shutting down'));
    }
    let allowed: boolean;
    try {
      allowed = originAllowed(options.origins, offer.origin);
    } catch (error) {
      reportCallbackError('the origins function', error);
      return carrier.refuse(handshakeError(500, 'Origin check failed'));
    }
    if (!allowed) return carrier.refuse(handshakeError(403, 'Origin not allowed'));
    let protocol: string | undefined;
    try {
      protocol = options.protocols === undefined ? undefined : selectProtocol(offer.protocols, options.protocols);
    } catch (error) {
      reportCallbackError('subprotocol selection', error);
      return carrier.refuse(handshakeError(500, 'Subprotocol selection failed'));
    }
    const accept = (): void => {
      if (carrier.gone) return;
      if (options.manager !== undefined && !options.manager.accepting) return carrier.refuse(handshakeError(503, 'Server shutting down'));
      let extensions: Extension[] = [];
      let extensionsHeader: string | undefined;
      try {
        const negotiated = negotiateExtensions(offer.extensions, factories);
        extensions = negotiated.extensions;
        extensionsHeader = negotiated.header;
      } catch (error) {
        return carrier.refuse(error instanceof WebSocketError && error.status ? error : handshakeError(400, 'Invalid extension offer'));
      }
      let opened: ReturnType<HandshakeCarrier['open']>;
      try {
        opened = carrier.open({ protocol, extensions: extensionsHeader, headers: options.headers ? { ...options.headers } : undefined });
      } catch {
        for (const extension of extensions) extension.dispose();
        return carrier.refuse(handshakeError(500, 'Invalid response headers'));
      }
      // The headers object only (what node:http built anyway), not the whole request.
      const info: RequestInfo = {
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        httpVersion: request.httpVersion,
        headers: request.headers,
      };
      const ws = runHandler(options.handler, {
        transport: opened.transport,
        role: 'server',
        protocol,
        extensions,
        extensionsHeader,
        request: info,
        head: opened.head,
        options: wsOptions,
      });
      settleServerHandshake(carrier.subject, { status: carrier.acceptStatus, websocket: ws });
      options.manager?.add(ws);
      options.onConnection?.(ws);
    };
    if (options.verify === undefined) return accept();
    let verdict: ReturnType<NonNullable<UpgradeOptions['verify']>>;
    try {
      verdict = options.verify(request);
    } catch (error) {
      reportCallbackError('verify', error);
      return carrier.refuse(handshakeError(500, 'Verification failed'));
    }
    const decide = (answer: boolean | void | Rejection): void => {
      if (answer === false) return carrier.refuse(handshakeError(403, 'Forbidden'));
      if (typeof answer === 'object' && answer !== null) {
        return carrier.refuse(handshakeError(answer.status, answer.reason ?? 'Rejected', answer.headers ? { ...answer.headers } : undefined));
      }
      accept();
    };
    if (!(verdict instanceof Promise)) return decide(verdict);
    // Keep the client's early frames: pause until we decide.
    carrier.pause();
    let timedOut = false;
    const timer = setTimeout(() => {
      // Already answered 408: a late verdict must not start a connection.
      timedOut = true;
      carrier.refuse(handshakeError(408, 'Handshake timeout'));
    }, options.verifyTimeout ?? options.handshakeTimeout ?? DEFAULTS.verifyTimeout);
    verdict.then(
      (answer) => {
        clearTimeout(timer);
        if (!timedOut) decide(answer);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reportCallbackError('verify', error);
        if (!timedOut) carrier.refuse(handshakeError(500, 'Verification failed'));
      },
    );
  };
}

/** The HTTP/1.1 listener over an acceptor core: validates the upgrade, answers 101. @internal */
export function upgradeListener(accept: HandshakeAcceptor): UpgradeListener {
  const listener: UpgradeListener = (request, socket, head) => {
    socket.on('error', ignore);
    const check = validateRequest({
      method: request.method ?? '',
      url: request.url ?? '/',
      httpVersion: request.httpVersion,
      headers: request.headers,
    });
    if (!check.ok) return reject(socket, check.error);
    accept(request, check, {
      subject: socket,
      acceptStatus: 101,
      get gone() {
        return socket.destroyed;
      },
      refuse: (error) => reject(socket, error),
      pause: () => socket.pause(),
      open: (answer) => {
        socket.write(
          buildResponse({
            key: check.key,
            ...(answer.protocol !== undefined ? { protocol: answer.protocol } : {}),
            ...(answer.extensions !== undefined ? { extensions: answer.extensions } : {}),
            ...(answer.headers ? { headers: answer.headers } : {}),
          }),
        );
        socket.off('error', ignore);
        return { transport: new SocketTransport(socket), head: head.length > 0 ? head : undefined };
      },
    });
  };
  // diagnostics_channel (src/observe): one check per upgrade when nobody listens.
  return (request, socket, head) => {
    if (!observingHandshakes()) return listener(request, socket, head);
    const observation = observeServerHandshake(socket, { method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers });
    try {
      listener(request, socket, head);
    } catch (error) {
      settleServerHandshake(socket, { status: 500, error });
      throw error;
    } finally {
      observation.syncDone();
    }
  };
}

/**
 * Build the acceptor for one endpoint.
 *
 * @example
 * ```ts
 * const server = http.createServer();
 * server.on('upgrade', upgradeHandler({ handler: EchoWebSocket }));
 * ```
 */
export function upgradeHandler(options: UpgradeOptions): UpgradeListener {
  return upgradeListener(handshakeAcceptor(options));
}

function ignore(): void {}
