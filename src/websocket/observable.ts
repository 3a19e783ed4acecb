/**
 * A WebSocket is also an `Observable<Message>`: this module puts
 * `subscribe`, `pipe`, `forEach`, `lift` and `toPromise` on its prototype,
 * each forwarding to `messages$` (the declaration that says so is in
 * websocket.ts, merged with the class). Separate because it is a mixin:
 * nothing in it knows the connection beyond `messages$`.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { Message } from '../protocol/message.js';

// On the prototype, not per instance: an idle connection holds no closure for them.
const observableMethods = ['subscribe', 'pipe', 'forEach', 'lift', 'toPromise'] as const;

/** Make instances of `Class` Observables of their `messages$`. @internal */
export function installObservable(Class: { prototype: { readonly messages$: Observable<Message> } }): void {
  for (const name of observableMethods) {
    Object.defineProperty(Class.prototype, name, {
      configurable: true,
      writable: true,
      value: function (this: { readonly messages$: Observable<Message> }, ...args: unknown[]) {
        const stream = this.messages$ as unknown as Record<string, (...a: unknown[]) => unknown>;
        return stream[name]!(...args);
      },
    });
  }
  // Observable's (deprecated) public fields, for structural compatibility: a WebSocket is a source, not an operator chain.
  for (const name of ['source', 'operator'] as const) {
    Object.defineProperty(Class.prototype, name, { configurable: true, get: () => undefined });
  }
}
