/**
 * The bus a {@link WebSocketManager} publishes topics through: the
 * {@link BroadcastBus} contract an adapter for an external engine (Redis
 * pub/sub, Streams) implements, the events and gaps it reports back, and
 * {@link LocalBus}, the in-process default.
 *
 * @module
 */
import type { SendData } from '../websocket.js';

/**
 * What became of a message handed to a bus for other processes: `sent` once
 * the engine accepted it, `dropped` when the bus could not keep it (its
 * bounded buffer was full while the engine was unreachable, or the bus was
 * closed). Receivers learn of a dropped message as a {@link BusGap}.
 */
export type PublishOutcome = 'sent' | 'dropped';

/**
 * Messages other processes published may be missing between `since` and
 * `until` (milliseconds since the epoch). Emitted by the manager as `gap`.
 *
 * - `disconnected`: the bus lost its subscriber connection and restored every
 *   subscription at `until`; whatever was published in between was missed
 *   (pub/sub keeps no history).
 * - `sequence`: a publisher's sequence numbers jumped (`missed` messages from
 *   `publisher` never arrived: dropped by that publisher's full buffer, or
 *   lost while this process was away).
 * - `trimmed`: resumable mode, the history needed to resume was gone (trimmed
 *   past the last id seen, or the engine restarted without persistence);
 *   `lastId` is the last stream id this process saw.
 */
export interface BusGap {
  readonly reason: 'disconnected' | 'sequence' | 'trimmed';
  readonly since: number;
  readonly until: number;
  /** Topics that may have missed messages. */
  readonly topics: readonly string[];
  /** Whether `broadcast()` messages may be missing too. */
  readonly broadcast: boolean;
  /** `sequence`: the publishing process (its node id). */
  readonly publisher?: string;
  /** `sequence`: how many messages are known to be missing. */
  readonly missed?: number;
  /** `trimmed`: the last stream id seen before the gap. */
  readonly lastId?: string;
}

/** Where a bus hands what it receives, besides topic messages. */
export interface BusEvents {
  /** A `broadcast()` from another process: send to every local connection. */
  broadcast(data: SendData): void;
  /** Messages may have been missed. */
  gap(gap: BusGap): void;
  /** Something went wrong inside the bus (never thrown into user code). */
  error(error: unknown): void;
}

/** Entries retained after an id, for a client that resumes. */
export interface BusHistory {
  /** The entries after the id asked for, oldest first, with their ids. */
  readonly entries: readonly { readonly id: string; readonly data: SendData }[];
  /** False when entries after the id asked for are gone. */
  readonly complete: boolean;
}

/** Extra facts about a delivered topic message. */
export interface DeliveryInfo {
  /** Resumable mode: the stream id of the message (a client can resume after it). */
  readonly id?: string;
}

/**
 * Carries topic messages. The default bus delivers in-process; an adapter for
 * an external engine implements the same two methods, and the optional ones
 * to carry broadcasts, follow local interest in topics, and report gaps.
 */
export interface BroadcastBus {
  /** Deliver `data` to every subscriber of `topic` (in every process the bus reaches). */
  publish(topic: string, data: SendData): void | Promise<PublishOutcome | void>;
  /** Register the local delivery function (and event sinks); called once by the manager. */
  listen(deliver: (topic: string, data: SendData, info?: DeliveryInfo) => void, events?: BusEvents): void;
  /** Carry a `manager.broadcast()` to the other processes (local delivery is the manager's). */
  broadcast?(data: SendData): Promise<PublishOutcome>;
  /** The first local subscriber of `topic` arrived; resolves once the bus carries it here. */
  subscribe?(topic: string): Promise<void>;
  /** The last local subscriber of `topic` left. */
  unsubscribe?(topic: string): void;
  /** Resumable buses: the retained messages of `topic` after `afterId`. */
  readAfter?(topic: string, afterId: string): Promise<BusHistory>;
}

/** The in-process bus: publish delivers at once to this process's subscribers. */
export class LocalBus implements BroadcastBus {
  #deliver: ((topic: string, data: SendData) => void) | undefined;
  publish(topic: string, data: SendData): void {
    this.#deliver?.(topic, data);
  }
  listen(deliver: (topic: string, data: SendData) => void): void {
    this.#deliver = deliver;
  }
}
