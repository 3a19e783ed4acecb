/**
 * Counters: what one connection and one manager have carried, readable as
 * one plain snapshot (for a status line, a `/stats` endpoint or a metrics
 * exporter). Counting is a few integer additions per write and per read; a
 * snapshot is computed on demand, never kept up to date.
 *
 * @module
 */

/** What one connection has carried so far. Bytes are wire bytes (frames, after compression). */
export interface ConnectionCounters {
  /** Messages received (whole messages, after reassembly). */
  readonly messagesIn: number;
  /** Messages sent (queued with `send`, `sendPrepared` or a stream). */
  readonly messagesOut: number;
  /** Bytes read from the transport. */
  readonly bytesIn: number;
  /** Bytes handed to the transport. */
  readonly bytesOut: number;
  /** When the connection opened (`Date.now()` milliseconds). */
  readonly openedAt: number;
  /** The close code, once closed. */
  readonly closeCode?: number | undefined;
}

/** A manager's counters at one moment. */
export interface CountersSnapshot {
  /** Connections open now. */
  readonly active: number;
  /** Connections ever added. */
  readonly total: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** How many connections closed with each code (`{ "1000": 12, "1006": 1 }`). */
  readonly closeCodes: Readonly<Record<string, number>>;
  /** When the snapshot was taken (`Date.now()`). */
  readonly at: number;
}

/** Something with counters: a WebSocket. */
export interface Counted {
  readonly counters: ConnectionCounters;
}

/**
 * The running totals of a manager: closed connections are folded in when
 * they leave, live ones are summed when a snapshot is asked for.
 */
export class ManagerCounters {
  #total = 0;
  #messagesIn = 0;
  #messagesOut = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  readonly #closeCodes = new Map<number, number>();

  /** A connection joined. */
  added(): void {
    this.#total++;
  }

  /** A connection left: keep what it carried. */
  removed(connection: Counted): void {
    const counters = connection.counters;
    this.#messagesIn += counters.messagesIn;
    this.#messagesOut += counters.messagesOut;
    this.#bytesIn += counters.bytesIn;
    this.#bytesOut += counters.bytesOut;
    const code = counters.closeCode;
    if (code !== undefined) this.#closeCodes.set(code, (this.#closeCodes.get(code) ?? 0) + 1);
  }

  /** Totals including the live connections. */
  snapshot(live: Iterable<Counted>, active: number): CountersSnapshot {
    let messagesIn = this.#messagesIn;
    let messagesOut = this.#messagesOut;
    let bytesIn = this.#bytesIn;
    let bytesOut = this.#bytesOut;
    for (const connection of live) {
      const counters = connection.counters;
      messagesIn += counters.messagesIn;
      messagesOut += counters.messagesOut;
      bytesIn += counters.bytesIn;
      bytesOut += counters.bytesOut;
    }
    const closeCodes: Record<string, number> = {};
    for (const [code, count] of [...this.#closeCodes].sort((a, b) => a[0] - b[0])) closeCodes[code] = count;
    return { active, total: this.#total, messagesIn, messagesOut, bytesIn, bytesOut, closeCodes, at: Date.now() };
  }
}
