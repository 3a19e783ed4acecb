/**
 * How the modules next to `WebSocket` reach its private fields. The class
 * keeps its state in `#` fields (nothing a subclass or a user can touch or
 * shadow) and, from its `static {}` block, hands {@link provideFields} one
 * accessor object whose functions read and write them; the modules that
 * hold its rarely run code (opening, closing, failures, heartbeat, flow
 * control, queues, the WHATWG face) go through it. Its own module, not part
 * of websocket.ts, so that they can import it without importing the class.
 * The hot paths (send, flush, input, per-message dispatch) stay in the
 * class and use the fields directly.
 *
 * @module
 */
import type { Connection } from '../protocol/connection.js';
import type { Transport } from '../transport/transport.js';
import type { Inbox } from './inbox.js';
import type { KeepaliveClock } from './keepalive-clock.js';
import type { WebSocketOptions } from './options.js';
import type { Outbox } from './outbox.js';
import type { Rare } from './rare.js';
import type { WebSocket } from './websocket.js';

// Bits of WebSocket's #flags. @internal
export const STARTED = 1;
export const CLOSED = 2;
export const DISPATCHING = 4;
export const FLUSH_SCHEDULED = 8;
export const ENDED = 16;
export const INBOX_PAUSED = 32; // reading paused: the application has not taken what was read
export const OUTPUT_PAUSED = 64; // reading paused: our output to the peer is over writeHighWaterMark
export const PAUSED = INBOX_PAUSED | OUTPUT_PAUSED;
export const EVENTS = 128; // somebody listens: dispatch events (src/web)
export const WEB = 256; // built by `new WebSocket(url)`: the standard's send/close/readyState

/** A WebSocket's private fields, and the private methods its modules call. @internal */
export interface Fields {
  transport(ws: WebSocket): Transport;
  connection(ws: WebSocket): Connection;
  options(ws: WebSocket): WebSocketOptions;
  /** Give `ws` its transport, options and engine (construction, or adoption after a URL-built handshake). */
  attach(ws: WebSocket, transport: Transport, options: WebSocketOptions, connection: Connection): void;
  flags(ws: WebSocket): number;
  setFlags(ws: WebSocket, flags: number): void;
  keepalive(ws: WebSocket): KeepaliveClock | undefined;
  setKeepalive(ws: WebSocket, clock: KeepaliveClock | undefined): void;
  /** The rare state if it exists; {@link Fields.r} creates it. */
  rare(ws: WebSocket): Rare | undefined;
  r(ws: WebSocket): Rare;
  inbox(ws: WebSocket): Inbox | undefined;
  outbox(ws: WebSocket): Outbox | undefined;
  /** The inbox, created on first use. */
  inboxed(ws: WebSocket): Inbox;
  /** The first close listener (the others are in the rare state). */
  onClosed(ws: WebSocket): ((ws: WebSocket) => void) | undefined;
  setOnClosed(ws: WebSocket, listener: ((ws: WebSocket) => void) | undefined): void;
  openedAt(ws: WebSocket): number;
  setOpenedAt(ws: WebSocket, at: number): void;
  /** Bytes the engine and the transport hold. */
  queued(ws: WebSocket): number;
  writeHighWaterMark(ws: WebSocket): number;
  /** Write what the engine queued, now. */
  flush(ws: WebSocket): void;
  /** Write what the engine queued, soon (batching). */
  scheduleFlush(ws: WebSocket): void;
  /** Deliver what the engine parsed, then write. */
  afterInput(ws: WebSocket): void;
  /** Dispatch a WHATWG event to the listeners (which exist: the EVENTS flag is set). */
  dispatch(ws: WebSocket, event: Event): void;
}

/** The accessors, set once by the class's `static {}` block, before any WebSocket exists. @internal */
export let fields: Fields;

/** Called by the WebSocket class only. @internal */
export function provideFields(accessors: Fields): void {
  fields = accessors;
}
