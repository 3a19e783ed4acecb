/**
 * `WebSocket` and what comes with it; the code lives in `src/websocket/`
 * (one module per concern). This path stays importable for the rest of the
 * library.
 *
 * @module
 */
export { WebSocket } from './websocket/websocket.js';
export { WebSocketCore } from './websocket/core.js';
export { EchoWebSocket } from './websocket/echo.js';
/** @internal The plumbing servers, the handler runner and managers use. */
export { startWebSocket, kHandlerFailed, kOnceClosed, kCloseEmpty } from './websocket/websocket.js';
export { prepareMessage, type PreparedMessage } from './websocket/prepared.js';
export type { SendData, SendStream, WebSocketOptions, WebSocketInit, RequestInfo, ResponseInfo } from './websocket/options.js';
