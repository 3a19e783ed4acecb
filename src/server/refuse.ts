/**
 * One way to turn down an HTTP/1.1 upgrade, shared by every server of the
 * family (`upgradeHandler`/`attach`, `serve`, the Express and Fastify
 * integrations): answer with the error's HTTP response, half-close, and
 * destroy the socket after a short unref'd timer, so a client that never
 * reads its answer (or never closes) cannot hold the socket, or
 * `server.close()`, for long.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import type { WebSocketError } from '../protocol/errors.js';

/** How long a refused client has to read its answer before the socket is destroyed (ms). */
export const REFUSE_LINGER_MS = 1000;

function destroy(socket: Duplex): void {
  socket.destroy();
}
function ignore(): void {}

/**
 * Answer `socket` with `error.httpResponse()` (its `status`, reason and
 * `headers`) and close it; a socket already destroyed is left alone. Socket
 * errors after the answer (the client reset first) are ignored: the
 * connection is being thrown away.
 */
export function refuse(socket: Duplex, error: WebSocketError): void {
  if (socket.destroyed) return;
  socket.on('error', ignore);
  socket.end(error.httpResponse());
  setTimeout(destroy, REFUSE_LINGER_MS, socket).unref();
}
