/**
 * The diagnostics_channel channels (src/observe/channels.ts), seen by a
 * subscriber as a tracer or metrics exporter would: upgrade outcomes,
 * open/close/error for server and client, and the handshake TracingChannel.
 * Serial: channels are process-wide.
 */
import test from 'ava';
import diagnostics from 'node:diagnostics_channel';
import WS from 'ws';
import { connect, serve, WebSocket, type CloseMessage, type ErrorMessage, type HandshakeContext, type OpenMessage, type UpgradeMessage, type WebSocketServer } from '../../src/index.js';
import { ChannelName } from '../../src/observe/index.js';
import { frame, PATIENCE, rawClient, until, within } from '../helpers/loopback.js';

type Recorded = { channel: string; message: unknown }[];

/** Subscribe to every ws4ts channel for the duration of one test. */
function record(t: import('ava').ExecutionContext): Recorded {
  const seen: Recorded = [];
  const names = [ChannelName.upgrade, ChannelName.open, ChannelName.close, ChannelName.error];
  const listeners = names.map((name) => {
    const listener = (message: unknown): void => void seen.push({ channel: name, message });
    diagnostics.subscribe(name, listener);
    return [name, listener] as const;
  });
  const trace = diagnostics.tracingChannel<HandshakeContext, HandshakeContext>(ChannelName.handshake);
  const handlers = {
    start: (context: HandshakeContext) => void seen.push({ channel: 'trace:start', message: { ...context } }),
    end: (context: HandshakeContext) => void seen.push({ channel: 'trace:end', message: { ...context } }),
    asyncStart: (context: HandshakeContext) => void seen.push({ channel: 'trace:asyncStart', message: { ...context } }),
    asyncEnd: (context: HandshakeContext) => void seen.push({ channel: 'trace:asyncEnd', message: { ...context } }),
    error: (context: HandshakeContext) => void seen.push({ channel: 'trace:error', message: { ...context } }),
  };
  trace.subscribe(handlers);
  t.teardown(() => {
    for (const [name, listener] of listeners) diagnostics.unsubscribe(name, listener);
    trace.unsubscribe(handlers);
  });
  return seen;
}

async function start(t: import('ava').ExecutionContext, options: Partial<Parameters<typeof serve>[0]> = {}): Promise<{ server: WebSocketServer; url: string; port: number }> {
  const server = serve({ port: 0, handler: async (ws: WebSocket) => { for await (const m of ws) ws.send(m.data); }, ...options });
  await server.listening;
  t.teardown(() => server.close({ timeout: 500 }));
  const port = (server.address() as { port: number }).port;
  return { server, url: `ws://127.0.0.1:${port}/path?q=1`, port };
}

function of<T>(seen: Recorded, channel: string): T[] {
  return seen.filter((entry) => entry.channel === channel).map((entry) => entry.message as T);
}

test.serial('an accepted connection: upgrade, open and close on both sides, with code, reason and duration', async (t) => {
  const seen = record(t);
  const { url } = await start(t);
  const ws = await connect(url, { headers: { 'X-Trace': 'abc' } });
  ws.send('hi');
  await ws.receive();
  await ws.close(4000, 'done');
  await until(() => of<CloseMessage>(seen, ChannelName.close).length === 2, PATIENCE, 'both close events');

  const upgrades = of<UpgradeMessage>(seen, ChannelName.upgrade);
  const server = upgrades.find((u) => u.role === 'server')!;
  t.like(server, { outcome: 'accepted', status: 101, request: { method: 'GET', url: '/path?q=1' } });
  t.is(server.request.headers['x-trace'], 'abc');
  t.true(server.websocket instanceof WebSocket);
  t.true(server.duration >= 0);
  const client = upgrades.find((u) => u.role === 'client')!;
  t.like(client, { outcome: 'accepted', status: 101 });
  t.is(client.request.url, url);
  t.is(client.websocket, ws);

  const opens = of<OpenMessage>(seen, ChannelName.open);
  t.deepEqual(opens.map((o) => o.role).sort(), ['client', 'server']);
  t.regex(opens[0]!.extensions, /permessage-deflate/);
  const closes = of<CloseMessage>(seen, ChannelName.close);
  for (const close of closes) {
    t.like(close, { code: 4000, reason: 'done', wasClean: true });
    t.true(close.duration >= 0);
  }
  t.is(closes.find((c) => c.role === 'client')!.websocket, ws);
});

test.serial('a rejected upgrade is published with its status and reason, and traced with an error', async (t) => {
  const seen = record(t);
  const { url } = await start(t, { verify: () => ({ status: 401, reason: 'Who are you' }) });
  await t.throwsAsync(connect(url));
  await until(() => of(seen, ChannelName.upgrade).length === 2, PATIENCE, 'both upgrade events');
  const server = of<UpgradeMessage>(seen, ChannelName.upgrade).find((u) => u.role === 'server')!;
  t.like(server, { outcome: 'rejected', status: 401, reason: 'Who are you' });
  t.is(server.websocket, undefined);
  const client = of<UpgradeMessage>(seen, ChannelName.upgrade).find((u) => u.role === 'client')!;
  t.like(client, { outcome: 'rejected', status: 401 });
  t.regex(client.reason!, /401/);
  const errors = of<HandshakeContext>(seen, 'trace:error');
  t.deepEqual(errors.map((e) => e.role).sort(), ['client', 'server']);
});

test.serial('the handshake TracingChannel: start/end for a sync decision, asyncStart/asyncEnd after an async verify and on the client', async (t) => {
  const seen = record(t);
  const sync = await start(t);
  const ws = await connect(sync.url);
  await ws.close();
  const serverTrace = seen.filter((e) => e.channel.startsWith('trace:') && (e.message as HandshakeContext).role === 'server').map((e) => e.channel);
  t.deepEqual(serverTrace, ['trace:start', 'trace:end']);
  const clientTrace = seen.filter((e) => e.channel.startsWith('trace:') && (e.message as HandshakeContext).role === 'client').map((e) => e.channel);
  t.deepEqual(clientTrace, ['trace:start', 'trace:end', 'trace:asyncStart', 'trace:asyncEnd']);
  const ended = seen.find((e) => e.channel === 'trace:asyncEnd')!.message as HandshakeContext;
  t.like(ended, { outcome: 'accepted', status: 101 });

  seen.length = 0;
  const slow = await start(t, { verify: async () => new Promise((resolve) => setTimeout(() => resolve(true), 20)) });
  const other = await connect(slow.url);
  await other.close();
  const asyncServer = seen.filter((e) => e.channel.startsWith('trace:') && (e.message as HandshakeContext).role === 'server').map((e) => e.channel);
  t.deepEqual(asyncServer, ['trace:start', 'trace:end', 'trace:asyncStart', 'trace:asyncEnd']);
});

test.serial('a protocol error is published on ws4ts:error with the WebSocket and its 1002 close code', async (t) => {
  const seen = record(t);
  const { port } = await start(t);
  const peer = await rawClient(t, port, '/');
  peer.socket.write(frame(0x1, 'unmasked', { mask: false }));
  await until(() => of(seen, ChannelName.close).length === 1, PATIENCE, 'the close event');
  const [error] = of<ErrorMessage>(seen, ChannelName.error);
  t.is(error!.role, 'server');
  t.true(error!.websocket instanceof WebSocket);
  t.is((error!.error as { closeCode?: number }).closeCode, 1002);
  // The raw peer never answers the close frame: the outcome is unclean.
  t.like(of<CloseMessage>(seen, ChannelName.close)[0], { role: 'server', wasClean: false });
});

test.serial('a handler that throws is published on ws4ts:error', async (t) => {
  const seen = record(t);
  class Throwing extends WebSocket {
    override receivedMessage(): void {
      throw new Error('handler bug');
    }
    override unhandledError(): void {}
  }
  const { url } = await start(t, { handler: Throwing });
  const client = new WS(url);
  client.on('error', () => {});
  await within(new Promise((resolve) => client.once('open', resolve)), PATIENCE);
  client.send('boom');
  const [code] = (await within(new Promise((resolve) => client.once('close', (c) => resolve([c]))), PATIENCE)) as [number];
  t.is(code, 1011);
  const errors = of<ErrorMessage>(seen, ChannelName.error);
  t.is((errors[0]!.error as Error).message, 'handler bug');
});

test.serial('nobody subscribed: nothing is published and connections work the same', async (t) => {
  t.false(diagnostics.channel(ChannelName.open).hasSubscribers);
  t.false(diagnostics.channel(ChannelName.upgrade).hasSubscribers);
  const { url } = await start(t);
  const ws = await connect(url);
  ws.send('x');
  t.like(await ws.receive(), { data: 'x' });
  t.like(await ws.close(), { code: 1000, wasClean: true });
});
