/**
 * `ws4ts/web`: the faces the web platform defines, under their standard
 * names: the WHATWG `WebSocket` client, `WebSocketStream` and its
 * `WebSocketError` (a `DOMException`; the main entry point exports it as
 * `WebSocketStreamError`, since `WebSocketError` there is ws4ts's own
 * error type), the events, and the reconnecting client.
 *
 * @module
 */
export { WebSocket } from '../websocket.js';
export { WebSocketStream, WebSocketError, type WebSocketOpenInfo, type WebSocketCloseInfo, type WebSocketStreamOptions } from './stream.js';
export { CloseEvent, ErrorEvent, type CloseEventInit, type ErrorEventInit, type EventInitLike } from './events.js';
export type { EventListenerLike, ListenerOptions } from './event-target.js';
export type { BinaryType, WebSocketClientOptions } from './client.js';
export { ReconnectingWebSocket, type ReconnectingOptions, type SendQueueOptions } from './reconnecting.js';
