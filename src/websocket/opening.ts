/**
 * The start of a connection, the counterpart of closing.ts: building the
 * engine from a `WebSocketInit` (at construction, or when a URL-built
 * WebSocket adopts the negotiated connection) and starting it: attach the
 * transport, the `open` diagnostics channel, the keepalive clock, the
 * `opened` hook and `open` event, then the bytes read with the upgrade.
 * Separate from websocket.ts because it runs once per connection.
 *
 * @module
 */
import { Connection } from '../protocol/connection.js';
import { DEFAULT_LIMITS } from '../protocol/message.js';
import { openChannel } from '../observe/channels.js';
import { EVENTS, STARTED, fields } from './fields.js';
import { handlerFailed } from './failures.js';
import { KeepaliveClock } from './keepalive-clock.js';
import type { WebSocketInit } from './options.js';
import { Sink, kData } from './sink.js';
import type { WebSocket } from './websocket.js';

type Negotiated = { -readonly [K in 'protocol' | 'extensions' | 'request' | 'response']: WebSocket[K] };

/** Give `ws` the transport, options, negotiated values and engine of `init`. @internal */
export function setup(ws: WebSocket, init: WebSocketInit): void {
  const options = init.options ?? {};
  const self = ws as Negotiated;
  self.protocol = init.protocol ?? '';
  self.extensions = init.extensionsHeader ?? '';
  self.request = init.request;
  self.response = init.response;
  if (init.head !== undefined && init.head.length > 0) fields.r(ws).head = init.head;
  const extensions = init.extensions ?? [];
  const connection = new Connection({
    role: init.role,
    extensions,
    maxPayload: options.maxPayload ?? DEFAULT_LIMITS.maxPayload,
    maxFragments: options.maxFragments ?? DEFAULT_LIMITS.maxFragments,
    autoPong: options.autoPong ?? true,
    onAsyncReady: extensions.length > 0 ? () => fields.afterInput(ws) : undefined,
  });
  fields.attach(ws, init.transport, options, connection);
}

/** Start `ws` (once): attach, open, run the hook, then read the upgrade's leftover bytes. @internal */
export function start(ws: WebSocket): void {
  const flags = fields.flags(ws);
  if (flags & STARTED) return;
  fields.setFlags(ws, flags | STARTED);
  fields.transport(ws).attach(new Sink(ws));
  fields.setOpenedAt(ws, Date.now());
  if (openChannel.hasSubscribers) openChannel.publish({ role: fields.connection(ws).role, websocket: ws, protocol: ws.protocol, extensions: ws.extensions });
  fields.setKeepalive(ws, KeepaliveClock.start(ws, fields.options(ws)));
  try {
    ws.opened();
  } catch (error) {
    handlerFailed(ws, error);
  }
  if (fields.flags(ws) & EVENTS) fields.dispatch(ws, new Event('open'));
  const rare = fields.rare(ws);
  const head = rare?.head;
  if (head !== undefined) {
    rare!.head = undefined;
    ws[kData](head);
  }
}
