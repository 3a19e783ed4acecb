/**
 * The connection behind `ws4ts connect`: opens it (with a bounded backoff
 * when `--retry` is given), prints what arrives, and reconnects after an
 * abnormal drop when retrying. Interactive and piped modes share it.
 *
 * @module
 */
import { connect, type CloseOutcome, type ConnectOptions, type Message, type WebSocket } from '../index.js';

/** How received messages are shown, and how `/binary` or `--binary` input is read. */
export type BinaryFormat = 'hex' | 'base64';

export function encodeBinary(data: Uint8Array, format: BinaryFormat): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString(format);
}

/** Decode `text` as `format`; undefined when it is not valid. */
export function decodeBinary(text: string, format: BinaryFormat): Uint8Array | undefined {
  const clean = text.replace(/\s+/g, '');
  if (format === 'hex' ? !/^(?:[0-9a-fA-F]{2})*$/.test(clean) : !/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(clean, format));
}

/** One line for a close outcome. */
export function describeClose(outcome: CloseOutcome): string {
  if (outcome.code === 1006) return 'connection lost without a close frame (1006)';
  return `closed with ${outcome.code}${outcome.reason ? ` ${JSON.stringify(outcome.reason)}` : ''}`;
}

/** A close the user should not see as a failure. */
export function normalClose(outcome: CloseOutcome): boolean {
  return outcome.wasClean && (outcome.code === 1000 || outcome.code === 1001 || outcome.code === 1005);
}

/** What a Link reports. */
export interface LinkEvents {
  message(message: Message): void;
  /** A connection opened (first time or after a retry). */
  opened(ws: WebSocket, attempt: number): void;
  /** A try failed; `next` ms until the next one (undefined: giving up). */
  failed(reason: string, next: number | undefined): void;
  /** The connection closed and will not be retried. */
  ended(outcome: CloseOutcome | undefined, reason: string): void;
}

/** Options of a {@link Link}. */
export interface LinkOptions {
  readonly url: string;
  readonly connect: ConnectOptions;
  /** Tries after the first; 0 without `--retry`. */
  readonly retries: number;
}

const FIRST_DELAY = 250;
const MAX_DELAY = 5_000;

/** The live connection, replaced after a drop when retrying. */
export class Link {
  readonly #options: LinkOptions;
  readonly #events: LinkEvents;
  #ws: WebSocket | undefined;
  #waiting: ((ws: WebSocket | undefined) => void)[] = [];
  #closing = false;
  #done = false;

  constructor(options: LinkOptions, events: LinkEvents) {
    this.#options = options;
    this.#events = events;
  }

  /** The open connection now, if any. */
  get current(): WebSocket | undefined {
    return this.#ws;
  }

  /** True once the link has ended for good. */
  get done(): boolean {
    return this.#done;
  }

  /** The connection once open (undefined once the link has ended). */
  ready(): Promise<WebSocket | undefined> {
    if (this.#ws !== undefined || this.#done) return Promise.resolve(this.#ws);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Open (with retries) and keep the connection until it ends. */
  async run(): Promise<void> {
    let failures = 0;
    for (;;) {
      let ws: WebSocket;
      try {
        ws = await connect(this.#options.url, this.#options.connect);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (failures >= this.#options.retries || this.#closing) {
          this.#events.failed(reason, undefined);
          return this.#end(undefined, reason);
        }
        const wait = Math.min(FIRST_DELAY * 2 ** failures, MAX_DELAY);
        failures++;
        this.#events.failed(reason, wait);
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      this.#ws = ws;
      if (this.#closing) ws.close(1000).catch(() => {});
      this.#events.opened(ws, failures);
      for (const resolve of this.#waiting.splice(0)) resolve(ws);
      try {
        for await (const message of ws) this.#events.message(message);
      } catch {
        // a protocol error: the outcome below says which
      }
      const outcome = await ws.finished;
      this.#ws = undefined;
      const abnormal = !normalClose(outcome) && outcome.code !== 1008 && outcome.code !== 1003;
      if (this.#closing || !abnormal || this.#options.retries === 0 || failures >= this.#options.retries) {
        return this.#end(outcome, describeClose(outcome));
      }
      const wait = Math.min(FIRST_DELAY * 2 ** failures, MAX_DELAY);
      failures++;
      this.#events.failed(describeClose(outcome), wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Close the connection (no retry afterwards). */
  close(code = 1000, reason = ''): void {
    // A code or reason the API refuses throws here, before anything changes.
    this.#ws?.close(code, reason).catch(() => {});
    this.#closing = true;
  }

  #end(outcome: CloseOutcome | undefined, reason: string): void {
    this.#done = true;
    for (const resolve of this.#waiting.splice(0)) resolve(undefined);
    this.#events.ended(outcome, reason);
  }
}
