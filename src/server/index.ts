/**
 * The server family: the shared acceptor and the servers built on it.
 *
 * @module
 */
export { upgradeHandler, type UpgradeOptions, type UpgradeListener, type UpgradeRequestLike, type Rejection } from './upgrade.js';
export { attach, type Attachment, type Route, type Routes } from './attach.js';
