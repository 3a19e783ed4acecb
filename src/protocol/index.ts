/**
 * ws4ts/protocol: the sans-I/O engine. Pure computation: no sockets,
 * streams, timers or global state.
 *
 * @module
 */
export * from './errors.js';
export * from './frame.js';
export * from './message.js';
export * from './close-codes.js';
export * from './mask.js';
export * from './utf8.js';
export * from './parser.js';
export * from './assembler.js';
export * from './encoder.js';
export * from './connection.js';
export * from './extension.js';
export * from './handshake.js';
export * from './headers.js';
export * from './stream.js';
export { decodeText, encodeText } from './text.js';
