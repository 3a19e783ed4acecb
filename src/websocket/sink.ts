/**
 * The transport's view of a WebSocket: a small object whose `onData`,
 * `onEnd`, `onDrain` and `onClose` forward to the WebSocket's symbol-keyed
 * methods. Separate from websocket.ts so that the `TransportSink` names
 * never sit on the WebSocket itself, where a subclass method called
 * `onData` or `onClose` would replace them; the symbols live here, with
 * their only caller, as `kTick` lives with the timer wheel.
 *
 * @module
 */
import type { TransportSink } from '../transport/transport.js';

/** @internal A chunk of bytes from the peer. */
export const kData: unique symbol = Symbol('ws4ts.data');
/** @internal The peer ended its side. */
export const kEnd: unique symbol = Symbol('ws4ts.end');
/** @internal The transport's write buffer drained. */
export const kDrain: unique symbol = Symbol('ws4ts.drain');
/** @internal The transport is closed. */
export const kClose: unique symbol = Symbol('ws4ts.close');

/** What the sink forwards to: the WebSocket's transport-event methods. @internal */
export interface SinkTarget {
  [kData](chunk: Uint8Array): void;
  [kEnd](): void;
  [kDrain](): void;
  [kClose](error: Error | undefined): void;
}

/** The `TransportSink` a WebSocket attaches to its transport. @internal */
export class Sink implements TransportSink {
  readonly ws: SinkTarget;
  constructor(ws: SinkTarget) {
    this.ws = ws;
  }
  onData(chunk: Uint8Array): void {
    this.ws[kData](chunk);
  }
  onEnd(): void {
    this.ws[kEnd]();
  }
  onDrain(): void {
    this.ws[kDrain]();
  }
  onClose(error: Error | undefined): void {
    this.ws[kClose](error);
  }
}
