/**
 * ws4ts: WebSocket for TypeScript — an RFC 6455 (+ RFC 7692) client and
 * server for Node.js, re-imagining Python's ws4py.
 *
 * @module
 */
export { WebSocket, WebSocketCore, EchoWebSocket, prepareMessage, type PreparedMessage, type WebSocketOptions, type WebSocketInit, type RequestInfo, type ResponseInfo, type SendData, type SendStream } from './websocket.js';
export { connect, HandshakeError, type ConnectOptions } from './client.js';
export { observe, runHandler, type Handler, type HandlerFunction, type HandlerResult, type WebSocketClass, type ConnectionHandler, type ObservableHandler, type Outgoing } from './handler.js';
export * from './server/index.js';
export * from './transport/index.js';
export { WebSocketError, type WebSocketErrorCode, type ErrorSide } from './protocol/errors.js';
export { CloseCode, isValidCloseCode } from './protocol/close-codes.js';
export { ReadyState, type CloseOutcome, type Role } from './protocol/connection.js';
export type { Message, TextMessage, BinaryMessage, ProtocolLimits } from './protocol/message.js';
export type { Extension, ExtensionFactory, ExtensionOffer, ExtensionParam } from './protocol/extension.js';
export { permessageDeflate, type DeflateOptions } from './extensions/index.js';
export * from './observe/index.js';
export { CloseEvent, ErrorEvent, type CloseEventInit, type ErrorEventInit, type EventInitLike } from './web/events.js';
export type { EventListenerLike, ListenerOptions } from './web/event-target.js';
export type { BinaryType, WebSocketClientOptions } from './web/client.js';
export { reconnect, backoffDelays, classifyError, type ReconnectOptions, type ReconnectClock, type RetryDecision } from './reconnect.js';
export { ReconnectingWebSocket, type ReconnectingOptions, type SendQueueOptions } from './web/reconnecting.js';
export { WebSocketStream, WebSocketError as WebSocketStreamError, type WebSocketOpenInfo, type WebSocketCloseInfo, type WebSocketStreamOptions } from './web/stream.js';
