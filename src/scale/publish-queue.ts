/**
 * The bounded outgoing buffer of a bus: messages wait here while the engine
 * is unreachable and leave in publish order once it is back. A message whose
 * command failed (the connection dropped before the reply) is sent again:
 * it may then arrive twice, which receivers drop by sequence number, so the
 * publisher side is at-least-once and delivery exactly-once.
 *
 * When the buffer is full (`maxMessages` or `maxBytes`), a new message is
 * dropped at once (its promise resolves `dropped`); its sequence number is
 * spent, so receivers see the hole as a `sequence` gap rather than nothing.
 *
 * @module
 */
import type { PublishOutcome } from '../server/manager.js';

/** Limits of a {@link PublishQueue}. */
export interface PublishQueueLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

interface Item {
  readonly channel: string;
  readonly bytes: Buffer;
  /** 0 waiting, 1 sent and awaiting its reply, 2 done. */
  state: 0 | 1 | 2;
  readonly resolve: (outcome: PublishOutcome) => void;
}

/** Ordered, bounded, retrying publication over an engine connection. */
export class PublishQueue {
  readonly #send: (channel: string, bytes: Buffer) => Promise<unknown>;
  readonly #isReady: () => boolean;
  readonly #onError: (error: unknown) => void;
  readonly #limits: PublishQueueLimits;
  #items: Item[] = [];
  #bytes = 0;
  #paused = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #retryDelay = 50;
  #closed = false;

  constructor(send: (channel: string, bytes: Buffer) => Promise<unknown>, isReady: () => boolean, onError: (error: unknown) => void, limits: PublishQueueLimits) {
    this.#send = send;
    this.#isReady = isReady;
    this.#onError = onError;
    this.#limits = limits;
  }

  /** Messages not yet acknowledged by the engine. */
  get length(): number {
    return this.#items.length;
  }

  /** Queue `bytes` for `channel`; resolves `sent` once the engine took it, `dropped` if it cannot be kept. */
  push(channel: string, bytes: Buffer): Promise<PublishOutcome> {
    if (this.#closed || this.#items.length >= this.#limits.maxMessages || this.#bytes + bytes.length > this.#limits.maxBytes) {
      return Promise.resolve('dropped');
    }
    return new Promise<PublishOutcome>((resolve) => {
      const item: Item = { channel, bytes, state: 0, resolve };
      this.#items.push(item);
      this.#bytes += bytes.length;
      if (!this.#paused && this.#isReady()) this.#sendOne(item);
    });
  }

  /** The connection is (again) ready: send what waits. */
  ready(): void {
    this.#paused = false;
    this.#retryDelay = 50;
    this.#flush();
  }

  /** Drop everything still waiting (resolved `dropped`). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    for (const item of this.#items) if (item.state !== 2) item.resolve('dropped');
    this.#items = [];
    this.#bytes = 0;
  }

  #flush(): void {
    if (this.#paused || this.#closed || !this.#isReady()) return;
    for (const item of this.#items) if (item.state === 0) this.#sendOne(item);
  }

  #sendOne(item: Item): void {
    item.state = 1;
    let sent: Promise<unknown>;
    try {
      sent = this.#send(item.channel, item.bytes);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      () => this.#done(item),
      (error: unknown) => this.#failed(item, error),
    );
  }

  #done(item: Item): void {
    if (item.state === 2) return;
    item.state = 2;
    this.#bytes -= item.bytes.length;
    item.resolve('sent');
    // Replies come in order, but a retried item may finish out of turn: drop finished ones from the head.
    let done = 0;
    while (done < this.#items.length && this.#items[done]!.state === 2) done++;
    if (done > 0) this.#items.splice(0, done);
  }

  #failed(item: Item, error: unknown): void {
    if (item.state === 2 || this.#closed) return;
    if (this.#paused) {
      item.state = 0; // the rest of a burst of failures: already waiting for the retry
      return;
    }
    this.#onError(error);
    // Everything in flight goes back to waiting (in order) and is sent again
    // when the connection is ready, or after a short backoff if it stayed up.
    for (const each of this.#items) if (each.state === 1) each.state = 0;
    this.#paused = true;
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      this.#paused = false;
      this.#flush();
    }, this.#retryDelay);
    this.#retry.unref?.();
    this.#retryDelay = Math.min(this.#retryDelay * 2, 2000);
  }
}
