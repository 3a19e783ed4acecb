/**
 * `WebSocketStream`, as the WHATWG proposal (whatwg/websockets PR #48)
 * defines it: `opened` gives a `ReadableStream` of messages and a
 * `WritableStream` for sending, `closed` the close code and reason, and a
 * close that is not clean rejects with a {@link WebSocketError} (a
 * `DOMException` carrying `closeCode` and `reason`).
 *
 * Backpressure is real in both directions, which is the point of the API:
 *
 * - reading: the readable pulls one message at a time from the connection's
 *   inbox (`receive()`); a reader that stops reading lets the inbox fill to
 *   its high-water mark (`highWaterMark` messages or `highWaterMarkBytes`,
 *   defaults 64 and 4 MiB), and the inbox then pauses the socket, so the
 *   peer's sends stall in TCP instead of growing our memory;
 * - writing: `write()` resolves only once the connection's buffered bytes
 *   are at or below `writeHighWaterMark` (default 64 KiB), so `await
 *   writer.write(x)` (or `writer.ready`) paces a producer to the peer.
 *
 * The client is a URL-built ws4ts `WebSocket` underneath, so URL,
 * protocol and close-argument rules are the WHATWG ones. A server-side
 * connection (or any ws4ts `WebSocket`) becomes a stream pair with
 * {@link WebSocketStream.from}.
 *
 * @module
 */
import { ReadableStream, WritableStream, type ReadableStreamDefaultController, type WritableStreamDefaultController } from 'node:stream/web';
import type { CloseOutcome } from '../protocol/connection.js';
import type { Message } from '../protocol/message.js';
import { WebSocket, kCloseEmpty } from '../websocket.js';
import type { WebSocketClientOptions } from './client.js';
import type { ErrorEvent } from './events.js';
import { closeInfo, parseProtocols, parseWebSocketUrl } from './rules.js';
import { checkConnectOptions } from '../options.js';
import { handled } from '../websocket/handled.js';

/** What `opened` resolves with. */
export interface WebSocketOpenInfo {
  /** Messages received: a `string` for text, a `Uint8Array` for binary. */
  readonly readable: ReadableStream<string | Uint8Array>;
  /** Messages to send: a string goes as text, an `ArrayBuffer` or view as binary. */
  readonly writable: WritableStream<string | ArrayBuffer | ArrayBufferView>;
  /** The negotiated extensions (the `Sec-WebSocket-Extensions` answer), or `''`. */
  readonly extensions: string;
  /** The selected subprotocol, or `''`. */
  readonly protocol: string;
}

/** A close code and reason: what `closed` resolves with and what `close()` takes. */
export interface WebSocketCloseInfo {
  /** 1000 or 3000–4999 when sending; what the peer sent (1005 for none) when closed. */
  closeCode?: number;
  /** At most 123 bytes of UTF-8. Default `''`. */
  reason?: string;
}

/** Options of `new WebSocketStream(url, options)`: the proposal's two, plus those of `connect()`. */
export interface WebSocketStreamOptions extends WebSocketClientOptions {
  /** Subprotocols to offer. */
  protocols?: readonly string[];
  /** Aborting it before the connection opens rejects `opened` and `closed` with its reason. */
  signal?: AbortSignal;
}

let unvalidated = false;

/**
 * The proposal's `WebSocketError`: a `DOMException` named `WebSocketError`
 * with the close code and reason. Exported by `ws4ts` as
 * `WebSocketStreamError` (ws4ts's own `WebSocketError` is the library's
 * error type) and by `ws4ts/web` under its standard name.
 *
 * Passing one to `writable.abort()` or `readable.cancel()` closes with its
 * code and reason.
 */
export class WebSocketError extends DOMException {
  readonly #closeCode: number | null;
  readonly #reason: string;

  /**
   * @param message - the exception's message
   * @param init - a code (1000 or 3000–4999, else `InvalidAccessError`) and
   *   a reason (at most 123 bytes, else `SyntaxError`); a reason without a
   *   code means 1000
   */
  constructor(message = '', init: WebSocketCloseInfo = {}) {
    super(String(message), 'WebSocketError');
    if (unvalidated) {
      unvalidated = false;
      this.#closeCode = init.closeCode ?? null;
      this.#reason = init.reason ?? '';
      return;
    }
    const { code, reason } = closeInfo(init);
    this.#closeCode = code;
    this.#reason = reason;
  }

  /** The close code, or `null`. */
  get closeCode(): number | null {
    return this.#closeCode;
  }

  /** The close reason, or `''`. */
  get reason(): string {
    return this.#reason;
  }
}
Object.defineProperty(WebSocketError.prototype, Symbol.toStringTag, { value: 'WebSocketError', configurable: true });

/** A WebSocketError for what happened on the wire (1006 and friends are not valid constructor arguments). */
function observedError(message: string, code: number, reason: string): WebSocketError {
  unvalidated = true;
  return new WebSocketError(message, { closeCode: code, reason });
}

/** Start the closing handshake with `code` (`null`: no code) and `reason`. */
function closeWith(ws: WebSocket, code: number | null, reason: string): void {
  if (ws.readyState >= WebSocket.CLOSING) return;
  // No code and no reason: an empty close frame (the peer sees 1005).
  if (code === null) ws[kCloseEmpty]();
  else void ws.close(code, reason);
}

/** The chunk the readable gives for a message: the text, or the bytes in a buffer of their own. */
function chunkOf(message: Message): string | Uint8Array {
  if (message.type === 'text') return message.data;
  const data = message.data;
  // A view of a larger buffer (a socket read, Buffer's pool) would let
  // `chunk.buffer` expose other bytes: copy those, keep whole buffers.
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !(data.buffer instanceof SharedArrayBuffer)) {
    return data.constructor === Uint8Array ? data : new Uint8Array(data.buffer);
  }
  return new Uint8Array(data);
}

/** The payload `send()` gets for a written chunk: a string, or a copy of the bytes (the writer may reuse its buffer). */
function payloadOf(chunk: unknown): string | Uint8Array {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof ArrayBuffer || chunk instanceof SharedArrayBuffer) return new Uint8Array(chunk.slice(0));
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength));
  throw new TypeError(`a WebSocketStream writes strings, ArrayBuffers and ArrayBuffer views, not ${chunk === null ? 'null' : typeof chunk}`);
}

let adopting: WebSocket | undefined;

/**
 * A WebSocket as a pair of WHATWG streams.
 *
 * ```js
 * const wss = new WebSocketStream('ws://127.0.0.1:8080/');
 * const { readable, writable } = await wss.opened;
 * const writer = writable.getWriter();
 * await writer.write('hello');
 * for await (const message of readable) console.log(message);
 * ```
 *
 * Rejections of `opened` and `closed` are marked handled: ignoring one does
 * not end the process.
 */
export class WebSocketStream {
  readonly #ws: WebSocket | undefined;
  readonly #url: string;
  readonly #opened: Promise<WebSocketOpenInfo>;
  readonly #closed: Promise<WebSocketCloseInfo>;
  #resolveOpened!: (info: WebSocketOpenInfo) => void;
  #rejectOpened!: (error: unknown) => void;
  #resolveClosed!: (info: WebSocketCloseInfo) => void;
  #rejectClosed!: (error: unknown) => void;
  #settled = false;
  #readable: ReadableStreamDefaultController<string | Uint8Array> | undefined;
  #writable: WritableStreamDefaultController | undefined;

  /**
   * Connect to `url` (ws, wss, http or https; no fragment). Throws a
   * `SyntaxError` DOMException for a bad URL or bad or repeated protocols,
   * and a `TypeError`/`RangeError` for a wrong ws4ts option.
   */
  constructor(url: string | URL, options: WebSocketStreamOptions = {}) {
    this.#opened = handled(new Promise((resolve, reject) => ((this.#resolveOpened = resolve), (this.#rejectOpened = reject))));
    this.#closed = handled(new Promise((resolve, reject) => ((this.#resolveClosed = resolve), (this.#rejectClosed = reject))));
    const adopted = adopting;
    adopting = undefined;
    if (adopted !== undefined) {
      this.#ws = adopted;
      this.#url = adopted.url;
      this.#watch(adopted);
      if (adopted.readyState === WebSocket.OPEN) this.#open(adopted);
      return;
    }
    if (options === null || typeof options !== 'object') throw new TypeError('new WebSocketStream(): options must be an object');
    const { protocols, signal, ...rest } = options;
    const list = parseProtocols(protocols ?? []);
    if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) throw new TypeError('new WebSocketStream(): signal must be an AbortSignal');
    // URL, protocols and options are checked synchronously, before the signal.
    this.#url = parseWebSocketUrl(url).href;
    checkConnectOptions(rest, 'new WebSocketStream()');
    if (signal?.aborted) {
      this.#ws = undefined;
      this.#fail(signal.reason);
      return;
    }
    const probe = new WebSocket(this.#url, list, rest);
    this.#ws = probe;
    if (signal) {
      const onAbort = (): void => {
        if (this.#settled || probe.readyState !== WebSocket.CONNECTING) return;
        this.#fail(signal.reason);
        void probe.close();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void probe.finished.then(() => signal.removeEventListener('abort', onAbort));
    }
    let failure: unknown;
    probe.addEventListener('error', (event) => (failure = (event as ErrorEvent).error), { once: true });
    probe.addEventListener('open', () => this.#open(probe), { once: true });
    this.#watch(probe, () => failure);
  }

  /**
   * The streams of a connection ws4ts already holds: a server-side
   * connection, or one from `connect()`. `opened` resolves at once (or
   * rejects if it is already closing).
   */
  static from(ws: WebSocket): WebSocketStream {
    if (!(ws instanceof WebSocket)) throw new TypeError('WebSocketStream.from() takes a ws4ts WebSocket');
    adopting = ws;
    try {
      return new WebSocketStream('');
    } finally {
      adopting = undefined;
    }
  }

  /** The URL, serialised (`''` for a server-side connection). */
  get url(): string {
    return this.#url;
  }

  /** Resolves once open with `{ readable, writable, extensions, protocol }`; rejects with a {@link WebSocketError} if the connection never opens. */
  get opened(): Promise<WebSocketOpenInfo> {
    return this.#opened;
  }

  /** Resolves with `{ closeCode, reason }` after a clean close; rejects with a {@link WebSocketError} otherwise. */
  get closed(): Promise<WebSocketCloseInfo> {
    return this.#closed;
  }

  /**
   * Start the closing handshake (or give up the opening one). With no code
   * and no reason the close frame is empty; a reason alone means 1000.
   * Throws a `TypeError` for a non-object, `InvalidAccessError` for a code
   * other than 1000 or 3000–4999, `SyntaxError` for a reason over 123 bytes.
   */
  close(closeInfo_?: WebSocketCloseInfo): void {
    const { code, reason } = closeInfo(closeInfo_);
    const ws = this.#ws;
    if (ws === undefined) return;
    if (ws.readyState === WebSocket.CONNECTING) {
      void ws.close();
      return;
    }
    closeWith(ws, code, reason);
  }

  /** Reject `opened` and `closed` with `reason` (an abort, or a handshake that failed). */
  #fail(reason: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#rejectOpened(reason);
    this.#rejectClosed(reason);
  }

  #watch(ws: WebSocket, failure: () => unknown = () => undefined): void {
    void ws.finished.then((outcome) => this.#ended(outcome, failure()));
  }

  #open(ws: WebSocket): void {
    const readable = new ReadableStream<string | Uint8Array>(
      {
        start: (controller) => {
          this.#readable = controller;
        },
        pull: (controller) => this.#pull(ws, controller),
        cancel: (reason) => this.#closeUsing(ws, reason),
      },
      { highWaterMark: 1 },
    );
    const writable = new WritableStream<string | ArrayBuffer | ArrayBufferView>(
      {
        start: (controller) => {
          this.#writable = controller;
        },
        write: (chunk) => this.#write(ws, chunk),
        close: async () => {
          closeWith(ws, null, '');
          // The writer's close() resolves once the closing handshake is over.
          await ws.finished;
        },
        abort: (reason) => this.#closeUsing(ws, reason),
      },
      { highWaterMark: 1 },
    );
    this.#resolveOpened({ readable, writable, extensions: ws.extensions, protocol: ws.protocol });
  }

  #pull(ws: WebSocket, controller: ReadableStreamDefaultController<string | Uint8Array>): Promise<void> {
    return ws.receive().then(
      (message) => controller.enqueue(chunkOf(message)),
      // No more messages: after a clean close the readable ends (its queue
      // drained first); an unclean one has already errored it.
      () =>
        ws.finished.then((outcome) => {
          if (outcome.wasClean) {
            try {
              controller.close();
            } catch {
              // already closed or errored (a cancel)
            }
          }
        }),
    );
  }

  async #write(ws: WebSocket, chunk: unknown): Promise<void> {
    const payload = payloadOf(chunk);
    // Once the closing handshake has started the data is dropped, as the proposal says.
    if (ws.readyState !== WebSocket.OPEN) return;
    if (!ws.send(payload)) return;
    await ws.drain();
  }

  /** A cancel or abort: a {@link WebSocketError} reason gives the code and reason, anything else none. */
  #closeUsing(ws: WebSocket, reason: unknown): void {
    if (reason instanceof WebSocketError) {
      try {
        closeWith(ws, reason.closeCode, reason.reason);
        return;
      } catch {
        // fall through: close without a code
      }
    }
    closeWith(ws, null, '');
  }

  #ended(outcome: CloseOutcome, failure: unknown): void {
    const opened = this.#readable !== undefined;
    if (!opened) {
      const cause = failure instanceof Error ? `: ${failure.message}` : '';
      if (!this.#settled) this.#rejectOpened(observedError(`the WebSocket connection never opened${cause}`, outcome.code, outcome.reason));
    }
    if (this.#settled) return;
    this.#settled = true;
    if (outcome.wasClean) {
      this.#writable?.error(new DOMException('a closed WebSocketStream cannot be written to', 'InvalidStateError'));
      this.#resolveClosed({ closeCode: outcome.code, reason: outcome.reason });
      return;
    }
    const error = observedError(`the WebSocket connection closed uncleanly (${outcome.code})`, outcome.code, outcome.reason);
    this.#readable?.error(error);
    this.#writable?.error(error);
    this.#rejectClosed(error);
  }
}
Object.defineProperty(WebSocketStream.prototype, Symbol.toStringTag, { value: 'WebSocketStream', configurable: true });
