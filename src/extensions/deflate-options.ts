/**
 * Checking permessage-deflate options (used by `permessageDeflate()` and by
 * the `deflate` option of `connect()` and the servers).
 *
 * @module
 */
import { OptionsChecker } from '../protocol/check.js';

/** permessage-deflate options (RFC 7692 parameters and the zlib knobs). */
export function checkDeflateOptions(where: string, options: unknown, prefix = 'options'): void {
  const c = new OptionsChecker(where, options, prefix);
  c.boolean('serverNoContextTakeover');
  c.boolean('clientNoContextTakeover');
  c.number('serverMaxWindowBits', 'an integer from 8 to 15', { min: 8, max: 15, integer: true });
  if (c.value('clientMaxWindowBits') !== true) c.number('clientMaxWindowBits', 'an integer from 8 to 15, or true', { min: 8, max: 15, integer: true });
  c.number('level', 'an integer from -1 to 9', { min: -1, max: 9, integer: true });
  c.number('memLevel', 'an integer from 1 to 9', { min: 1, max: 9, integer: true });
  c.number('threshold', 'a number of bytes >= 0', { min: 0 });
  c.count('concurrency', 'operations');
  c.duration('contextIdleTimeout', { infinite: true });
}

