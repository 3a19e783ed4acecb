/**
 * The server family: the shared acceptor and the servers built on it.
 *
 * @module
 */
export { upgradeHandler, type UpgradeOptions, type UpgradeListener, type UpgradeRequest, type UpgradeRequestLike, type Rejection } from './upgrade.js';
export { attach, type Attachment, type Http2Attachment } from './attach.js';
export type { Http2Acceptor } from './http2.js';
export type { Route, Routes } from './routes.js';
export { serve, type ServeOptions, type WebSocketServer } from './serve.js';
export {
  WebSocketManager,
  LocalBus,
  type BroadcastBus,
  type BusEvents,
  type BusHistory,
  type ResumeResult,
  type BusGap,
  type DeliveryInfo,
  type ManagerEvents,
  type PublishOutcome,
  type BroadcastOptions,
  type BroadcastResult,
  type CloseAllOptions,
  type ManagerOptions,
  type SlowConsumerPolicy,
} from './manager.js';
export { RequestHeadParser, type ParsedRequest, type RequestHeadLimits } from './http-request.js';
