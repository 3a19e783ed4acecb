/**
 * The client over HTTP/2 (RFC 8441): `connect(url, { http2: true })`.
 *
 * WebSockets to the same origin share one HTTP/2 session: the first
 * `connect()` opens it (TLS with ALPN `h2` for wss://, cleartext h2c with
 * prior knowledge for ws://) and waits for the server's SETTINGS; each
 * WebSocket is then one extended CONNECT stream on it. The session closes
 * when its last WebSocket (or pending handshake) ends; a session the server
 * sent GOAWAY on takes no new WebSockets (the next `connect()` opens a new one).
 *
 * @module
 */
import { connect as http2Connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { connectRequestHeaders, validateConnectResponse } from './protocol/extended-connect.js';
import { serializeExtensions } from './protocol/headers.js';
import { Http2StreamTransport } from './transport/http2-stream.js';
import { defaultExtensions } from './extensions/index.js';
import type { WebSocket } from './websocket.js';
import { HandshakeError, openClientWebSocket, type ConnectOptions } from './client.js';
import { DEFAULTS } from './options.js';

const MAX_BODY = 64 * 1024;

/** One pooled session and how many WebSockets (or handshakes) use it. */
interface PooledSession {
  readonly key: string;
  readonly session: ClientHttp2Session;
  /** Resolves once the server's first SETTINGS arrived (rejects if the session failed first). */
  readonly ready: Promise<void>;
  users: number;
  /** WebSocket streams opened on it so far (for tests and diagnostics). */
  streams: number;
}

const pool = new Map<string, PooledSession>();
// TLS options are compared by identity: sessions made with other options are not shared.
const tlsIds = new WeakMap<object, number>();
let nextTlsId = 1;

function poolKey(origin: string, tls: TlsOptions | undefined): string {
  if (tls === undefined) return origin;
  let id = tlsIds.get(tls);
  if (id === undefined) tlsIds.set(tls, (id = nextTlsId++));
  return `${origin}#${id}`;
}

/** Sessions of the HTTP/2 client pool: origin and open WebSocket count of each (diagnostics, tests). */
export function http2Sessions(): { origin: string; users: number; streams: number }[] {
  return [...pool.values()].map((entry) => ({ origin: entry.key.split('#')[0]!, users: entry.users, streams: entry.streams }));
}

function openSession(target: URL, key: string, options: ConnectOptions): PooledSession {
  const secure = target.protocol === 'wss:';
  const hostname = target.hostname.replace(/^\[|\]$/g, '');
  const authority = `${secure ? 'https' : 'http'}://${target.host}`;
  const session = http2Connect(authority, {
    ...(secure ? options.tls : {}),
    ...(secure ? { ALPNProtocols: ['h2'], servername: options.tls?.servername ?? (isIP(hostname) === 0 ? hostname : '') } : {}),
  });
  // Errors reach the streams (and their handshakes or WebSockets); the session needs a listener of its own.
  session.on('error', () => {});
  const forget = (): void => {
    if (pool.get(key) === entry) pool.delete(key);
  };
  session.once('goaway', forget);
  session.once('close', forget);
  const ready = new Promise<void>((resolve, reject) => {
    const onSettings = (): void => {
      session.off('close', onClose);
      session.off('error', onError);
      resolve();
    };
    const onError = (error: Error): void => {
      session.off('remoteSettings', onSettings);
      reject(error);
    };
    const onClose = (): void => onError(new Error('session closed'));
    session.once('remoteSettings', onSettings);
    session.once('error', onError);
    session.once('close', onClose);
  });
  ready.catch(() => {});
  const entry: PooledSession = { key, session, ready, users: 0, streams: 0 };
  pool.set(key, entry);
  return entry;
}

function release(entry: PooledSession): void {
  entry.users--;
  if (entry.users > 0) return;
  if (pool.get(entry.key) === entry) pool.delete(entry.key);
  if (!entry.session.closed && !entry.session.destroyed) entry.session.close();
}

/** Open a WebSocket over HTTP/2 (`connect()` calls it for `http2: true`). @internal */
export function connectHttp2(target: URL, options: ConnectOptions): Promise<WebSocket> {
  const secure = target.protocol === 'wss:';
  const protocols = options.protocols ?? [];
  const factories = options.extensions ?? defaultExtensions(options.deflate);
  let headers: Record<string, string>;
  try {
    const offers = factories.flatMap((factory) => factory.offer());
    headers = connectRequestHeaders({
      scheme: secure ? 'https' : 'http',
      authority: target.host,
      path: `${target.pathname}${target.search}`,
      protocols,
      ...(offers.length > 0 ? { extensions: serializeExtensions(offers) } : {}),
      ...(options.origin !== undefined ? { origin: options.origin } : {}),
      ...(options.headers !== undefined ? { headers: options.headers } : {}),
    });
  } catch (error) {
    return Promise.reject(error);
  }
  const key = poolKey(`${target.protocol}//${target.host}`, secure ? options.tls : undefined);
  let entry = pool.get(key);
  if (entry === undefined || entry.session.closed || entry.session.destroyed) entry = openSession(target, key, options);
  const pooled = entry;
  pooled.users++;

  return new Promise<WebSocket>((resolve, reject) => {
    let settled = false;
    let stream: ClientHttp2Stream | undefined;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (stream !== undefined && !stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
      release(pooled);
      reject(error);
    };
    const timer = setTimeout(() => fail(new HandshakeError('opening handshake timed out', 0, {}, '')), options.timeout ?? options.handshakeTimeout ?? DEFAULTS.connectTimeout);
    const onAbort = (): void => fail(options.signal!.reason instanceof Error ? options.signal!.reason : new Error('aborted'));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    pooled.ready.then(
      () => {
        if (settled) return;
        const session = pooled.session;
        // RFC 8441 §3: no extended CONNECT unless the server said it understands it.
        if (!session.remoteSettings.enableConnectProtocol) {
          return fail(new HandshakeError('the server does not accept WebSockets over HTTP/2 (no SETTINGS_ENABLE_CONNECT_PROTOCOL)', 0, {}, ''));
        }
        try {
          stream = session.request(headers, { endStream: false });
        } catch (error) {
          return fail(new HandshakeError(`connection failed: ${(error as Error).message}`, 0, {}, '', error));
        }
        pooled.streams++;
        const current = stream;
        current.on('error', onStreamError);
        current.once('close', onEarlyClose);
        current.once('response', (response: IncomingHttpHeaders) => onResponse(current, response));
      },
      (error: Error) => fail(new HandshakeError(`connection failed: ${error.message}`, 0, {}, '', error)),
    );

    const onStreamError = (error: Error): void => fail(new HandshakeError(`connection failed: ${error.message}`, 0, {}, '', error));
    const onEarlyClose = (): void => fail(new HandshakeError('the stream closed before the server answered', 0, {}, ''));

    const onResponse = (current: ClientHttp2Stream, response: IncomingHttpHeaders): void => {
      if (settled) return;
      const status = Number(response[':status'] ?? 0);
      const { [':status']: _status, ...responseHeaders } = response;
      if (status < 200 || status > 299) {
        let body = '';
        current.setEncoding('utf8');
        current.on('data', (chunk: string) => {
          if (body.length < MAX_BODY) body += chunk.slice(0, MAX_BODY - body.length);
        });
        const done = (): void => fail(new HandshakeError(`server refused the WebSocket: ${status}`, status, responseHeaders, body));
        current.once('end', done);
        current.once('close', done);
        return;
      }
      let negotiated: ReturnType<typeof validateConnectResponse>;
      try {
        negotiated = validateConnectResponse({ status, headers: responseHeaders }, { protocols, extensions: factories });
      } catch (error) {
        return fail(new HandshakeError(error instanceof Error ? error.message : String(error), status, responseHeaders, '', error));
      }
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      current.off('close', onEarlyClose);
      current.off('error', onStreamError);
      // The session stays while this WebSocket lives; its end may close the session.
      current.once('close', () => release(pooled));
      resolve(openClientWebSocket(new Http2StreamTransport(current), negotiated, { status, headers: responseHeaders }, options));
    };
  });
}
