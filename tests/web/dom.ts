/**
 * Asserting the `DOMException` a WHATWG API throws: ava's `t.throws` wants
 * native errors, and a DOMException is not one.
 *
 * @module
 */
import type { ExecutionContext } from 'ava';

/** `fn` throws a DOMException named `name`; `what` names the case in the report. */
export function throwsDom(t: ExecutionContext, fn: () => unknown, name: string, what: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  t.true(thrown instanceof DOMException, `${what}: a DOMException`);
  t.is((thrown as DOMException | undefined)?.name, name, what);
}
