/**
 * ws4ts/extensions: permessage-deflate (RFC 7692) with bounded memory.
 *
 * @example
 * ```ts
 * import { permessageDeflate } from 'ws4ts/extensions';
 * const ws = await connect('ws://127.0.0.1:9000/', { extensions: [permessageDeflate()] });
 * ```
 *
 * @module
 */
export { permessageDeflate, type DeflateOptions } from './permessage-deflate.js';
export { PerMessageDeflate, RSV1, SYNC_INPUT_LIMIT, SYNC_OUTPUT_BUDGET, type DeflateCodecConfig } from './deflate-codec.js';
export { ZlibPool, sharedZlibPool, type ZlibPoolOptions, type IdleReleasable, type PoolTask } from './zlib-pool.js';

import { permessageDeflate, type DeflateOptions } from './permessage-deflate.js';
import type { ExtensionFactory } from '../protocol/extension.js';

/** The extensions implied by a `deflate` option: permessage-deflate unless `false` (the default is on). */
export function defaultExtensions(deflate: boolean | DeflateOptions | undefined): ExtensionFactory[] {
  if (deflate === false) return [];
  return [permessageDeflate(deflate === true || deflate === undefined ? {} : deflate)];
}
