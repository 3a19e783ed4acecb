/**
 * The whole-head checks of the standalone server's request-head parser
 * (RFC 9112 §3.2, §6; RFC 9110 §7.6.1, §7.8): the request-target form, Host,
 * message framing and the no-body rule for upgrade requests. They run once
 * per head, after {@link RequestHeadParser} has split it into fields.
 *
 * @internal
 * @module
 */
import { WebSocketError } from '../protocol/errors.js';

/** Build the rejection of a bad request head. @internal */
export function headError(status: number, reason: string): WebSocketError {
  return new WebSocketError('WS_ERR_HANDSHAKE', reason, { side: 'remote', status });
}

/** @internal RFC 9112 §3.2.2 absolute-form, limited to the schemes an upgrade can name, with a non-empty authority. */
export function isAbsoluteForm(url: string): boolean {
  const sep = url.indexOf('://');
  if (sep < 0) return false;
  const scheme = url.slice(0, sep).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'ws' && scheme !== 'wss') return false;
  const next = url.charCodeAt(sep + 3);
  return next === next && next !== 0x2f && next !== 0x3f; // not NaN (end), '/' or '?'
}

/** The checks that need all header fields: Host (RFC 9112 §3.2) and message framing (§6). */
export function checkFraming(headers: Record<string, string | string[]>, minor: number): void {
  const host = headers.host;
  if (minor >= 1 && host === undefined) throw headError(400, 'missing Host header');
  if (Array.isArray(host)) throw headError(400, 'duplicate Host header');

  const length = headers['content-length'];
  const transfer = headers['transfer-encoding'];
  if (Array.isArray(length)) throw headError(400, 'duplicate Content-Length header');
  if (length !== undefined && !/^[0-9]+$/.test(length)) throw headError(400, 'invalid Content-Length header');
  if (transfer !== undefined) {
    if (length !== undefined) throw headError(400, 'both Transfer-Encoding and Content-Length');
    if (minor === 0) throw headError(400, 'Transfer-Encoding in an HTTP/1.0 request');
  }
  if (asksForUpgrade(headers)) {
    // The bytes after an upgrade request's head belong to the new protocol.
    if (transfer !== undefined) throw headError(400, 'an upgrade request must not have a body (Transfer-Encoding)');
    if (length !== undefined && !/^0+$/.test(length)) {
      throw headError(400, 'an upgrade request must not have a body (Content-Length)');
    }
  }
}

/** An `Upgrade` field, or the `upgrade` option in `Connection` (RFC 9110 §7.6.1, §7.8). */
export function asksForUpgrade(headers: Record<string, string | string[]>): boolean {
  if (headers.upgrade !== undefined) return true;
  const connection = headers.connection;
  if (connection === undefined) return false;
  const values = typeof connection === 'string' ? [connection] : connection;
  return values.some((value) => value.split(',').some((option) => option.trim().toLowerCase() === 'upgrade'));
}
