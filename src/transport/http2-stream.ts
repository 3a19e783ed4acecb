/**
 * Adapter for an HTTP/2 stream carrying one WebSocket (RFC 8441).
 *
 * An `Http2Stream` is a Duplex, so the Duplex contract of
 * {@link SocketTransport} fits almost as is: reading pauses per stream (HTTP/2
 * flow control then stops the peer on this stream only, the session's other
 * streams keep flowing), `end()` sends END_STREAM (the orderly TCP close of
 * RFC 6455 maps to it, RFC 8441 §6) and `'close'` fires once the stream is
 * done, whatever happens to the session. Where it did not fit:
 *
 * - `destroy()` must reset the stream with `CANCEL` (RFC 8441 §6: a TCP RST
 *   maps to RST_STREAM(CANCEL)); a bare `Duplex.destroy()` sends NO_ERROR or
 *   INTERNAL_ERROR;
 * - the peer's address lives on the session's socket, not on the stream;
 * - `writableLength` counts this stream's queue only: bytes already handed to
 *   the session (shared with other streams) are not this WebSocket's to count;
 * - `end()` is a half-close, and some peers never send their END_STREAM after
 *   the closing handshake (undici 7 waits for the stream to close instead),
 *   which would leave the stream open until the close timeout. The WebSocket
 *   only ends its side once both close frames have crossed (or it failed),
 *   so nothing more can come that matters: once our END_STREAM is out, a
 *   stream still open for reading is reset with NO_ERROR (RFC 9113 §8.1
 *   allows exactly this after a complete response).
 *
 * @module
 */
import { constants, type Http2Stream } from 'node:http2';
import { SocketTransport } from './socket.js';

/**
 * A {@link Transport} over one HTTP/2 stream (server or client side).
 *
 * @example
 * ```ts
 * stream.respond({ ':status': 200 });
 * const transport = new Http2StreamTransport(stream);
 * ```
 */
export class Http2StreamTransport extends SocketTransport {
  /** The wrapped stream. */
  declare readonly stream: Http2Stream;
  readonly #remoteAddress: string | undefined;

  constructor(stream: Http2Stream) {
    super(stream);
    // Read now: the session (and its socket) may be gone when someone asks.
    this.#remoteAddress = stream.session?.socket?.remoteAddress;
  }

  override end(): void {
    const stream = this.stream;
    if (stream.writableEnded || stream.destroyed) return;
    stream.end(() => {
      if (!stream.readableEnded && !stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR);
    });
  }

  override destroy(): void {
    const stream = this.stream;
    if (stream.destroyed) return;
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    stream.destroy();
  }

  override get remoteAddress(): string | undefined {
    return this.#remoteAddress;
  }
}
