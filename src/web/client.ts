/**
 * What a WebSocket built by `new WebSocket(url, protocols?, options?)` adds
 * to the ws4ts connection: the HTML standard's client behaviour.
 *
 * The constructor validates synchronously (DOMExceptions, see rules.ts),
 * then the object waits in CONNECTING on an inert transport while
 * `connect()` runs the handshake; on success the connection is adopted into
 * the same object (`open` fires), on failure it closes with 1006 (`error`,
 * then `close`). Sending follows the standard: `InvalidStateError` while
 * connecting, silently counted in `bufferedAmount` once closing, Blobs sent
 * in order after they are read.
 *
 * The handshake itself runs in start-client.ts: this module does not import
 * `connect()`, so the connection's core (websocket/core.ts) can use these
 * rules without an import cycle through the client.
 *
 * @module
 */
import type { CloseOutcome } from '../protocol/connection.js';
import type { Message } from '../protocol/message.js';
import type { Transport } from '../transport/transport.js';
import type { ConnectOptions } from '../client.js';
import type { WebSocket } from '../websocket.js';
import { CloseEvent, ErrorEvent } from './events.js';
import { closeArguments, sendArgument, sendSize, type WebSendData } from './rules.js';

/** `binaryType` values. */
export type BinaryType = 'blob' | 'arraybuffer';

/** Options of `new WebSocket(url, protocols, options)`: those of `connect()` but the protocols. */
export type WebSocketClientOptions = Omit<ConnectOptions, 'protocols' | 'WebSocketClass' | 'signal'>;

/** The per-object state of the WHATWG face (created for URL-built objects, or on first `binaryType` set). */
export class WebState {
  /** The serialised URL (`ws.url`); '' for a server-side connection. */
  readonly url: string;
  /** `MessageEvent.origin`. */
  readonly origin: string;
  binaryType: BinaryType = 'blob';
  /** Built by the URL constructor: send/close/readyState follow the standard. */
  readonly client: boolean;
  /** The handshake is still running. */
  connecting: boolean;
  /** `close()` was called while connecting (readyState CLOSING). */
  abandoned = false;
  /** Why the handshake failed, for the `error` event. */
  failure: unknown = undefined;
  readonly abort: AbortController | undefined;
  /** Application bytes handed to the engine and perhaps not yet written. */
  pending = 0;
  /** Bytes passed to `send()` once closing: they only ever grow `bufferedAmount`. */
  afterClose = 0;
  /** Sends waiting behind a Blob being read (they must keep their order). */
  queue: WebSendData[] | undefined = undefined;

  constructor(url: URL | undefined) {
    this.url = url?.href ?? '';
    this.origin = url?.origin ?? '';
    this.client = url !== undefined;
    this.connecting = url !== undefined;
    this.abort = url !== undefined ? new AbortController() : undefined;
  }
}

/** The transport of a WebSocket still in its handshake: nothing to read or write yet. */
export class PendingTransport implements Transport {
  readonly #onDestroy: () => void;
  constructor(onDestroy: () => void) {
    this.#onDestroy = onDestroy;
  }
  attach(): void {}
  write(): boolean {
    return true;
  }
  end(): void {}
  destroy(): void {
    this.#onDestroy();
  }
  pause(): void {}
  resume(): void {}
  readonly writableLength = 0;
  readonly remoteAddress = undefined;
}

/** `readyState` of a URL-built object, given the connection's. */
export function clientReadyState(state: WebState, inner: number): number {
  if (state.abandoned) return inner === 3 ? 3 : 2;
  return state.connecting ? 0 : inner;
}

/**
 * `bufferedAmount` as the standard counts it: application bytes only (no
 * framing), plus whatever was sent after closing. `inner` is the engine's
 * and socket's count of queued bytes, framing included.
 */
export function clientBufferedAmount(state: WebState, inner: number, readyState: number): number {
  if (inner === 0 || readyState === 3) state.pending = 0;
  else if (state.pending > inner) state.pending = inner;
  let queued = 0;
  for (const data of state.queue ?? []) queued += sendSize(data);
  return state.pending + queued + state.afterClose;
}

/**
 * `send(data)` of a URL-built object. `raw` hands a payload to the engine.
 * @throws {DOMException} `InvalidStateError` while connecting.
 */
export function clientSend(ws: WebSocket, state: WebState, data: unknown, raw: (payload: string | Uint8Array) => void): void {
  if (state.connecting && !state.abandoned) throw new DOMException('send() while the WebSocket is connecting', 'InvalidStateError');
  const payload = sendArgument(data);
  if (ws.readyState !== 1 || state.abandoned) {
    state.afterClose += sendSize(payload);
    return;
  }
  if (state.queue !== undefined) {
    state.queue.push(payload);
    return;
  }
  if (payload instanceof Blob) {
    state.queue = [payload];
    void drainQueue(ws, state, raw);
    return;
  }
  state.pending += sendSize(payload);
  raw(payload);
}

/**
 * `close(code, reason)` of a URL-built object, by the standard's rules:
 * DOMExceptions for bad arguments, no code sent when none is given (1005).
 * Closing while connecting abandons the handshake (the connection then
 * fails, 1006): `undefined`, nothing to send. Otherwise the code and reason
 * to send.
 */
export function clientClose(state: WebState, code: unknown, reason: unknown): { code: number; reason: string } | undefined {
  const args = closeArguments(code, reason);
  if (state.connecting || state.abandoned) {
    if (!state.abandoned) state.abandoned = true;
    state.abort?.abort(new DOMException('the WebSocket was closed while connecting', 'AbortError'));
    return undefined;
  }
  return args;
}

/** Send queued items in order, reading each Blob before what follows it. */
async function drainQueue(ws: WebSocket, state: WebState, raw: (payload: string | Uint8Array) => void): Promise<void> {
  const queue = state.queue!;
  while (queue.length > 0) {
    const head = queue[0]!;
    let payload: string | Uint8Array;
    if (head instanceof Blob) {
      try {
        payload = new Uint8Array(await head.arrayBuffer());
      } catch {
        payload = new Uint8Array(0); // an unreadable Blob (cannot happen for in-memory ones)
      }
    } else payload = head;
    queue.shift();
    if (ws.readyState !== 1) {
      state.afterClose += payload.length;
      continue;
    }
    state.pending += sendSize(payload);
    raw(payload);
  }
  state.queue = undefined;
}

/** The `message` event for `message`, its binary data shaped by `binaryType`. */
export function messageEvent(message: Message, state: WebState | undefined): MessageEvent {
  let data: string | Blob | ArrayBuffer;
  if (message.type === 'text') data = message.data;
  else if ((state?.binaryType ?? 'blob') === 'blob') data = new Blob([message.data as Uint8Array<ArrayBuffer>]);
  else {
    const bytes = message.data;
    // A copy, exactly the message: payloads are often views into a larger
    // chunk (and a Buffer's slice() would share it).
    data = new Uint8Array(bytes).buffer;
  }
  return new MessageEvent('message', { data, origin: state?.origin ?? '' });
}

/**
 * The events of the end: `error` first when the connection failed (it did
 * not close cleanly, or we failed it), then `close`.
 */
export function closeEvents(outcome: CloseOutcome, error: unknown): Event[] {
  const events: Event[] = [];
  if (!outcome.wasClean || error !== undefined) {
    const message = error instanceof Error ? error.message : 'the WebSocket connection failed';
    events.push(new ErrorEvent('error', { message, error }));
  }
  events.push(new CloseEvent('close', { wasClean: outcome.wasClean, code: outcome.code, reason: outcome.reason }));
  return events;
}
