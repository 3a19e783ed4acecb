/**
 * Adapter for node:net / node:tls sockets and any Node Duplex stream.
 *
 * Listeners are module-level functions that find their transport through a
 * symbol on the stream, so an idle connection costs no closures. Several
 * buffers written in one call go out as one write: small batches are joined
 * into one buffer (cheaper than one write call per frame), large ones are
 * written under cork/uncork so Node issues a single writev.
 *
 * @module
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Transport, TransportSink } from './transport.js';

const kTransport = Symbol('ws4ts.transport');

/** Batches up to this many bytes are joined into one buffer before writing. */
const JOIN_LIMIT = 64 * 1024;

type Tagged = Duplex & { [kTransport]?: SocketTransport; remoteAddress?: string; setNoDelay?: (noDelay?: boolean) => unknown };

function onData(this: Tagged, chunk: Uint8Array): void {
  this[kTransport]!.sink?.onData(chunk);
}
function onEnd(this: Tagged): void {
  this[kTransport]!.sink?.onEnd();
}
function onDrain(this: Tagged): void {
  this[kTransport]!.sink?.onDrain();
}
function onError(this: Tagged, error: Error): void {
  this[kTransport]!.error ??= error;
}
function onClose(this: Tagged): void {
  const transport = this[kTransport]!;
  // Before attach there is nobody to tell: attach() reports it then.
  if (transport.closed || transport.sink === undefined) return;
  transport.closed = true;
  transport.sink?.onClose(transport.error);
}

/**
 * A {@link Transport} over a Node Duplex (net.Socket, tls.TLSSocket, …).
 *
 * @example
 * ```ts
 * const transport = new SocketTransport(socket);
 * ```
 */
export class SocketTransport implements Transport {
  /** The wrapped stream. */
  readonly stream: Duplex;
  /** @internal */ sink: TransportSink | undefined = undefined;
  /** @internal */ error: Error | undefined = undefined;
  /** @internal */ closed = false;
  // A plain TCP/IPC socket: a write Node reports done synchronously has been
  // copied to the kernel. (TLS or a custom stream may keep the buffer.)
  readonly #plain: boolean;

  constructor(stream: Duplex) {
    this.stream = stream;
    const tagged = stream as Tagged;
    tagged[kTransport] = this;
    this.#plain = stream instanceof Socket && !(stream as Socket & { encrypted?: boolean }).encrypted && stream._write === Socket.prototype._write;
    // Small frames must not wait for Nagle's algorithm (ws does the same).
    tagged.setNoDelay?.(true);
    stream.on('error', onError);
    stream.on('close', onClose);
  }

  attach(sink: TransportSink): void {
    this.sink = sink;
    const stream = this.stream;
    stream.on('end', onEnd);
    stream.on('drain', onDrain);
    stream.on('data', onData);
    // The acceptor may have paused the stream during the handshake; reading
    // is now governed by the WebSocket's own backpressure.
    // (A stream paused before stays paused when a 'data' listener is added.)
    stream.resume();
    // The peer may have ended its side before we attached (during an async
    // verify, say): 'end' has fired already and will not fire again.
    if (stream.readableEnded) queueMicrotask(() => onEnd.call(stream as Tagged));
    if (stream.destroyed && !this.closed) {
      // Closed before we attached: report it once, asynchronously like a stream would.
      queueMicrotask(() => onClose.call(stream as Tagged));
    }
  }

  write(chunks: readonly Uint8Array[]): boolean {
    const stream = this.stream;
    if (stream.destroyed || stream.writableEnded) return true;
    const count = chunks.length;
    if (count === 1) return stream.write(chunks[0]!);
    let total = 0;
    for (let i = 0; i < count; i++) total += chunks[i]!.length;
    if (total <= JOIN_LIMIT) return stream.write(Buffer.concat(chunks as Uint8Array[], total));
    stream.cork();
    let ok = true;
    for (let i = 0; i < count; i++) ok = stream.write(chunks[i]!);
    stream.uncork();
    return ok;
  }

  end(): void {
    if (!this.stream.writableEnded) this.stream.end();
  }

  destroy(): void {
    this.stream.destroy();
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  /** True when the stream is a plain TCP/IPC socket and holds nothing unwritten (see {@link Transport.written}). */
  get written(): boolean {
    return this.#plain && this.stream.writableLength === 0;
  }

  get writableLength(): number {
    return this.stream.writableLength;
  }

  get remoteAddress(): string | undefined {
    return (this.stream as Tagged).remoteAddress;
  }
}
