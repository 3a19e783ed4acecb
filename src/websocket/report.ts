/**
 * `report`: hand an error to a WebSocket's `unhandledError` hook, which may
 * itself throw. Its own module because the connection, its close sequence
 * (closing.ts) and the WHATWG face all report through it.
 *
 * @module
 */
import type { WebSocket } from './websocket.js';

/** Call `ws.unhandledError(error)`; a throwing error hook must not take anything else down. @internal */
export function report(ws: WebSocket, error: unknown): void {
  try {
    ws.unhandledError(error);
  } catch {
    // Swallowed on purpose.
  }
}
