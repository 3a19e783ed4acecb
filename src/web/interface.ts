/**
 * The WHATWG surface of `WebSocket` that is not connection logic:
 * `addEventListener` / `removeEventListener` / `dispatchEvent`, the
 * `onopen` / `onmessage` / `onerror` / `onclose` attributes, `binaryType`,
 * `url` and the `CONNECTING` … `CLOSED` constants, installed on the class
 * (as accessors on the prototype, so an idle connection pays nothing).
 *
 * @module
 */
import type { Listeners, EventListenerLike, ListenerOptions } from './event-target.js';
import { WebState, type BinaryType } from './client.js';

/** How the interface reaches a WebSocket's lazily created state. @internal */
export interface WebAccess<T> {
  events(ws: T, create: true): Listeners;
  events(ws: T, create: false): Listeners | undefined;
  web(ws: T, create: true): WebState;
  web(ws: T, create: false): WebState | undefined;
  report(ws: T, error: unknown): void;
}

const HANDLERS = ['open', 'message', 'error', 'close'] as const;
const CONSTANTS = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/** Install the interface on `Class`. @internal */
export function installWebInterface<T extends object>(Class: { prototype: T }, access: WebAccess<T>): void {
  const proto = Class.prototype as Record<string, unknown>;
  Object.defineProperties(proto, {
    addEventListener: {
      value: function addEventListener(this: T, type: string, listener: EventListenerLike | null, options?: ListenerOptions | boolean): void {
        if (arguments.length < 2) throw new TypeError('addEventListener needs a type and a listener');
        access.events(this, true).add(String(type), listener, options);
      },
      writable: true,
      configurable: true,
    },
    removeEventListener: {
      value: function removeEventListener(this: T, type: string, listener: EventListenerLike | null, options?: EventListenerOptions | boolean): void {
        if (arguments.length < 2) throw new TypeError('removeEventListener needs a type and a listener');
        access.events(this, false)?.remove(String(type), listener, options);
      },
      writable: true,
      configurable: true,
    },
    dispatchEvent: {
      value: function dispatchEvent(this: T, event: Event): boolean {
        if (!(event instanceof Event)) throw new TypeError('dispatchEvent needs an Event');
        const listeners = access.events(this, false);
        if (listeners === undefined) return !event.defaultPrevented;
        return listeners.dispatch(this as unknown as EventTarget, event, (error) => access.report(this, error));
      },
      writable: true,
      configurable: true,
    },
    binaryType: {
      get(this: T): BinaryType {
        return access.web(this, false)?.binaryType ?? 'blob';
      },
      set(this: T, value: unknown) {
        // An enumeration attribute ignores values outside the enumeration (WPT binaryType-wrong-value).
        if (value === 'blob' || value === 'arraybuffer') access.web(this, true).binaryType = value;
      },
      enumerable: true,
      configurable: true,
    },
    url: {
      get(this: T): string {
        return access.web(this, false)?.url ?? '';
      },
      enumerable: true,
      configurable: true,
    },
    [Symbol.toStringTag]: { value: 'WebSocket', configurable: true },
  });
  for (const type of HANDLERS) {
    Object.defineProperty(proto, `on${type}`, {
      get(this: T) {
        return access.events(this, false)?.getHandler(type) ?? null;
      },
      set(this: T, value: unknown) {
        if (typeof value !== 'function' && access.events(this, false) === undefined) return;
        access.events(this, true).setHandler(type, value);
      },
      enumerable: true,
      configurable: true,
    });
  }
  for (const [name, value] of Object.entries(CONSTANTS)) {
    Object.defineProperty(Class, name, { value, enumerable: true });
    Object.defineProperty(proto, name, { value, enumerable: true });
  }
}
