/**
 * The one error type of ws4ts.
 *
 * Every protocol violation, limit breach, handshake rejection and misuse of
 * the API is a {@link WebSocketError}. It carries everything the layers above
 * need to react on the wire: the close code to send (1002, 1007, 1009, 1011…),
 * the HTTP status to answer a bad handshake with, a stable machine-readable
 * `code`, and which side is at fault.
 *
 * What is thrown, and when:
 *
 * - a {@link WebSocketError} with a stable {@link WebSocketError.code} for
 *   everything the protocol, a peer, the network or the connection's state
 *   causes (`side: 'remote'` when the peer broke a rule, `'local'` otherwise);
 * - a standard `TypeError` (wrong type) or `RangeError` (value out of range)
 *   for a wrong argument or option at a public entry, naming it and its value;
 * - close codes and reasons that may not be sent are a local
 *   `WS_ERR_INVALID_CLOSE_CODE` / `WS_ERR_INVALID_ARGUMENT` (the value is
 *   well-typed but the protocol forbids it).
 *
 * @module
 */
import type { HttpHeaders } from './headers.js';

/** Stable identifiers of every error ws4ts raises, in the manner of ws's `WS_ERR_*`. */
export type WebSocketErrorCode =
  // framing (RFC 6455 §5.2)
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_UNEXPECTED_RSV'
  | 'WS_ERR_UNMASKED_FRAME'
  | 'WS_ERR_MASKED_FRAME'
  | 'WS_ERR_CONTROL_FRAME_TOO_LONG'
  | 'WS_ERR_FRAGMENTED_CONTROL_FRAME'
  | 'WS_ERR_UNEXPECTED_CONTINUATION'
  | 'WS_ERR_EXPECTED_CONTINUATION'
  | 'WS_ERR_INVALID_LENGTH'
  // limits
  | 'WS_ERR_PAYLOAD_TOO_BIG'
  | 'WS_ERR_MESSAGE_TOO_BIG'
  | 'WS_ERR_TOO_MANY_FRAGMENTS'
  // payload content
  | 'WS_ERR_INVALID_UTF8'
  | 'WS_ERR_INVALID_CLOSE_CODE'
  | 'WS_ERR_INVALID_CLOSE_PAYLOAD'
  // extensions
  | 'WS_ERR_EXTENSION_FAILED'
  // handshake (RFC 6455 §4)
  | 'WS_ERR_HANDSHAKE'
  // connection lifecycle
  | 'WS_ERR_CLOSED'
  | 'WS_ERR_INVALID_STATE'
  | 'WS_ERR_INVALID_ARGUMENT'
  | 'WS_ERR_PING_TIMEOUT'
  | 'WS_ERR_HANDLER'
  | 'WS_ERR_SLOW_CONSUMER'
  | 'WS_ERR_INTERNAL'
  // the network failed before the peer answered (refused, DNS, TLS): close code 1006
  | 'WS_ERR_TRANSPORT';

/**
 * Who broke the rules: `remote` for a misbehaving peer (answer with a close
 * frame carrying {@link WebSocketError.closeCode}), `local` for everything
 * else: our own caller's mistake (e.g. sending after close, an invalid close
 * code), or a network that failed before any peer answered.
 */
export type ErrorSide = 'local' | 'remote';

/** Options of {@link WebSocketError}. */
export interface WebSocketErrorOptions {
  /** Close code to send (RFC 6455 §7.4.1). Default 1002 (protocol error) for a remote error, 1011 (unexpected condition) for a local one. */
  closeCode?: number;
  /** Who is at fault. Default `remote`. */
  side?: ErrorSide;
  /** HTTP status of a rejected opening handshake (400, 403, 426…). */
  status?: number;
  /** HTTP headers of that answer (e.g. `Sec-WebSocket-Version` on a 426). */
  headers?: HttpHeaders;
  /** @deprecated Use `status`. */
  httpStatus?: number;
  /** @deprecated Use `headers`. */
  httpHeaders?: Readonly<Record<string, string>>;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The error every layer of ws4ts throws or reports.
 *
 * @example
 * ```ts
 * try { parser.push(bytes); }
 * catch (error) {
 *   if (error instanceof WebSocketError) console.log(error.code, error.closeCode);
 * }
 * ```
 */
export class WebSocketError extends Error {
  /** Stable identifier, e.g. `WS_ERR_INVALID_UTF8`. */
  readonly code: WebSocketErrorCode;
  /** Close code to send to the peer (1002, 1007, 1009, 1011…). */
  readonly closeCode: number;
  /** Who broke the rules. */
  readonly side: ErrorSide;
  /**
   * HTTP status of a handshake error: the one a server answers with, or the
   * one a client received (see `HandshakeError`); otherwise undefined.
   */
  readonly status: number | undefined;
  /** HTTP headers of that answer (empty when there are none). */
  readonly headers: HttpHeaders;

  constructor(code: WebSocketErrorCode, message: string, options: WebSocketErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WebSocketError';
    this.code = code;
    this.side = options.side ?? 'remote';
    // A local error is no protocol violation by the peer: never 1002 unless asked.
    this.closeCode = options.closeCode ?? (this.side === 'local' ? 1011 : 1002);
    this.status = options.status ?? options.httpStatus;
    this.headers = options.headers ?? options.httpHeaders ?? {};
  }

  /** @deprecated The same as {@link status}. */
  get httpStatus(): number | undefined {
    return this.status;
  }

  /** @deprecated The same as {@link headers}. */
  get httpHeaders(): HttpHeaders {
    return this.headers;
  }

  /**
   * The plain-text HTTP response that rejects an opening handshake with this
   * error's status and reason (`Connection: close`, exact `Content-Length`).
   */
  httpResponse(): string {
    const status = this.status || 400;
    const body = `${this.message}\n`;
    let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n`;
    head += 'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n';
    head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    for (const [name, value] of Object.entries(this.headers)) {
      if (value === undefined) continue;
      for (const one of typeof value === 'string' ? [value] : value) head += `${name}: ${one}\r\n`;
    }
    return `${head}\r\n${body}`;
  }
}

/** Reason phrases of the statuses ws4ts answers with. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

/** Shorthand for a protocol error raised by the peer (close 1002 unless told). */
export function protocolError(code: WebSocketErrorCode, message: string, closeCode = 1002): WebSocketError {
  return new WebSocketError(code, message, { closeCode, side: 'remote' });
}

/** Shorthand for our caller's mistake. */
export function localError(code: WebSocketErrorCode, message: string): WebSocketError {
  return new WebSocketError(code, message, { side: 'local', closeCode: 1011 });
}
