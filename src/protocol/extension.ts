/**
 * The extension interface the engine calls (RFC 6455 §9).
 *
 * An extension is negotiated during the opening handshake by an
 * {@link ExtensionFactory}, which yields one {@link Extension} per connection.
 * A negotiated extension claims reserved bits (permessage-deflate claims RSV1)
 * and transforms whole messages on the way in and out. Transforms may be
 * asynchronous (zlib); the engine keeps messages in order regardless.
 *
 * @module
 */
import type { WebSocketError } from './errors.js';

/** One `name` or `name=value` parameter of an extension offer (RFC 6455 §9.1). */
export interface ExtensionParam {
  readonly name: string;
  /** The value (quotes removed), or `true` for a parameter without one. */
  readonly value: string | true;
}

/** One element of a `Sec-WebSocket-Extensions` header: a name and its parameters, in order. */
export interface ExtensionOffer {
  readonly name: string;
  readonly params: readonly ExtensionParam[];
}

/** What {@link Extension.encode} produces: the new payload and the RSV bits for the first frame. */
export interface EncodedMessage {
  readonly data: Uint8Array;
  /** RSV bits to set on the first frame of the message (e.g. 0x40 for RSV1). */
  readonly rsv: number;
}

/** A negotiated extension, bound to one connection. */
export interface Extension {
  /** Registered name, e.g. `permessage-deflate`. */
  readonly name: string;
  /** The RSV bits this extension may set (wire position, e.g. 0x40 for RSV1). */
  readonly rsvMask: number;
  /** The agreed parameters, as the response header states them. */
  readonly params: readonly ExtensionParam[];
  /**
   * Decode an incoming data message whose first frame carried some of
   * {@link rsvMask}'s bits (`rsv`). `chunks` are the raw payload pieces in
   * order. The result must not exceed `maxSize` bytes: an extension stops as
   * soon as it would (a {@link WebSocketError} with close code 1009), so a
   * compression bomb never allocates its full size. Throw or reject with a
   * WebSocketError (1007 for bad data, 1002 for bad framing) to fail the connection.
   */
  decode(chunks: readonly Uint8Array[], rsv: number, maxSize: number): Uint8Array | Promise<Uint8Array>;
  /**
   * Encode an outgoing data message. May return the input unchanged with
   * `rsv: 0` (e.g. below a compression threshold).
   */
  encode(data: Uint8Array, opcode: number): EncodedMessage | Promise<EncodedMessage>;
  /** Release resources (zlib streams). Called once when the connection ends. */
  dispose(): void;
}

/** Negotiates one extension for either role. */
export interface ExtensionFactory {
  /** Registered name, e.g. `permessage-deflate`. */
  readonly name: string;
  /** Client: the offers to put in the request header, most preferred first. */
  offer(): ExtensionOffer[];
  /**
   * Server: given every offer of this name in the client's header (in order),
   * accept the first acceptable one, returning the response parameters and
   * the extension; `undefined` declines them all.
   */
  accept(offers: readonly ExtensionOffer[]): { response: ExtensionOffer; extension: Extension } | undefined;
  /**
   * Client: check the server's answer against what we offered and build the
   * extension. Throws a {@link WebSocketError} (`WS_ERR_HANDSHAKE`) for an
   * answer we did not offer or cannot honour.
   */
  complete(response: ExtensionOffer): Extension;
}
