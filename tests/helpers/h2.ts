/**
 * HTTP/2 test helpers: a node:http2 server with `attach()`, and a raw
 * node:http2 client for requests our own client would never send.
 *
 * @module
 */
import type { ExecutionContext } from 'ava';
import { once } from 'node:events';
import {
  connect as http2Connect,
  createSecureServer,
  createServer as createH2cServer,
  type ClientHttp2Session,
  type Http2SecureServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { attach, type Http2Attachment } from '../../src/server/attach.js';
import type { Routes } from '../../src/server/routes.js';
import type { UpgradeOptions } from '../../src/server/upgrade.js';
import { TEST_CERT, TEST_KEY } from './tls-fixture.js';
import { within, PATIENCE } from './loopback.js';

/** TLS options trusting the test certificate. */
export const CLIENT_TLS = { ca: TEST_CERT };

export interface H2Listening {
  readonly server: Http2SecureServer | Http2Server;
  readonly attachment: Http2Attachment;
  readonly port: number;
  /** `wss://127.0.0.1:port` (or `ws://` for h2c). */
  readonly url: string;
  /** Server-side sessions seen so far. */
  readonly sessions: Set<Http2Session>;
}

/**
 * `http2.createSecureServer({ allowHTTP1: true })` (or cleartext `createServer()`
 * with `h2c`) answering ordinary requests with "page", with `attach(server, routes)`.
 */
export async function h2Server(
  t: ExecutionContext,
  routes: Routes,
  defaults: Partial<UpgradeOptions> = {},
  options: { h2c?: boolean } = {},
): Promise<H2Listening> {
  const page = (_request: unknown, response: { end(body: string): void }): void => response.end('page');
  const server = options.h2c ? createH2cServer(page) : createSecureServer({ key: TEST_KEY, cert: TEST_CERT, allowHTTP1: true }, page);
  const attachment = attach(server, routes, defaults);
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const sockets = new Set<{ destroy(): void }>();
  server.on(options.h2c ? 'connection' : 'secureConnection', (socket: { destroy(): void; once(e: string, f: () => void): void }) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const session of sessions) session.destroy();
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { server, attachment, port, url: `${options.h2c ? 'ws' : 'wss'}://127.0.0.1:${port}`, sessions };
}

export interface H2Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A raw node:http2 session to `port` (TLS unless `h2c`), destroyed on teardown. */
export async function rawSession(t: ExecutionContext, port: number, h2c = false): Promise<ClientHttp2Session> {
  const session = http2Connect(`${h2c ? 'http' : 'https'}://127.0.0.1:${port}`, h2c ? {} : { ...CLIENT_TLS, ALPNProtocols: ['h2'] });
  session.on('error', () => {});
  t.teardown(() => session.destroy());
  await within(once(session, 'remoteSettings'), PATIENCE, 'remote settings');
  return session;
}

/** Send one request on `session` and read the whole answer. */
export async function rawRequest(session: ClientHttp2Session, headers: OutgoingHttpHeaders): Promise<H2Response> {
  const stream = session.request(headers, { endStream: false });
  stream.on('error', () => {});
  const [response] = (await within(once(stream, 'response'), PATIENCE, 'response')) as [IncomingHttpHeaders];
  let body = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (body += chunk));
  await within(once(stream, 'end'), PATIENCE, 'end of the answer');
  stream.close();
  return { status: Number(response[':status']), headers: response, body };
}

/** The headers of a well-formed extended CONNECT to `path`, with `extra` merged in (null removes). */
export function connectHeaders(port: number, path = '/', extra: Record<string, string | null> = {}, scheme = 'https'): OutgoingHttpHeaders {
  const headers: Record<string, string> = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': scheme,
    ':authority': `127.0.0.1:${port}`,
    ':path': path,
    'sec-websocket-version': '13',
  };
  for (const [name, value] of Object.entries(extra)) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  return headers;
}
