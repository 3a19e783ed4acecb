/**
 * The option and result types of {@link WebSocketManager}: broadcast options
 * and outcome, the slow-consumer policy, manager events, resume and close-all.
 *
 * @module
 */
import type { SendData, WebSocket } from '../websocket.js';
import type { BroadcastBus, BusGap, PublishOutcome } from './bus.js';
import type { WebSocketManager } from './manager.js';

/** What to do with a connection whose `bufferedAmount` is over the limit. */
export type SlowConsumerPolicy = 'skip' | 'close';

/** Options of {@link WebSocketManager.broadcast}. */
export interface BroadcastOptions {
  /** Only this process's connections: do not hand the message to the bus. Default false. */
  localOnly?: boolean;
  /** Send only to connections for which this returns true (in this process). */
  filter?: (ws: WebSocket) => boolean;
  /** Do not send to this connection (usually the sender) or these. */
  except?: WebSocket | Iterable<WebSocket>;
  /**
   * A connection with more than this many bytes buffered is a slow consumer.
   * Default: the manager's `maxBufferedAmount` (4 MiB).
   */
  maxBufferedAmount?: number;
  /** Skip a slow consumer (default) or close it with 1008. */
  slowConsumer?: SlowConsumerPolicy;
}

/** What a broadcast did, connection by connection. */
export interface BroadcastResult {
  /** Connections the message was queued on. */
  readonly sent: number;
  /** Slow consumers skipped (or closed, with policy `close`) in this process. */
  readonly slow: readonly WebSocket[];
  /** Connections where sending threw, with the error. */
  readonly failed: readonly { readonly ws: WebSocket; readonly error: unknown }[];
  /** With a bus that reaches other processes: what became of the copy sent to them. */
  readonly remote?: Promise<PublishOutcome>;
}

/** Events of {@link WebSocketManager.on}. */
export interface ManagerEvents {
  /** Messages from other processes may have been missed (see {@link BusGap}). */
  gap: (gap: BusGap) => void;
  /** The bus reported a problem (the engine unreachable, a malformed message): informational. */
  busError: (error: unknown) => void;
}

/** Options of {@link WebSocketManager}. */
export interface ManagerOptions {
  /** Default slow-consumer threshold for broadcasts, in bytes. Default 4 MiB. */
  maxBufferedAmount?: number;
  /** The bus topics travel on. Default {@link LocalBus}. */
  bus?: BroadcastBus;
  /**
   * With a bus that gives messages ids (`RedisStreamBus`): what clients are
   * sent for a topic message, so that they learn the id to resume after
   * (framed once per message). Default: the data alone.
   */
  withId?: (data: SendData, id: string, topic: string) => SendData;
}

/** What {@link WebSocketManager.resume} did. */
export interface ResumeResult {
  /** Messages after the given id sent from the retained history. */
  readonly replayed: number;
  /** False when some messages after the given id are gone (trimmed, or lost in a Redis restart). */
  readonly complete: boolean;
}

/** Options of {@link WebSocketManager.closeAll}. */
export interface CloseAllOptions {
  /** Terminate connections whose close handshake is not over after this many ms. Default 5,000. */
  timeout?: number;
}
