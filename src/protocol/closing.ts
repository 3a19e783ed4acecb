/**
 * The rules of closing and failing a connection that need no connection
 * state (RFC 6455 §5.5.1, §7): what our first close frame may say, how the
 * peer's is answered, what a failure reports and sends, and the outcome
 * once the transport is gone.
 *
 * Split from `connection.ts`, which decides *when* these apply (the state
 * table of `connection-state.ts`, who closed first); the close payload's
 * bytes are `close-codes.ts`'s. Each rule here is a pure function, so it is
 * tested on its own (tests/protocol/closing.test.ts).
 *
 * @module
 */
import { CloseCode, buildClosePayload, truncateCloseReason } from './close-codes.js';
import { WebSocketError } from './errors.js';
import type { CloseOutcome } from './events.js';

/** What a close frame said: its code (1005 for none) and reason. */
export interface CloseRecord {
  readonly code: number;
  readonly reason: string;
}

/**
 * The payload of the close frame that starts the closing handshake (§7.1.2).
 * Throws a local {@link WebSocketError} for 1005 ("no code", never sent,
 * §7.4.1: `buildClosePayload` would turn it into an empty frame, so it is
 * refused here), for 1006, 1015 and other codes not allowed on the wire, and
 * for a reason over 123 bytes.
 */
export function startingClosePayload(code: number, reason: string): Uint8Array {
  if (code === CloseCode.NoStatus) throw new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', 'close code 1005 may not be sent', { side: 'local' });
  return buildClosePayload(code, reason);
}

/**
 * The close frame answering the peer's (§5.5.1): its code and reason echoed
 * (as ws and Python websockets do; browsers then report the reason to both
 * ends), and an empty frame (code `undefined`) when it had none (1005, §7.4.1).
 */
export function echoOf(received: CloseRecord): { readonly code: number | undefined; readonly reason: string } {
  return received.code === CloseCode.NoStatus ? { code: undefined, reason: '' } : received;
}

/**
 * The error a failure reports (§7.1.7): a {@link WebSocketError} as is;
 * anything else (a bug, an extension's surprise) becomes a local
 * `WS_ERR_INTERNAL` with close code 1011, the details kept in its `cause`.
 */
export function failureOf(cause: unknown): WebSocketError {
  if (cause instanceof WebSocketError) return cause;
  return new WebSocketError('WS_ERR_INTERNAL', `unexpected error: ${String((cause as Error)?.message ?? cause)}`, {
    closeCode: 1011,
    side: 'local',
    cause,
  });
}

/**
 * The close reason for an error: a peer's violation gets its message (cut to
 * 123 bytes); our own internal failures (local, 1011: a handler, an
 * extension, a bug) only "internal error", since details may be
 * security-sensitive (as Python websockets does). A keepalive timeout says so.
 */
export function closeReasonFor(error: WebSocketError): string {
  if (error.side === 'local' && error.closeCode === 1011 && error.code !== 'WS_ERR_PING_TIMEOUT') return 'internal error';
  return truncateCloseReason(error.message);
}

/**
 * How the connection closed, once the transport is gone: the peer's close
 * frame's code and reason (§7.1.5, §7.1.6), clean if both close frames went;
 * 1006 without one (§7.4.1: closed abnormally).
 */
export function closeOutcomeOf(sent: CloseRecord | undefined, received: CloseRecord | undefined): CloseOutcome {
  if (received === undefined) return { code: CloseCode.Abnormal, reason: '', wasClean: false };
  return { code: received.code, reason: received.reason, wasClean: sent !== undefined };
}
