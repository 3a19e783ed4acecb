/**
 * Transports: byte streams the WebSocket runs over.
 *
 * @module
 */
export type { Transport, TransportSink } from './transport.js';
export { SocketTransport } from './socket.js';
export { WebStreamTransport, type WebStreamPair } from './web-stream.js';
export { Http2StreamTransport } from './http2-stream.js';
