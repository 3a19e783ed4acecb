/**
 * Read backpressure: a WebSocket stops reading from its transport while
 * any reason holds, the application not taking what was read (the inbox
 * over its high-water mark) or the peer not taking our output (over
 * `writeHighWaterMark`), and reads again once none does; a drain of the
 * transport's write buffer lifts the second reason at the low-water mark.
 * Separate from websocket.ts because it runs only at those edges, not per
 * message.
 *
 * @module
 */
import { CLOSED, OUTPUT_PAUSED, PAUSED, fields } from './fields.js';
import { writeLowWaterMark } from './outbox.js';
import type { WebSocket } from './websocket.js';

/** Set (`on`) or lift a reason (`INBOX_PAUSED`, `OUTPUT_PAUSED`) to pause reading. @internal */
export function pause(ws: WebSocket, reason: number, on: boolean): void {
  const flags = fields.flags(ws);
  const before = flags & PAUSED;
  const next = on ? flags | reason : flags & ~reason;
  fields.setFlags(ws, next);
  const after = next & PAUSED;
  if (before === 0 && after !== 0) fields.transport(ws).pause();
  else if (before !== 0 && after === 0 && (next & CLOSED) === 0) fields.transport(ws).resume();
  // The keepalive clock measures output progress from here (keepalive-clock.ts).
  const rare = fields.rare(ws);
  if (reason === OUTPUT_PAUSED && on && rare !== undefined) rare.stallBuffered = Infinity;
}

/** The transport's write buffer drained: resume reading at the low-water mark, wake the outbox. @internal */
export function drained(ws: WebSocket): void {
  if (fields.flags(ws) & OUTPUT_PAUSED && fields.queued(ws) <= writeLowWaterMark(fields.writeHighWaterMark(ws))) pause(ws, OUTPUT_PAUSED, false);
  fields.outbox(ws)?.drained();
}
