/**
 * Messages: what a WebSocket delivers and sends (RFC 6455 §5.6).
 *
 * @module
 */

/** A complete text message: its payload was valid UTF-8 and is decoded. */
export interface TextMessage {
  readonly type: 'text';
  readonly data: string;
}

/** A complete binary message. */
export interface BinaryMessage {
  readonly type: 'binary';
  readonly data: Uint8Array;
}

/**
 * A complete data message, text or binary.
 *
 * @example
 * ```ts
 * for await (const message of ws) {
 *   if (message.type === 'text') console.log(message.data.toUpperCase());
 *   else console.log(message.data.byteLength, 'bytes');
 * }
 * ```
 */
export type Message = TextMessage | BinaryMessage;

/** Protocol limits, each with a safe default. */
export interface ProtocolLimits {
  /**
   * Largest message in bytes, counted across fragments and after
   * decompression, and so also the largest frame payload. Checked from each
   * frame header before its payload is buffered; a breach closes with 1009.
   * Default 64 MiB: roomy enough for the large-message cases of the Autobahn
   * suite (16 MiB), small enough that one connection cannot hold gigabytes.
   */
  maxPayload: number;
  /**
   * Most frames in one message. Default 131,072 (Autobahn sends 4 MiB in
   * 64-byte fragments: 65,536 frames). A breach closes with 1009. Together
   * with coalescing of fragments this bounds the memory and work a message
   * cut into millions of tiny frames can cost.
   */
  maxFragments: number;
}

/** The default {@link ProtocolLimits}. */
export const DEFAULT_LIMITS: Readonly<ProtocolLimits> = Object.freeze({
  maxPayload: 64 * 1024 * 1024,
  maxFragments: 131_072,
});
