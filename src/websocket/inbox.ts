/**
 * The inbox: messages received and not yet taken, as Python websockets'
 * `Assembler(high, low, pause, resume)` does it. Messages go to `messages$`
 * subscribers when there are any, else to a waiting `for await` /
 * `receive()`, else into a queue; when the queue reaches its high-water mark
 * (messages or bytes) the host pauses reading, and resumes it at half.
 *
 * Socket-free: the host says how to pause and resume and how many events
 * the engine still holds (messages being decoded by an extension count too,
 * or a fast sender could pile up decodes without bound).
 *
 * @module
 */
import type { Subscriber } from 'rxjs';
import type { Message } from '../protocol/message.js';

/** What the inbox needs from its connection. */
export interface InboxHost {
  /** Reading should stop (`true`) or may go on (`false`). */
  pauseInput(paused: boolean): void;
  /** Events the engine holds that will become messages (pending decodes). */
  pendingEvents(): number;
}

/** Read watermarks. */
export interface InboxLimits {
  /** Messages queued at which reading pauses; it resumes at half. */
  readonly highWaterMark: number;
  /** Bytes queued at which reading pauses; it resumes at half. */
  readonly highWaterMarkBytes: number;
}

interface Waiter {
  resolve: (result: IteratorResult<Message>) => void;
  reject: (error: Error) => void;
}

const DONE: IteratorResult<Message> = { value: undefined, done: true };

/** Received messages waiting for a consumer. */
export class Inbox {
  readonly #limits: InboxLimits;
  readonly #host: InboxHost;
  #queue: Message[] = [];
  #head = 0;
  #bytes = 0;
  #waiters: Waiter[] = [];
  #subscribers: Set<Subscriber<Message>> | undefined;
  #paused = false;
  #closed = false;
  #error: Error | undefined;

  constructor(limits: InboxLimits, host: InboxHost) {
    this.#limits = limits;
    this.#host = host;
  }

  /** Messages queued. */
  get size(): number {
    return this.#queue.length - this.#head;
  }

  /** Bytes (string length for text) of the queued messages. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True while this inbox asked for reading to pause. */
  get paused(): boolean {
    return this.#paused;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A message arrived: hand it on or queue it. */
  push(message: Message): void {
    const subscribers = this.#subscribers;
    if (subscribers !== undefined && subscribers.size > 0) {
      for (const subscriber of subscribers) subscriber.next(message);
      return;
    }
    if (this.#waiters.length > 0) {
      this.#waiters.shift()!.resolve({ value: message, done: false });
      return;
    }
    this.#queue.push(message);
    this.#bytes += message.data.length;
    if (!this.#paused) this.pressure();
  }

  /** Take the oldest queued message. */
  take(): Message | undefined {
    const queue = this.#queue;
    if (this.#head >= queue.length) return undefined;
    const message = queue[this.#head]!;
    queue[this.#head++] = undefined as unknown as Message; // let it go now
    this.#bytes -= message.data.length;
    if (this.#head === queue.length) {
      queue.length = 0;
      this.#head = 0;
    }
    if (this.#paused) this.pressure();
    return message;
  }

  /** The next message for `for await` / `receive()`. */
  next(signal: AbortSignal | undefined): Promise<IteratorResult<Message>> {
    const message = this.take();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    if (this.#closed) return this.#error ? Promise.reject(this.#error) : Promise.resolve(DONE);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.#waiters.push(waiter);
      if (signal !== undefined) this.#watchAbort(waiter, signal);
    });
  }

  /** Add a `messages$` subscriber; queued messages go to it first. Returns the teardown. */
  subscribe(subscriber: Subscriber<Message>): () => void {
    if (this.#closed && this.size === 0) {
      if (this.#error) subscriber.error(this.#error);
      else subscriber.complete();
      return () => {};
    }
    const subscribers = (this.#subscribers ??= new Set());
    subscribers.add(subscriber);
    for (let m = this.take(); m !== undefined && !subscriber.closed; m = this.take()) subscriber.next(m);
    if (this.#closed) this.#end(subscriber);
    return () => subscribers.delete(subscriber);
  }

  /**
   * Pause reading at the high-water mark (messages or bytes, counting the
   * engine's pending decodes), resume at half.
   */
  pressure(): void {
    const queued = this.#host.pendingEvents() + this.size;
    const { highWaterMark: mark, highWaterMarkBytes: byteMark } = this.#limits;
    if (!this.#paused && (queued >= mark || this.#bytes >= byteMark)) {
      this.#paused = true;
      this.#host.pauseInput(true);
    } else if (this.#paused && queued <= mark >> 1 && this.#bytes <= byteMark >> 1) {
      this.#paused = false;
      this.#host.pauseInput(false);
    }
  }

  /**
   * The connection closed (with `error` for a protocol failure): waiting
   * consumers finish, subscribers complete or error. Queued messages stay
   * takeable; `dropQueued` frees them at once.
   */
  close(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error = error;
    const subscribers = this.#subscribers;
    this.#subscribers = undefined;
    for (const subscriber of subscribers ?? []) this.#end(subscriber);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (error) waiter.reject(error);
      else waiter.resolve(DONE);
    }
  }

  #end(subscriber: Subscriber<Message>): void {
    if (this.#error) subscriber.error(this.#error);
    else subscriber.complete();
  }

  /**
   * Reject `waiter` when `signal` aborts. The listener goes away as soon as
   * the waiter settles, so one signal can serve any number of `receive()`
   * calls, and an abort after the close finds nothing left to touch.
   */
  #watchAbort(waiter: Waiter, signal: AbortSignal): void {
    const { resolve, reject } = waiter;
    const onAbort = (): void => {
      const index = this.#waiters.indexOf(waiter);
      if (index >= 0) this.#waiters.splice(index, 1);
      reject(signal.reason);
    };
    waiter.resolve = (result) => {
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    waiter.reject = (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  }
}
