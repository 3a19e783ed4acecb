/**
 * The types a WebSocket is built from: its options (with their defaults),
 * the request or response it came from, and what servers and `connect()`
 * fill in.
 *
 * @module
 */
import type { UpgradeRequest } from '../protocol/handshake-server.js';
import type { Role } from '../protocol/connection.js';
import type { Extension } from '../protocol/extension.js';
import type { HttpHeaders } from '../protocol/headers.js';
import type { ProtocolLimits } from '../protocol/message.js';
import type { Transport } from '../transport/transport.js';

/** Data `send` accepts as one message. */
export type SendData = string | Uint8Array | ArrayBuffer | ArrayBufferView;
export type { SendStream } from './outbox.js';

/** Options of a connection, each with its default. */
export interface WebSocketOptions extends Partial<ProtocolLimits> {
  /**
   * Send a keepalive ping after this many ms without input; `null` turns
   * keepalive off. Default 20,000 on the server (as Python websockets), off
   * on the client.
   */
  pingInterval?: number | null;
  /** Close a peer that leaves a keepalive ping unanswered this long (ms). Default 20,000. */
  pongTimeout?: number;
  /** Close (1001) after this many ms without any input; `null` (default) never. */
  idleTimeout?: number | null;
  /** Destroy the transport if the close handshake is not over after this many ms. Default 10,000. */
  closeTimeout?: number;
  /**
   * Messages buffered for a `for await` / `receive()` consumer before reading
   * pauses (read backpressure); reading resumes at half. Default 64: enough
   * that a chunk of small pipelined messages never pauses the socket (a
   * pause/resume pair costs two system calls), bounded in bytes below.
   */
  highWaterMark?: number;
  /** Bytes of buffered messages at which reading pauses too. Default 4 MiB. */
  highWaterMarkBytes?: number;
  /**
   * Write backpressure: once more than this many output bytes are queued,
   * reading from the peer pauses until they drain to a quarter of it, so an
   * echo or relay stays flat against a peer that does not read. `drain()`
   * waits for it too. Default 1 MiB.
   */
  writeHighWaterMark?: number;
  /**
   * Hard cap on output the application keeps adding to a peer that does not
   * drain: a send that finds more than this many bytes queued beyond the
   * largest message among them closes the connection (1008, `slow consumer`)
   * and returns `false`. One send of any size always goes. Default 16 MiB;
   * `null`: unbounded.
   */
  maxBufferedAmount?: number | null;
  /** Answer pings automatically. Default true. */
  autoPong?: boolean;
}

/** The HTTP upgrade request a server connection came from: an {@link UpgradeRequest} whose method and target are known. */
export interface RequestInfo extends UpgradeRequest {
  readonly method: string;
  readonly url: string;
  /** Header fields by lower-case name (repeated ones joined with ", ", `set-cookie` as an array, as node:http does). */
  readonly headers: HttpHeaders;
}

/** The handshake response a client connection got. */
export interface ResponseInfo {
  readonly status: number;
  readonly headers: HttpHeaders;
}

/** How a connection is made: filled in by servers and `connect()`. */
export interface WebSocketInit {
  readonly transport: Transport;
  readonly role: Role;
  readonly protocol?: string | undefined;
  readonly extensions?: readonly Extension[];
  /** The negotiated `Sec-WebSocket-Extensions` value. */
  readonly extensionsHeader?: string | undefined;
  readonly request?: RequestInfo | undefined;
  readonly response?: ResponseInfo | undefined;
  readonly options?: WebSocketOptions | undefined;
  /** Bytes that arrived after the handshake, before the WebSocket existed. */
  readonly head?: Uint8Array | undefined;
}
