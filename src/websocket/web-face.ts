/**
 * The class's side of the WHATWG face (src/web): the work of
 * `new WebSocket(url, protocols?, options?)`, the adoption of the
 * negotiated connection into that object, and the lazily created listeners
 * and state that src/web/interface.ts installs its accessors over.
 * Separate from websocket.ts because a server-side or `connect()`ed
 * connection never runs it; event dispatch, which can run per message,
 * stays in the class.
 *
 * @module
 */
import { EVENTS, WEB, fields } from './fields.js';
import { transportClosed } from './closing.js';
import { setup } from './opening.js';
import { report } from './report.js';
import { Listeners } from '../web/event-target.js';
import { PendingTransport, WebState, type WebSocketClientOptions } from '../web/client.js';
import { installWebInterface } from '../web/interface.js';
import { parseProtocols, parseWebSocketUrl } from '../web/rules.js';
import type { WebSocket } from './websocket.js';
// Last: it reaches connect() and so, through the client, WebSocket itself,
// whose class body calls installWebFace; what that needs must be loaded first.
import { startClient, type WebHost } from '../web/start-client.js';

/** The WHATWG constructor: check the arguments, wait on an inert engine, start the handshake. @internal */
export function openUrl(ws: WebSocket, init: string | URL | undefined, protocols: string | readonly string[] | undefined, options: WebSocketClientOptions | undefined): void {
  if (init === undefined) throw new TypeError('WebSocket needs a URL');
  const url = parseWebSocketUrl(init);
  const offered = parseProtocols(protocols);
  const state = new WebState(url);
  setup(ws, { transport: new PendingTransport(() => state.abort!.abort(new DOMException('the WebSocket was closed while connecting', 'AbortError'))), role: 'client' });
  fields.connection(ws).receiveEof(); // an engine that accepts nothing until the real one is adopted
  fields.r(ws).web = state;
  fields.setFlags(ws, fields.flags(ws) | WEB);
  startClient(ws, state, offered, options ?? {}, webHost);
}

/** What src/web/client.ts does to the object once the handshake ends. */
const webHost: WebHost = {
  adopt: setup,
  fail: transportClosed,
};

function events(ws: WebSocket, create: boolean): Listeners | undefined {
  if (create && fields.rare(ws)?.events === undefined) {
    fields.r(ws).events = new Listeners();
    fields.setFlags(ws, fields.flags(ws) | EVENTS);
  }
  return fields.rare(ws)?.events;
}

function web(ws: WebSocket, create: boolean): WebState | undefined {
  if (create && fields.rare(ws)?.web === undefined) fields.r(ws).web = new WebState(undefined);
  return fields.rare(ws)?.web;
}

/** Install the WHATWG interface (src/web/interface.ts) on `Class`. @internal */
export function installWebFace(Class: { prototype: WebSocket }): void {
  installWebInterface<WebSocket>(Class, { events: events as never, web: web as never, report });
}
