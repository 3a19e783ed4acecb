/**
 * Adapter for a Web Streams pair `{ readable, writable }` (WHATWG streams,
 * e.g. from `Duplex.toWeb`, a `fetch`-style upgrade or a test harness).
 *
 * @module
 */
import type { Transport, TransportSink } from './transport.js';

/** A readable/writable pair of byte streams. */
export interface WebStreamPair {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** Write buffer size over which `write` reports backpressure. */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * A {@link Transport} over Web Streams.
 *
 * @example
 * ```ts
 * const { readable, writable } = Duplex.toWeb(socket);
 * const transport = new WebStreamTransport({ readable, writable });
 * ```
 */
export class WebStreamTransport implements Transport {
  readonly remoteAddress: string | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #sink: TransportSink | undefined;
  #paused = false;
  #reading = false;
  #pending = 0;
  #sizes: number[] = [];
  #ended = false;
  #closed = false;
  #readDone = false;
  #writeDone = false;
  #error: Error | undefined;

  constructor(pair: WebStreamPair, remoteAddress?: string) {
    this.#reader = pair.readable.getReader();
    this.#writer = pair.writable.getWriter();
    this.remoteAddress = remoteAddress;
  }

  attach(sink: TransportSink): void {
    this.#sink = sink;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      while (!this.#paused && !this.#closed) {
        const { value, done } = await this.#reader.read();
        if (done) {
          this.#readDone = true;
          this.#sink?.onEnd();
          this.#maybeClosed();
          return;
        }
        this.#sink?.onData(value);
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#reading = false;
    }
  }

  write(chunks: readonly Uint8Array[]): boolean {
    if (this.#ended || this.#closed) return true;
    for (const chunk of chunks) {
      this.#pending += chunk.length;
      // Writes settle in order, so their sizes wait in a FIFO and one bound
      // callback serves them all: no closure per chunk (the stream's own
      // promise per write is the only cost).
      this.#sizes.push(chunk.length);
      this.#writer.write(chunk).then(this.#onWritten, this.#onWriteFailed);
    }
    return this.#pending <= HIGH_WATER_MARK;
  }

  readonly #onWritten = (): void => {
    const before = this.#pending;
    this.#pending -= this.#sizes.shift() ?? 0;
    if (before > HIGH_WATER_MARK && this.#pending <= HIGH_WATER_MARK) this.#sink?.onDrain();
  };

  readonly #onWriteFailed = (error: unknown): void => this.#fail(error);

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#writer.close().then(
      () => {
        this.#writeDone = true;
        this.#maybeClosed();
      },
      (error: unknown) => this.#fail(error),
    );
  }

  destroy(): void {
    if (this.#closed) return;
    this.#reader.cancel().catch(() => {});
    this.#writer.abort().catch(() => {});
    this.#finish();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    void this.#pump();
  }

  get writableLength(): number {
    return this.#pending;
  }

  #maybeClosed(): void {
    if (this.#readDone && this.#writeDone) this.#finish();
  }

  #fail(error: unknown): void {
    this.#error ??= error instanceof Error ? error : new Error(String(error));
    this.destroy();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sink?.onClose(this.#error);
  }
}
