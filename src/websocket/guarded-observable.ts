/**
 * `messages$`'s Observable class, defined on first use so that RxJS loads
 * only when someone observes (src/lazy.ts says why).
 *
 * @module
 */
import type { Observable, Observer, Operator, Subscriber, Subscription } from 'rxjs';
import { rxjs } from '../lazy.js';

type SubscribeArg<T> = Partial<Observer<T>> | ((value: T) => void) | null | undefined;

/**
 * An Observable whose user subscriptions cannot throw into RxJS: an
 * exception in a `subscribe` callback, or an error no `error` callback
 * handles, goes to `fail` (the connection closes with 1011 and reports it)
 * instead of RxJS's asynchronous rethrow, which would end the process.
 * Operators keep the guard (`lift` returns a guarded observable), so
 * `messages$.pipe(map(f)).subscribe(g)` is covered as well.
 */
function defineGuardedObservable() {
  const { Observable, Subscriber } = rxjs();
  class GuardedObservable<T> extends Observable<T> {
    readonly #fail: (error: unknown) => void;

    constructor(fail: (error: unknown) => void, subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => (() => void) | void) {
      super(subscribe);
      this.#fail = fail;
    }

    override lift<R>(operator?: Operator<T, R>): Observable<R> {
      const observable = new GuardedObservable<R>(this.#fail);
      observable.source = this;
      observable.operator = operator;
      return observable;
    }

    override subscribe(observerOrNext?: SubscribeArg<T>): Subscription;
    override subscribe(next?: ((value: T) => void) | null, error?: ((error: unknown) => void) | null, complete?: (() => void) | null): Subscription;
    override subscribe(
      observerOrNext?: SubscribeArg<T>,
      error?: ((error: unknown) => void) | null,
      complete?: (() => void) | null,
    ): Subscription {
      // RxJS's own operators subscribe with Subscriber instances: leave those alone.
      if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
      const fail = this.#fail;
      const observer: Partial<Observer<T>> =
        typeof observerOrNext === 'function' || observerOrNext === null || observerOrNext === undefined
          ? { next: observerOrNext ?? undefined, error: error ?? undefined, complete: complete ?? undefined }
          : observerOrNext;
      const guard = <A extends unknown[]>(fn: ((...args: A) => void) | undefined, that: unknown) =>
        fn === undefined
          ? undefined
          : (...args: A) => {
              try {
                fn.apply(that, args);
              } catch (thrown) {
                fail(thrown);
              }
            };
      const next = guard(observer.next, observer);
      const onError = guard(observer.error, observer) ?? fail;
      const onComplete = guard(observer.complete, observer);
      return super.subscribe({ next: next ?? (() => {}), error: onError, complete: onComplete ?? (() => {}) });
    }
  }
  return GuardedObservable;
}

let Guarded: ReturnType<typeof defineGuardedObservable> | undefined;

/**
 * A guarded Observable (above) over `subscribe`; the first call loads RxJS.
 * @internal
 */
export function guardedObservable<T>(fail: (error: unknown) => void, subscribe: (this: Observable<T>, subscriber: Subscriber<T>) => (() => void) | void): Observable<T> {
  return new (Guarded ??= defineGuardedObservable())<T>(fail, subscribe);
}
