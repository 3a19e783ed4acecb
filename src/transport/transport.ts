/**
 * The transport contract: what a {@link WebSocket} needs from a byte stream.
 *
 * A transport delivers chunks to a {@link TransportSink} (push, with
 * pause/resume for read backpressure) and writes batches of buffers, telling
 * when its write buffer is over the high-water mark so producers can wait for
 * `drain`. Adapters: {@link SocketTransport} for node:net / node:tls sockets
 * and any Duplex, {@link WebStreamTransport} for `{readable, writable}` pairs.
 *
 * @module
 */

/** Receives what a transport reads. Called synchronously by the transport. */
export interface TransportSink {
  /** A chunk of bytes from the peer. The sink may mutate it. */
  onData(chunk: Uint8Array): void;
  /** The peer ended its side (no more data will arrive). */
  onEnd(): void;
  /** The transport is fully closed (after an error, if `error` is set). Called once. */
  onClose(error: Error | undefined): void;
  /** The write buffer dropped below the high-water mark. */
  onDrain(): void;
}

/** A byte stream the WebSocket runs over. */
export interface Transport {
  /** Start reading into `sink`. Called once. */
  attach(sink: TransportSink): void;
  /**
   * Write buffers in order, as few system calls as possible. Returns false
   * when the write buffer is over its high-water mark (wait for `onDrain`).
   */
  write(chunks: readonly Uint8Array[]): boolean;
  /**
   * True when everything passed to `write` so far has been handed to the
   * operating system and the transport holds no reference to those buffers
   * (so the caller may overwrite them). Optional: absent means never.
   */
  readonly written?: boolean;
  /** Half-close after everything written has been flushed. */
  end(): void;
  /** Close at once, discarding unwritten data. */
  destroy(): void;
  /** Stop reading (read backpressure). */
  pause(): void;
  /** Resume reading. */
  resume(): void;
  /** Bytes accepted by `write` and not yet handed to the operating system. */
  readonly writableLength: number;
  /** The peer's address, when known. */
  readonly remoteAddress: string | undefined;
}
