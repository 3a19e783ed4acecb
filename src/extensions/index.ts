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
