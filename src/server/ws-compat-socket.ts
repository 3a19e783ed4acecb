/**
 * The connections `ws4ts/ws` hands to `'connection'`: ws4ts WebSockets that
 * also speak `ws`'s EventEmitter dialect, so the most common `ws` server code
 * runs unchanged:
 *
 * ```js
 * ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
 * ws.on('close', (code, reason) => …);
 * ws.on('pong', heartbeat); ws.ping();
 * ```
 *
 * A separate subclass, not the core class: the emitter is created on the
 * first `on()`, the hooks (`receivedMessage`, `ponged`, `closed`) only look
 * for it, and plain ws4ts servers never carry any of it.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import type { Message } from '../protocol/message.js';
import { WebSocket, type SendData, type SendStream } from '../websocket.js';

/** `ws`'s `send` options; `binary` is honoured, the others are answered by ws4ts itself (see MIGRATING.md). */
export interface WsSendOptions {
  /** Send as binary (`true`) or text (`false`); by default a string is text and bytes are binary. */
  readonly binary?: boolean;
  /** Ignored: permessage-deflate compresses by size (`threshold`) when negotiated. */
  readonly compress?: boolean;
  /** Ignored: use `send(iterable)` for a fragmented message. */
  readonly fin?: boolean;
  /** Ignored: a server never masks (RFC 6455 §5.1). */
  readonly mask?: boolean;
}

/** `ws`'s completion callback: called once the data is handed to the socket, or with an error if it was not sent. */
export type WsSendCallback = (error?: Error) => void;

/** The events of {@link WsCompatWebSocket}, with `ws`'s listener signatures. */
export interface WsCompatEvents {
  /** A message: `data` is a `Buffer` (an `ArrayBuffer` with `binaryType = 'arraybuffer'`), text included, as in `ws`. */
  message: [data: Buffer | ArrayBuffer, isBinary: boolean];
  /** The connection closed: the close code and the reason's UTF-8 bytes. */
  close: [code: number, reason: Buffer];
  /** The connection failed (a protocol violation, an oversize message…), just before `'close'`. */
  error: [error: Error];
  /** A pong arrived, with its payload. */
  pong: [data: Buffer];
}

/** A listener of `event` with `ws`'s signature. */
export type WsCompatListener<K extends keyof WsCompatEvents> = (...args: WsCompatEvents[K]) => void;

const decoder = new TextDecoder();

/** ws4ts's own send, all overloads in one signature. */
const baseSend = WebSocket.prototype.send as (this: WebSocket, data: SendData | SendStream | Blob) => boolean | Promise<boolean>;

function notOpen(state: number): Error {
  return new Error(`WebSocket is not open: readyState ${state} (${['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'][state]})`);
}

/**
 * A server-side connection of `ws4ts/ws`: a ws4ts {@link WebSocket} (WHATWG
 * events, `for await`, `messages$`, `ping()` with its round trip) plus `ws`'s
 * `on`/`once`/`off` for `'message'`, `'close'`, `'error'` and `'pong'`, and
 * `send(data, { binary }, callback)`.
 *
 * While a `'message'` listener is registered with `on()`, messages go to it
 * (and not to WHATWG `message` listeners, `for await` or `messages$`: one
 * consumer at a time, as everywhere in ws4ts).
 */
export class WsCompatWebSocket extends WebSocket {
  #emitter: EventEmitter | undefined;

  #events(): EventEmitter {
    return (this.#emitter ??= new EventEmitter());
  }

  /** Add a listener, `ws`-style. A listener that throws closes this connection with 1011 (reported to `unhandledError`). */
  on<K extends keyof WsCompatEvents>(event: K, listener: WsCompatListener<K>): this {
    this.#events().on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Same as {@link on}. */
  addListener<K extends keyof WsCompatEvents>(event: K, listener: WsCompatListener<K>): this {
    return this.on(event, listener);
  }

  /** Add a listener called at most once. */
  once<K extends keyof WsCompatEvents>(event: K, listener: WsCompatListener<K>): this {
    this.#events().once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Remove a listener added with {@link on} or {@link once}. */
  off<K extends keyof WsCompatEvents>(event: K, listener: WsCompatListener<K>): this {
    this.#emitter?.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Same as {@link off}. */
  removeListener<K extends keyof WsCompatEvents>(event: K, listener: WsCompatListener<K>): this {
    return this.off(event, listener);
  }

  /** Remove every listener of `event`, or of all events. */
  removeAllListeners(event?: keyof WsCompatEvents): this {
    if (event === undefined) this.#emitter?.removeAllListeners();
    else this.#emitter?.removeAllListeners(event);
    return this;
  }

  /** How many listeners `event` has (added with {@link on}). */
  listenerCount(event: keyof WsCompatEvents): number {
    return this.#emitter?.listenerCount(event) ?? 0;
  }

  /**
   * `ws`'s `send(data, options?, callback?)`. `options.binary` chooses the
   * frame type (bytes sent as text are decoded as UTF-8 first); `callback`
   * is called on the next tick, with an `Error` if the message was not
   * queued (the connection is closing or closed). Without options or
   * callback this is ws4ts's `send`, returning `true` when queued.
   */
  override send(data: SendData, options?: WsSendOptions | WsSendCallback, callback?: WsSendCallback): boolean;
  override send(data: Blob): boolean;
  override send(data: SendStream): Promise<boolean>;
  override send(data: SendData | SendStream | Blob, options?: WsSendOptions | WsSendCallback, callback?: WsSendCallback): boolean | Promise<boolean> {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    if (options === undefined && callback === undefined) return baseSend.call(this, data);
    if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError('send(): options must be an object');
    if (callback !== undefined && typeof callback !== 'function') throw new TypeError('send(): callback must be a function');
    let payload = data as SendData;
    const binary = options?.binary;
    if (binary === false && (data instanceof ArrayBuffer || ArrayBuffer.isView(data))) payload = decoder.decode(data as Uint8Array);
    else if (binary === true && typeof data === 'string') payload = Buffer.from(data);
    const state = this.readyState;
    const sent = super.send(payload);
    if (callback !== undefined) {
      const done = callback;
      const error = sent === false ? notOpen(state === 1 ? this.readyState : state) : undefined;
      process.nextTick(() => done(error));
    }
    return sent;
  }

  /**
   * `ws`'s `ping(data?, mask?, callback?)` as well as ws4ts's `ping(data?)`:
   * resolves with the round trip in ms (the promise may be ignored).
   * `callback` is called on the next tick, with an `Error` if the
   * connection is not open.
   */
  override ping(data?: Uint8Array | string | WsSendCallback, _mask?: boolean | WsSendCallback, callback?: WsSendCallback): Promise<number> {
    if (typeof data === 'function') {
      callback = data;
      data = undefined;
    } else if (typeof _mask === 'function') {
      callback = _mask;
    }
    const state = this.readyState;
    const rtt = super.ping(data);
    if (callback !== undefined) {
      const done = callback;
      process.nextTick(() => done(state === 1 ? undefined : notOpen(state)));
    }
    return rtt;
  }

  override receivedMessage(message: Message): void {
    const emitter = this.#emitter;
    if (emitter === undefined || emitter.listenerCount('message') === 0) {
      super.receivedMessage(message);
      return;
    }
    if (message.type === 'text') {
      emitter.emit('message', Buffer.from(message.data), false);
    } else {
      const bytes = message.data;
      const data = this.binaryType === 'arraybuffer' ? (bytes.slice().buffer as ArrayBuffer) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      emitter.emit('message', data, true);
    }
  }

  override ponged(data: Uint8Array): void {
    this.#emitter?.emit('pong', Buffer.from(data));
  }

  override closed(code: number, reason: string): void {
    const emitter = this.#emitter;
    if (emitter === undefined) return;
    const error = this.error;
    // `ws` emits 'error' for a failed connection; an EventEmitter with no
    // 'error' listener would throw, so only emit it to someone listening.
    if (error !== undefined && emitter.listenerCount('error') > 0) emitter.emit('error', error);
    emitter.emit('close', code, Buffer.from(reason));
  }
}
