/**
 * Close codes (RFC 6455 §7.4) and the close frame payload (§5.5.1).
 *
 * @module
 */
import { WebSocketError } from './errors.js';
import { isValidUtf8 } from './utf8.js';

/** Named close codes (RFC 6455 §7.4.1, IANA registry). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reserved: never on the wire. */
  Reserved: 1004,
  /** Reported when a close frame had no code; never on the wire. */
  NoStatus: 1005,
  /** Reported when the connection dropped without a close frame; never on the wire. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
  /** Reported for a TLS failure; never on the wire. */
  TlsHandshake: 1015,
} as const;

/** Longest close reason in UTF-8 bytes: 125 minus the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * True when `code` may appear in a close frame on the wire: 1000–1003,
 * 1007–1014 and the application ranges 3000–4999 (RFC 6455 §7.4.1, §7.4.2).
 * 1004, 1005, 1006 and 1015 are reserved and never sent.
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}

/** A parsed close frame payload; code 1005 stands for "no code given". */
export interface ClosePayload {
  readonly code: number;
  readonly reason: string;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Parse and validate the payload of a received close frame (RFC 6455 §5.5.1):
 * empty → code 1005; one byte → error; a code not valid on the wire → 1002;
 * a reason that is not UTF-8 → 1007.
 */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { code: CloseCode.NoStatus, reason: '' };
  if (payload.length === 1) {
    throw new WebSocketError('WS_ERR_INVALID_CLOSE_PAYLOAD', 'close frame payload of 1 byte', { closeCode: 1002 });
  }
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidCloseCode(code)) {
    throw new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', `invalid close code ${code}`, { closeCode: 1002 });
  }
  const reasonBytes = payload.subarray(2);
  if (!isValidUtf8(reasonBytes)) {
    throw new WebSocketError('WS_ERR_INVALID_UTF8', 'close reason is not valid UTF-8', { closeCode: 1007 });
  }
  return { code, reason: reasonBytes.length === 0 ? '' : decoder.decode(reasonBytes) };
}

const encoder = new TextEncoder();

/**
 * Build a close frame payload. Code 1005 (or undefined) builds an empty
 * payload. Throws a local {@link WebSocketError} for a code that may not be
 * sent or a reason longer than 123 UTF-8 bytes.
 */
export function buildClosePayload(code: number | undefined, reason = ''): Uint8Array {
  if (code === undefined || code === CloseCode.NoStatus) {
    if (reason !== '') {
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'a close reason needs a close code', { side: 'local' });
    }
    return new Uint8Array(0);
  }
  if (!Number.isInteger(code) || !isValidCloseCode(code)) {
    throw new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', `close code ${code} may not be sent`, { side: 'local' });
  }
  const reasonBytes = encoder.encode(reason);
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `close reason is ${reasonBytes.length} bytes, at most 123 allowed`, {
      side: 'local',
    });
  }
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}

/**
 * A close reason made from an error message: kept whole when it fits the
 * 123 bytes a close frame allows (§5.5.1), otherwise cut at a code point.
 */
export function truncateCloseReason(message: string): string {
  if (message.length <= MAX_CLOSE_REASON_BYTES && /^[\x20-\x7e]*$/.test(message)) return message;
  let reason = '';
  let bytes = 0;
  for (const ch of message) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > MAX_CLOSE_REASON_BYTES) break;
    reason += ch;
    bytes += size;
  }
  return reason;
}
