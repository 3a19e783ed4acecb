/**
 * Promises the library hands out that may reject while nobody listens
 * (`receive()`, `ping()`, a WebSocketStream's `opened`/`closed`): marked
 * handled so that ignoring one never ends the process with an unhandled
 * rejection. Whoever awaits or chains it still gets the rejection.
 *
 * @module
 */

/** Mark `promise` handled and return it unchanged. */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

function ignore(): void {}
