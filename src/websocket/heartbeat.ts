/**
 * A connection's pings and pongs: `ping()` (tracked until its pong, in
 * pings.ts), what a received pong does (the keepalive clock, the tracker,
 * the `ponged` hook), and the keepalive tick, which carries out what the
 * clock decides (keepalive-clock.ts): ping, drop a dead peer, close an idle
 * one. Separate from websocket.ts because it runs per ping or per timer
 * tick, never per message.
 *
 * @module
 */
import { WebSocketError } from '../protocol/errors.js';
import { CLOSED, INBOX_PAUSED, OUTPUT_PAUSED, fields } from './fields.js';
import { drop, handlerFailed } from './failures.js';
import { KEEPALIVE_PAYLOAD } from './keepalive-clock.js';
import { PingTracker, rejectedPing } from './pings.js';
import type { WebSocket } from './websocket.js';

/** `ws.ping(data)`: resolves with the round trip in ms, rejects if closing or closed first. @internal */
export function sendPing(ws: WebSocket, data: Uint8Array | string | undefined): Promise<number> {
  const pings = (fields.r(ws).pings ??= new PingTracker());
  const payload = data === undefined ? pings.nextPayload() : typeof data === 'string' ? Buffer.from(data) : data;
  try {
    fields.connection(ws).ping(payload);
  } catch (error) {
    // Closing is a race a heartbeat loop cannot avoid: reject, so that
    // `ws.ping().catch(…)` is enough; a bad payload stays a thrown mistake.
    if (error instanceof WebSocketError && error.code === 'WS_ERR_CLOSED') return rejectedPing(error);
    throw error;
  }
  fields.scheduleFlush(ws);
  return pings.track(payload, performance.now());
}

/** A pong arrived: the peer is alive, its ping (and those before) answered, then the hook. @internal */
export function pongReceived(ws: WebSocket, data: Uint8Array): void {
  const keepalive = fields.keepalive(ws);
  if (keepalive !== undefined) keepalive.pingSentAt = 0;
  fields.rare(ws)?.pings?.pong(data, performance.now());
  try {
    ws.ponged(data);
  } catch (error) {
    handlerFailed(ws, error);
  }
}

/** The timer wheel ticked for `ws` (keepalive on): run the policy and carry out its decision. @internal */
export function tick(ws: WebSocket, now: number): void {
  const flags = fields.flags(ws);
  const connection = fields.connection(ws);
  if (flags & CLOSED || connection.closeExpected) return;
  const keepalive = fields.keepalive(ws)!;
  const outputPaused = (flags & OUTPUT_PAUSED) !== 0;
  if (outputPaused) keepalive.outputProgress(now, fields.queued(ws), fields.r(ws));
  switch (keepalive.step(now, (flags & INBOX_PAUSED) !== 0, outputPaused)) {
    case 'dead':
      // A peer that does not answer is dead: tell it (1011) and drop it.
      drop(ws, new WebSocketError('WS_ERR_PING_TIMEOUT', 'keepalive ping timeout', { closeCode: 1011, side: 'local' }));
      return;
    case 'ping':
      connection.ping(KEEPALIVE_PAYLOAD);
      fields.flush(ws);
      return;
    case 'idle':
      ws.close(1001, 'idle timeout').catch(() => {});
      return;
    case 'nothing':
      return;
  }
}
