/**
 * `diagnostics_channel` names of ws4ts, for tracing and metrics without
 * patching (named like undici's `undici:websocket:open`). Publishing costs
 * one `hasSubscribers` check per event when nobody listens: payloads are
 * built only for subscribers.
 *
 * | channel | when | message |
 * | --- | --- | --- |
 * | `ws4ts:upgrade` | an opening handshake ends (server or client) | {@link UpgradeMessage} |
 * | `ws4ts:open` | a connection is open | {@link OpenMessage} |
 * | `ws4ts:close` | a connection is closed | {@link CloseMessage} |
 * | `ws4ts:error` | a protocol error or a handler failure | {@link ErrorMessage} |
 * | `tracing:ws4ts:handshake:*` | a `TracingChannel` around each handshake | {@link HandshakeContext} |
 *
 * This module imports nothing of ours: the WebSocket appears as `unknown`
 * (it is the `WebSocket` instance; narrow with `instanceof`).
 *
 * @module
 */
import diagnostics from 'node:diagnostics_channel';

/** The channel names, for `diagnostics_channel.subscribe(name, fn)`. */
export const ChannelName = {
  upgrade: 'ws4ts:upgrade',
  open: 'ws4ts:open',
  close: 'ws4ts:close',
  error: 'ws4ts:error',
  /** A `TracingChannel`: `tracing:ws4ts:handshake:start`, `:end`, `:asyncStart`, `:asyncEnd`, `:error`. */
  handshake: 'ws4ts:handshake',
} as const;

/** Which side of a connection an event is about. */
export type ObservedRole = 'server' | 'client';

/** The request of a handshake as a channel shows it. */
export interface ObservedRequest {
  readonly method: string;
  /** Server: the request target (`/chat?x=1`). Client: the full URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** Published on `ws4ts:upgrade` once a handshake is decided. */
export interface UpgradeMessage {
  readonly role: ObservedRole;
  readonly request: ObservedRequest;
  /** `accepted`: the connection opened; `rejected`: refused with an HTTP status (or, client side, failed). */
  readonly outcome: 'accepted' | 'rejected';
  /** The HTTP status answered (server) or received (client; 0 when there was none). */
  readonly status: number;
  /** Why it was rejected. */
  readonly reason?: string;
  /** The WebSocket, when accepted. */
  readonly websocket?: unknown;
  /** Milliseconds from the request to the decision. */
  readonly duration: number;
}

/** Published on `ws4ts:open`. */
export interface OpenMessage {
  readonly role: ObservedRole;
  readonly websocket: unknown;
  readonly protocol: string;
  readonly extensions: string;
}

/** Published on `ws4ts:close`. */
export interface CloseMessage {
  readonly role: ObservedRole;
  readonly websocket: unknown;
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  /** Milliseconds the connection was open. */
  readonly duration: number;
}

/** Published on `ws4ts:error`. */
export interface ErrorMessage {
  readonly role: ObservedRole;
  readonly websocket: unknown;
  readonly error: unknown;
}

/**
 * The context object of the `ws4ts:handshake` TracingChannel: `start` sees
 * `role` and `request`; by `end` (a synchronous decision) or `asyncEnd`
 * (after an async `verify`, and always on the client) `outcome` and `status`
 * are set; `error` carries a rejection's error (published on `:error` too).
 */
export interface HandshakeContext {
  readonly role: ObservedRole;
  readonly request: ObservedRequest;
  outcome?: 'accepted' | 'rejected';
  status?: number;
  error?: unknown;
  result?: unknown;
}

export const upgradeChannel = diagnostics.channel(ChannelName.upgrade);
export const openChannel = diagnostics.channel(ChannelName.open);
export const closeChannel = diagnostics.channel(ChannelName.close);
export const errorChannel = diagnostics.channel(ChannelName.error);
export const handshakeChannel = diagnostics.tracingChannel<HandshakeContext, HandshakeContext>(ChannelName.handshake);

/** True when someone listens to the upgrade channel or the handshake trace. */
export function observingHandshakes(): boolean {
  // TracingChannel#hasSubscribers exists only from Node 20.13: ask its channels.
  const t = handshakeChannel;
  return upgradeChannel.hasSubscribers || t.start.hasSubscribers || t.end.hasSubscribers || t.asyncStart.hasSubscribers || t.asyncEnd.hasSubscribers || t.error.hasSubscribers;
}

/** A handshake being observed: call {@link settle} once with its outcome. */
export class HandshakeObservation {
  readonly context: HandshakeContext;
  readonly #started = performance.now();
  #syncDone = false;
  #settled = false;

  constructor(role: ObservedRole, request: ObservedRequest) {
    this.context = { role, request };
    handshakeChannel.start.publish(this.context);
  }

  /** The synchronous part is over (the trace's `end`); a later settle publishes `asyncStart`/`asyncEnd`. */
  syncDone(): void {
    if (this.#syncDone) return;
    this.#syncDone = true;
    handshakeChannel.end.publish(this.context);
  }

  /** Record the decision; publishes on `ws4ts:upgrade` and the trace. Later calls are ignored. */
  settle(outcome: { status: number; websocket?: unknown; error?: unknown }): void {
    if (this.#settled) return;
    this.#settled = true;
    const context = this.context;
    const accepted = outcome.error === undefined;
    context.outcome = accepted ? 'accepted' : 'rejected';
    context.status = outcome.status;
    if (accepted) context.result = outcome.websocket;
    else {
      context.error = outcome.error;
      handshakeChannel.error.publish(context);
    }
    const async = this.#syncDone;
    if (async) handshakeChannel.asyncStart.publish(context);
    if (upgradeChannel.hasSubscribers) {
      const message: UpgradeMessage = {
        role: context.role,
        request: context.request,
        outcome: context.outcome,
        status: outcome.status,
        ...(accepted ? { websocket: outcome.websocket } : { reason: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) }),
        duration: performance.now() - this.#started,
      };
      upgradeChannel.publish(message);
    }
    if (async) handshakeChannel.asyncEnd.publish(context);
    else this.syncDone();
  }
}

// Server side: the acceptor reports by socket, so its many refusal paths need
// no extra arguments. Entries exist only while someone observes.
const bySocket = new WeakMap<object, HandshakeObservation>();
let pending = 0; // observations in flight: settling costs one comparison when 0

/** Start observing the server handshake on `socket` (only call when {@link observingHandshakes}). */
export function observeServerHandshake(socket: object, request: ObservedRequest): HandshakeObservation {
  const observation = new HandshakeObservation('server', request);
  bySocket.set(socket, observation);
  pending++;
  return observation;
}

/** Report the outcome of the handshake on `socket`, if it is observed (cheap otherwise). */
export function settleServerHandshake(socket: object, outcome: { status: number; websocket?: unknown; error?: unknown }): void {
  if (pending === 0) return;
  const observation = bySocket.get(socket);
  if (observation === undefined) return;
  bySocket.delete(socket);
  pending--;
  observation.settle(outcome);
}
