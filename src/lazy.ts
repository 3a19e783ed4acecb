/**
 * Dependencies loaded on first use instead of at import.
 *
 * Why: a server that never touches `messages$`, an observable handler or a
 * manager's `connections$` should not carry RxJS. Loading it at import
 * costs 1.6 MB of V8 heap per process, which is what put the echo server's
 * live heap just past V8's 8 MB activation threshold for incremental
 * marking. Past it, the steady churn of socket read buffers (external
 * ArrayBuffer memory) starts a mark-compact after nearly every scavenge and
 * halved the 64 KiB × 50 × window 1 echo (`--trace-gc` on the echo server
 * shows it; the commit that added this module has the figures).
 *
 * RxJS's package resolves to its CommonJS build under Node for `import` and
 * `require` alike, so the module loaded here is the one a user's
 * `import { Observable } from 'rxjs'` gets: `instanceof` and operators work
 * across the two.
 *
 * @module
 */
import { createRequire } from 'node:module';
import type * as Rx from 'rxjs';

// The ES module build has import.meta.url; in the CommonJS build esbuild
// leaves import.meta empty and the module's own __filename is used. (Testing
// `typeof __filename` instead would be wrong: under `node -e` or a REPL an ES
// module sees a global __filename of '[eval]'.)
const load = createRequire((import.meta.url as string | undefined) ?? __filename);
let rx: typeof Rx | undefined;

/** The `rxjs` module, required on the first call. @internal */
export function rxjs(): typeof Rx {
  return (rx ??= load('rxjs') as typeof Rx);
}
