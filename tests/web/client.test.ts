/**
 * `new WebSocket(url, protocols?, options?)`: the WHATWG client, checked for
 * the facts the web-platform-tests `websockets/` directory checks (see
 * tests/web/WPT.md for which WPT file each test stands for) against a real
 * `ws` server.
 */
import test, { type ExecutionContext } from 'ava';
import { WebSocket } from '../../src/websocket.js';
import { CloseEvent, ErrorEvent } from '../../src/web/events.js';
import { HandshakeError } from '../../src/client.js';
import { serve } from '../../src/server/serve.js';
import { echoPeer, next, opened, refusingPeer } from './peers.js';
import { throwsDom } from './dom.js';

function client(t: ExecutionContext, url: string, protocols?: string | string[], options?: ConstructorParameters<typeof WebSocket>[2]): WebSocket {
  const ws = new WebSocket(url, protocols, options);
  t.teardown(() => ws.terminate());
  return ws;
}

// ─── construction (Create-*, constructor, interfaces) ───────────────────────

test('invalid URLs, other schemes and fragments are SyntaxError DOMExceptions', (t) => {
  for (const url of ['ws://foo bar.com/', 'wss://foo bar.com/', 'ftp://127.0.0.1/', 'mailto:example@example.org', 'about:blank', 'ws://127.0.0.1/#', 'ws://127.0.0.1/#test', '#test', '/relative', 'not a url']) {
    throwsDom(t, () => new WebSocket(url), 'SyntaxError', url);
  }
});

test('http and https URLs become ws and wss; url is the serialised URL', (t) => {
  const a = client(t, 'http://127.0.0.1:1/path?q');
  const b = client(t, 'https://127.0.0.1:1/');
  t.is(a.url, 'ws://127.0.0.1:1/path?q');
  t.is(b.url, 'wss://127.0.0.1:1/');
  t.is(client(t, 'ws://127.0.0.1:1').url, 'ws://127.0.0.1:1/');
  t.is(client(t, 'ws://127.0.0.1:80/').url, 'ws://127.0.0.1/'); // default port dropped
  t.is(client(t, new URL('ws://127.0.0.1:1/u') as unknown as string).url, 'ws://127.0.0.1:1/u');
});

test('invalid, empty, non-ASCII and repeated protocols are SyntaxErrors; a stray argument is not', (t) => {
  for (const protocols of ['', 'a b', 'a,b', 'échos', '\u0000', ['echo', 'echo'], ['echo', 'ECHO'], ['ok', '']]) {
    throwsDom(t, () => new WebSocket('ws://127.0.0.1:1/', protocols), 'SyntaxError', JSON.stringify(protocols));
  }
  const ws = new (WebSocket as unknown as new (...args: unknown[]) => WebSocket)('ws://127.0.0.1:1/', 'echo', {}, 'stray');
  t.teardown(() => ws.terminate());
  t.true(ws instanceof WebSocket);
  t.notThrows(() => client(t, 'ws://127.0.0.1:1/', []));
});

test('a wrong option is a TypeError or RangeError from the constructor, not an error event later', (t) => {
  const build = (options: unknown) => new (WebSocket as unknown as new (...args: unknown[]) => WebSocket)('ws://127.0.0.1:1/', [], options);
  t.throws(() => build({ maxPayload: -5 }), { instanceOf: RangeError, message: /new WebSocket\(\): options\.maxPayload/ });
  t.throws(() => build({ timeout: 'soon' }), { instanceOf: TypeError, message: /options\.timeout/ });
  t.throws(() => build({ deflate: 7 }), { instanceOf: TypeError, message: /options\.deflate/ });
  t.throws(() => build({ signal: {} }), { instanceOf: TypeError, message: /options\.signal/ });
});

test('the interface: EventTarget, constants, attributes and their defaults', (t) => {
  const ws = client(t, 'ws://127.0.0.1:1/');
  t.true(ws instanceof EventTarget);
  t.deepEqual([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED], [0, 1, 2, 3]);
  t.deepEqual([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED], [0, 1, 2, 3]);
  t.is(ws.readyState, WebSocket.CONNECTING);
  t.is(ws.bufferedAmount, 0);
  t.is(ws.protocol, '');
  t.is(ws.extensions, '');
  t.is(ws.binaryType, 'blob');
  t.is(Object.prototype.toString.call(ws), '[object WebSocket]');
  for (const name of ['onopen', 'onmessage', 'onerror', 'onclose'] as const) t.is(ws[name], null, name);
  t.throws(() => new (WebSocket as unknown as new () => WebSocket)(), { instanceOf: TypeError });
});

test('handler attributes treat non-callables as null (eventhandlers)', (t) => {
  const ws = client(t, 'ws://127.0.0.1:1/');
  for (const name of ['onopen', 'onmessage', 'onerror', 'onclose'] as const) {
    const fn = (): void => {};
    ws[name] = fn;
    t.is(ws[name], fn);
    (ws as unknown as Record<string, unknown>)[name] = 2;
    t.is(ws[name] as unknown, null, name);
    (ws as unknown as Record<string, unknown>)[name] = {};
    t.is(ws[name] as unknown, null, name);
  }
});

test('binaryType accepts blob and arraybuffer and ignores anything else (binaryType-wrong-value)', (t) => {
  const ws = client(t, 'ws://127.0.0.1:1/');
  ws.binaryType = 'arraybuffer';
  t.is(ws.binaryType, 'arraybuffer');
  (ws as unknown as { binaryType: string }).binaryType = 'notBlobOrArrayBuffer';
  t.is(ws.binaryType, 'arraybuffer');
  ws.binaryType = 'blob';
  t.is(ws.binaryType, 'blob');
});

test('send while connecting is an InvalidStateError (Send-before-open)', (t) => {
  const ws = client(t, 'ws://127.0.0.1:1/');
  throwsDom(t, () => ws.send('x'), 'InvalidStateError', 'send');
});

test('close codes other than 1000 and 3000-4999 are InvalidAccessErrors; reasons over 123 bytes SyntaxErrors (close-invalid, Close-Reason-124Bytes)', (t) => {
  const ws = client(t, 'ws://127.0.0.1:1/');
  for (const code of [0, 500, 999, 1001, 1005, 2999, 5000, NaN, 'string', null, 0x10000 + 1000]) {
    throwsDom(t, () => ws.close(code as number), 'InvalidAccessError', String(code));
  }
  throwsDom(t, () => ws.close(1000, 'x'.repeat(124)), 'SyntaxError', '124 bytes');
  throwsDom(t, () => ws.close(1000, 'é'.repeat(62)), 'SyntaxError', '124 bytes of UTF-8');
  throwsDom(t, () => ws.close(1000, '\uD807'.repeat(42)), 'SyntaxError', 'unpaired surrogates count as U+FFFD (3 bytes)');
  t.is(ws.readyState, WebSocket.CONNECTING, 'a refused close changes nothing');
});

// ─── failing to connect ─────────────────────────────────────────────────────

test('a refused TCP connection fires error, then close 1006 not clean', async (t) => {
  const ws = client(t, 'ws://127.0.0.1:1/');
  const order: string[] = [];
  ws.onerror = (event) => order.push(`error:${event instanceof ErrorEvent}`);
  const closed = next<CloseEvent>(ws, 'close');
  ws.onclose = () => order.push('close');
  const event = await closed;
  t.deepEqual(order, ['error:true', 'close']);
  t.true(event instanceof CloseEvent);
  t.is(event.code, 1006);
  t.false(event.wasClean);
  t.is(ws.readyState, WebSocket.CLOSED);
  t.deepEqual(await ws.finished, { code: 1006, reason: '', wasClean: false });
});

test('an upgrade answered 503 fires error (carrying the HandshakeError) and close 1006', async (t) => {
  const url = await refusingPeer(t, 503);
  const ws = client(t, url);
  const [error, close] = await Promise.all([next<ErrorEvent>(ws, 'error'), next<CloseEvent>(ws, 'close')]);
  t.true(error.error instanceof HandshakeError);
  t.is((error.error as HandshakeError).status, 503);
  t.is(close.code, 1006);
});

test('close() while connecting: CLOSING at once, then error and close 1006', async (t) => {
  const peer = await echoPeer(t);
  const ws = client(t, peer.url);
  ws.close();
  t.is(ws.readyState, WebSocket.CLOSING);
  const events: string[] = [];
  ws.onerror = () => events.push('error');
  const close = await next<CloseEvent>(ws, 'close');
  events.push('close');
  t.deepEqual(events, ['error', 'close']);
  t.is(close.code, 1006);
  t.false(close.wasClean);
  ws.send('ignored');
  t.is(ws.bufferedAmount, 7, 'after close, send only grows bufferedAmount');
});

// ─── open, messages, close ──────────────────────────────────────────────────

test('open sets readyState, protocol and extensions; messages are strings, Blobs or ArrayBuffers', async (t) => {
  const peer = await echoPeer(t, { perMessageDeflate: true });
  const ws = client(t, peer.url, ['chat', 'superchat']);
  let openState = -1;
  ws.onopen = (event) => {
    t.is(event.target, ws);
    openState = ws.readyState;
  };
  await opened(ws);
  t.is(openState, WebSocket.OPEN);
  t.is(ws.protocol, 'chat');
  t.regex(ws.extensions, /^permessage-deflate/);
  const message = async (): Promise<MessageEvent> => next<MessageEvent>(ws, 'message');
  ws.send('héllo');
  let event = await message();
  t.is(event.data, 'héllo');
  t.is(event.origin, new URL(peer.url).origin);
  ws.send(new Uint8Array([1, 2, 3]));
  event = await message();
  t.true(event.data instanceof Blob);
  t.deepEqual([...new Uint8Array(await (event.data as Blob).arrayBuffer())], [1, 2, 3]);
  ws.binaryType = 'arraybuffer';
  ws.send(new Uint16Array([1, 2, 3, 4]).subarray(1, 3)); // a view: only its bytes
  event = await message();
  t.true(event.data instanceof ArrayBuffer);
  t.deepEqual([...new Uint16Array(event.data as ArrayBuffer)], [2, 3]);
  ws.send(new Blob(['blob ', 'parts']));
  ws.send('after the blob'); // waits for the Blob to be read: order kept
  event = await message();
  t.is(Buffer.from(event.data as ArrayBuffer).toString(), 'blob parts');
  t.is((await message()).data, 'after the blob');
  ws.send('');
  t.is((await message()).data, '');
  ws.send(null as unknown as string); // WebIDL: a string (Send-null)
  t.is((await message()).data, 'null');
  ws.send('\uD807x'); // unpaired surrogate → U+FFFD (Send-unpaired-surrogates)
  t.is((await message()).data, '\uFFFDx');
  ws.send('\uD83D\uDE00'); // paired: kept (Send-paired-surrogates)
  t.is((await message()).data, '😀');
});

test('bufferedAmount counts application bytes, not framing, and drops to 0 once written', async (t) => {
  const peer = await echoPeer(t);
  const ws = client(t, peer.url);
  await opened(ws);
  ws.send('0123456789');
  ws.send(new Uint8Array(65_536));
  t.is(ws.bufferedAmount, 10 + 65_536);
  await next(ws, 'message');
  await next(ws, 'message');
  t.is(ws.bufferedAmount, 0);
});

test('close() with no code: CLOSING at once, the peer sees 1005, close event clean (Close-undefined, Close-1005-verify-code)', async (t) => {
  const peer = await echoPeer(t);
  const ws = client(t, peer.url);
  await opened(ws);
  const serverSaw = new Promise<number>((resolve) => peer.clients[0]!.once('close', (code) => resolve(code)));
  ws.close();
  t.is(ws.readyState, WebSocket.CLOSING);
  const event = await next<CloseEvent>(ws, 'close');
  t.is(await serverSaw, 1005);
  t.is(event.code, 1005);
  t.true(event.wasClean);
  t.is(ws.readyState, WebSocket.CLOSED);
});

test('close(code, reason) with 1000, 3000 and 4999 is clean and echoed (Close-1000-reason, Close-3000/4999-reason)', async (t) => {
  const peer = await echoPeer(t);
  for (const code of [1000, 3000, 4999]) {
    const ws = client(t, peer.url);
    await opened(ws);
    ws.close(code, `bye ${code}`);
    const event = await next<CloseEvent>(ws, 'close');
    t.like(event, { code, reason: `bye ${code}`, wasClean: true });
  }
});

test('close(undefined, reason) sends 1000 with the reason (Close-onlyReason)', async (t) => {
  const peer = await echoPeer(t);
  const ws = client(t, peer.url);
  await opened(ws);
  ws.close(undefined, 'only reason');
  t.like(await next<CloseEvent>(ws, 'close'), { code: 1000, reason: 'only reason', wasClean: true });
});

test('a server-initiated close gives its code and reason; send after close only grows bufferedAmount (Close-server-initiated-close)', async (t) => {
  const peer = await echoPeer(t);
  const ws = client(t, peer.url);
  await opened(ws);
  ws.send('close:4001:server says bye');
  const event = await next<CloseEvent>(ws, 'close');
  t.like(event, { code: 4001, reason: 'server says bye', wasClean: true });
  t.notThrows(() => ws.send('late'));
  ws.send(new Uint8Array(5));
  t.is(ws.bufferedAmount, 9);
  t.notThrows(() => ws.close(), 'close after close does nothing');
});

test('a dropped TCP connection fires error and close 1006', async (t) => {
  const peer = await echoPeer(t);
  const ws = client(t, peer.url);
  await opened(ws);
  const events = Promise.all([next(ws, 'error'), next<CloseEvent>(ws, 'close')]);
  ws.send('drop');
  t.like((await events)[1], { code: 1006, wasClean: false });
});

// ─── listeners ──────────────────────────────────────────────────────────────

test('listeners: order, once, handleEvent objects, duplicates, removal, signal, and a throwing listener stops nobody', async (t) => {
  const peer = await echoPeer(t);
  const ws = client(t, peer.url);
  const calls: string[] = [];
  const reported: unknown[] = [];
  ws.unhandledError = (error) => reported.push(error);
  const a = (): void => void calls.push('a');
  ws.addEventListener('message', a);
  ws.addEventListener('message', a); // a duplicate is ignored
  ws.onmessage = () => calls.push('handler');
  ws.addEventListener('message', { handleEvent: () => calls.push('object') });
  ws.addEventListener('message', () => calls.push('once'), { once: true });
  ws.addEventListener('message', () => {
    throw new Error('listener bug');
  });
  const controller = new AbortController();
  ws.addEventListener('message', () => calls.push('signal'), { signal: controller.signal });
  await opened(ws);
  ws.send('1');
  await next(ws, 'message');
  controller.abort();
  ws.removeEventListener('message', a);
  ws.onmessage = () => calls.push('handler2'); // same position as the first handler
  ws.send('2');
  await next(ws, 'message');
  t.deepEqual(calls, ['a', 'handler', 'object', 'once', 'signal', 'handler2', 'object']);
  t.is(reported.length, 2);
  t.is(ws.readyState, WebSocket.OPEN, 'a throwing listener does not close the connection');
});

// ─── the ws4ts surface on the same object ───────────────────────────────────

test('a URL-built WebSocket keeps the ws4ts surface: for await, receive(), ping() with RTT, finished', async (t) => {
  const peer = await echoPeer(t);
  const ws = client(t, peer.url);
  const first = ws.receive(); // before open: waits
  await opened(ws);
  ws.send('one');
  t.like(await first, { type: 'text', data: 'one' });
  t.true((await ws.ping()) >= 0);
  ws.send('two');
  ws.send('close:1000:done');
  const seen: string[] = [];
  for await (const message of ws) seen.push(String(message.data));
  t.deepEqual(seen, ['two']);
  t.like(await ws.finished, { code: 1000, reason: 'done', wasClean: true });
});

test('server-side connections dispatch message and close events too', async (t) => {
  const events: string[] = [];
  const done = new Promise<void>((resolve) => {
    const server = serve({
      port: 0,
      handler: async (ws: WebSocket) => {
        ws.binaryType = 'arraybuffer';
        ws.addEventListener('message', (event) => {
          const data = (event as MessageEvent).data as string | ArrayBuffer;
          events.push(typeof data === 'string' ? data : `bytes:${data.byteLength}`);
          ws.send(typeof data === 'string' ? data : new Uint8Array(data));
        });
        ws.onclose = (event) => {
          events.push(`close:${event.code}`);
          resolve();
        };
        await ws.finished;
      },
    });
    t.teardown(() => server.close());
    void server.listening.then(async () => {
      const address = server.address();
      const ws = client(t, `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`);
      ws.binaryType = 'arraybuffer';
      await opened(ws);
      ws.send('hi');
      await next(ws, 'message');
      ws.send(new Uint8Array(3));
      await next(ws, 'message');
      ws.close(4000);
    });
  });
  await done;
  t.deepEqual(events, ['hi', 'bytes:3', 'close:4000']);
});
