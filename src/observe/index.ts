/**
 * Observability: `diagnostics_channel` channels and counters.
 *
 * @module
 */
export {
  ChannelName,
  type ObservedRole,
  type ObservedRequest,
  type UpgradeMessage,
  type OpenMessage,
  type CloseMessage,
  type ErrorMessage,
  type HandshakeContext,
} from './channels.js';
export type { ConnectionCounters, CountersSnapshot } from './counters.js';
