/**
 * The demo's plain HTTP side, on the raw socket `serve()` hands over for
 * ordinary requests: the page, its script, `/stats` (the counters as JSON)
 * and, with `--static DIR`, files from a directory. Every answer closes the
 * connection (no keep-alive to hold sockets open).
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ParsedRequest } from '../index.js';
import { DEMO_PAGE, DEMO_SCRIPT } from './page.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

const REASONS: Readonly<Record<number, string>> = { 200: 'OK', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };

export const SECURITY: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
  'Referrer-Policy': 'no-referrer',
};

/** Write a whole response and close; the socket is destroyed if the client does not read it. */
export function respond(socket: Duplex, request: ParsedRequest, status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const head = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'OK'}`,
    `Content-Type: ${type}`,
    `Content-Length: ${bytes.length}`,
    'Cache-Control: no-store',
    'Connection: close',
    ...Object.entries({ ...SECURITY, ...headers }).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  socket.write(`${head}\r\n\r\n`);
  socket.end(request.method === 'HEAD' ? undefined : bytes);
  setTimeout(() => socket.destroy(), 5_000).unref();
}

/** What the HTTP side serves besides the page. */
export interface HttpSite {
  /** `/stats` as JSON. */
  stats(): unknown;
  /** A directory to serve files from (`--static`). */
  staticDir?: string | undefined;
}

function pathname(url: string): string {
  try {
    return decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return '\0'; // a malformed escape: nothing matches
  }
}

async function fromDirectory(dir: string, path: string): Promise<{ body: Uint8Array; type: string } | undefined> {
  const root = resolve(dir);
  let file = resolve(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) return undefined; // no way out of the directory
  try {
    if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
    return { body: await readFile(file), type: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
}

/** A whole answer of the demo's HTTP side, whatever carries it (HTTP/1.1 socket, HTTP/2 stream). */
export interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string | Uint8Array;
  readonly headers?: Record<string, string>;
}

/** What the demo answers to `method url` (shared by the HTTP/1.1 and HTTP/2 sides). */
export async function answerFor(site: HttpSite, method: string, url: string): Promise<Answer> {
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, type: TYPES['.txt']!, body: 'Only GET and HEAD here\n', headers: { Allow: 'GET, HEAD' } };
  const path = pathname(url);
  try {
    if (site.staticDir !== undefined && path.includes('\0') === false) {
      const file = await fromDirectory(site.staticDir, path);
      if (file !== undefined) return { status: 200, type: file.type, body: file.body };
    }
    if (path === '/' || path === '/index.html') return { status: 200, type: TYPES['.html']!, body: DEMO_PAGE };
    if (path === '/demo.js') return { status: 200, type: TYPES['.js']!, body: DEMO_SCRIPT };
    if (path === '/stats') return { status: 200, type: TYPES['.json']!, body: JSON.stringify(site.stats()) };
    if (path === '/favicon.ico') return { status: 404, type: TYPES['.txt']!, body: '' };
    return { status: 404, type: TYPES['.txt']!, body: 'Not found: the demo is at /, WebSockets at /echo and /chat\n' };
  } catch {
    return { status: 500, type: TYPES['.txt']!, body: 'Internal server error\n' };
  }
}

/** The `onRequest` of the demo server. */
export function httpHandler(site: HttpSite): (request: ParsedRequest, socket: Duplex) => void {
  return (request, socket) => {
    void answerFor(site, request.method, request.url).then((answer) => respond(socket, request, answer.status, answer.type, answer.body, answer.headers));
  };
}
