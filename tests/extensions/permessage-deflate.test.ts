/**
 * permessage-deflate negotiation (RFC 7692 §5, §7) for both roles, and the
 * factory's option checks. The transform itself is tested in
 * deflate-codec.test.ts; interop with ws in permessage-deflate-interop.test.ts.
 */
import test from 'ava';
import { permessageDeflate, type DeflateOptions } from '../../src/extensions/permessage-deflate.js';
import { PerMessageDeflate } from '../../src/extensions/deflate-codec.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { parseExtensions, serializeExtensions } from '../../src/protocol/headers.js';
import { negotiateExtensions, validateResponse } from '../../src/protocol/handshake.js';
import type { Extension } from '../../src/protocol/extension.js';
import { EchoWebSocket } from '../../src/websocket.js';
import { client, serverWith, within } from '../helpers/loopback.js';

/** The agreed settings of a negotiated extension, for compact assertions. */
function settings(extension: Extension) {
  if (!(extension instanceof PerMessageDeflate)) throw new Error('not a PerMessageDeflate');
  return {
    localNoContextTakeover: extension.localNoContextTakeover,
    remoteNoContextTakeover: extension.remoteNoContextTakeover,
    localMaxWindowBits: extension.localMaxWindowBits,
    remoteMaxWindowBits: extension.remoteMaxWindowBits,
  };
}

/** Server side: accept `header`'s offers; the response header, or undefined when all are declined. */
function serverAnswer(header: string, options: DeflateOptions = {}): { response: string; extension: Extension } | undefined {
  const accepted = permessageDeflate(options).accept(parseExtensions(header));
  if (accepted === undefined) return undefined;
  accepted.extension.dispose();
  return { response: serializeExtensions([accepted.response]), extension: accepted.extension };
}

// ─── server: RFC 7692 §7.1, accepting offers ────────────────────────────────

const serverAccepts: [title: string, offer: string, options: DeflateOptions, response: string][] = [
  ['a bare offer', 'permessage-deflate', {}, 'permessage-deflate'],
  ['client_max_window_bits without a value (no limit wanted)', 'permessage-deflate; client_max_window_bits', {}, 'permessage-deflate'],
  ['client_max_window_bits=10 (echoed so both sides agree)', 'permessage-deflate; client_max_window_bits=10', {}, 'permessage-deflate; client_max_window_bits=10'],
  ['server_max_window_bits=10 (answered with the same value)', 'permessage-deflate; server_max_window_bits=10', {}, 'permessage-deflate; server_max_window_bits=10'],
  ['a quoted window value', 'permessage-deflate; server_max_window_bits="12"', {}, 'permessage-deflate; server_max_window_bits=12'],
  ['server_no_context_takeover', 'permessage-deflate; server_no_context_takeover', {}, 'permessage-deflate; server_no_context_takeover'],
  ['client_no_context_takeover (echoed)', 'permessage-deflate; client_no_context_takeover', {}, 'permessage-deflate; client_no_context_takeover'],
  ['server_max_window_bits=8', 'permessage-deflate; server_max_window_bits=8', {}, 'permessage-deflate; server_max_window_bits=8'],
  ['serverMaxWindowBits 12 and a bare offer', 'permessage-deflate', { serverMaxWindowBits: 12 }, 'permessage-deflate; server_max_window_bits=12'],
  ['serverMaxWindowBits 12 and an offer of 10', 'permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 12 }, 'permessage-deflate; server_max_window_bits=10'],
  ['serverMaxWindowBits 12 and an offer of 14', 'permessage-deflate; server_max_window_bits=14', { serverMaxWindowBits: 12 }, 'permessage-deflate; server_max_window_bits=12'],
  ['clientMaxWindowBits 11 and client_max_window_bits', 'permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 11 }, 'permessage-deflate; client_max_window_bits=11'],
  ['clientMaxWindowBits 11 and client_max_window_bits=9', 'permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 11 }, 'permessage-deflate; client_max_window_bits=9'],
  ['clientMaxWindowBits 11 and an offer without the parameter', 'permessage-deflate', { clientMaxWindowBits: 11 }, 'permessage-deflate'],
  ['serverNoContextTakeover', 'permessage-deflate; client_max_window_bits', { serverNoContextTakeover: true }, 'permessage-deflate; server_no_context_takeover'],
  ['clientNoContextTakeover', 'permessage-deflate', { clientNoContextTakeover: true }, 'permessage-deflate; client_no_context_takeover'],
  [
    'every parameter at once',
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9',
    {},
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9',
  ],
];

for (const [title, offer, options, response] of serverAccepts) {
  test(`RFC 7692 §7.1: the server accepts ${title}`, (t) => {
    t.is(serverAnswer(offer, options)?.response, response);
  });
}

const serverDeclines: [title: string, offer: string][] = [
  ['an unknown parameter', 'permessage-deflate; foo'],
  ['an unknown parameter with a value', 'permessage-deflate; x-mode=fast'],
  ['a repeated server_no_context_takeover', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
  ['a repeated client_max_window_bits', 'permessage-deflate; client_max_window_bits; client_max_window_bits=10'],
  ['a repeated server_max_window_bits', 'permessage-deflate; server_max_window_bits=10; server_max_window_bits=10'],
  ['server_max_window_bits=7', 'permessage-deflate; server_max_window_bits=7'],
  ['server_max_window_bits=16', 'permessage-deflate; server_max_window_bits=16'],
  ['server_max_window_bits with a leading zero', 'permessage-deflate; server_max_window_bits=09'],
  ['server_max_window_bits that is not a number', 'permessage-deflate; server_max_window_bits=abc'],
  ['server_max_window_bits without a value', 'permessage-deflate; server_max_window_bits'],
  ['client_max_window_bits=7', 'permessage-deflate; client_max_window_bits=7'],
  ['client_max_window_bits=16', 'permessage-deflate; client_max_window_bits=16'],
  ['a value on server_no_context_takeover', 'permessage-deflate; server_no_context_takeover=1'],
  ['a value on client_no_context_takeover', 'permessage-deflate; client_no_context_takeover="true"'],
];

for (const [title, offer] of serverDeclines) {
  test(`RFC 7692 §7: the server declines an offer with ${title}`, (t) => {
    t.is(serverAnswer(offer), undefined);
  });
}

test('RFC 7692 §5.1: the server takes the first acceptable offer and skips invalid ones', (t) => {
  t.is(serverAnswer('permessage-deflate; foo, permessage-deflate; server_max_window_bits=10')?.response, 'permessage-deflate; server_max_window_bits=10');
  t.is(serverAnswer('permessage-deflate; server_max_window_bits=20, permessage-deflate')?.response, 'permessage-deflate');
  t.is(
    serverAnswer('permessage-deflate; server_max_window_bits=11, permessage-deflate; server_max_window_bits=10')?.response,
    'permessage-deflate; server_max_window_bits=11',
  );
  t.is(serverAnswer('permessage-deflate; a, permessage-deflate; b'), undefined);
});

test('the server ignores offers of other extensions', (t) => {
  t.is(permessageDeflate().accept(parseExtensions('x-webkit-deflate-frame')), undefined);
});

test('the server codec follows the agreed parameters', (t) => {
  const offer = 'permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12';
  t.deepEqual(settings(serverAnswer(offer)!.extension), {
    localNoContextTakeover: false,
    remoteNoContextTakeover: true,
    localMaxWindowBits: 10,
    remoteMaxWindowBits: 12,
  });
  t.deepEqual(settings(serverAnswer('permessage-deflate', { serverNoContextTakeover: true })!.extension), {
    localNoContextTakeover: true,
    remoteNoContextTakeover: false,
    localMaxWindowBits: 15,
    remoteMaxWindowBits: 15,
  });
});

test('negotiateExtensions builds the response header with permessage-deflate', (t) => {
  const { extensions, header } = negotiateExtensions(parseExtensions('permessage-deflate; client_max_window_bits; server_max_window_bits=12'), [permessageDeflate()]);
  t.is(header, 'permessage-deflate; server_max_window_bits=12');
  t.is(extensions.length, 1);
  t.is(extensions[0]!.rsvMask, 0x40);
  for (const extension of extensions) extension.dispose();
});

// ─── client: offering ───────────────────────────────────────────────────────

const clientOffers: [title: string, options: DeflateOptions, offer: string][] = [
  ['by default', {}, 'permessage-deflate; client_max_window_bits'],
  ['with clientMaxWindowBits 10', { clientMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits=10'],
  ['with serverMaxWindowBits 12', { serverMaxWindowBits: 12 }, 'permessage-deflate; server_max_window_bits=12; client_max_window_bits'],
  [
    'with both no_context_takeover flags',
    { serverNoContextTakeover: true, clientNoContextTakeover: true },
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits',
  ],
];

for (const [title, options, offer] of clientOffers) {
  test(`the client offer ${title} is "${offer}"`, (t) => {
    t.is(serializeExtensions(permessageDeflate(options).offer()), offer);
  });
}

// ─── client: RFC 7692 §7.1, checking the answer ─────────────────────────────

function clientComplete(response: string, options: DeflateOptions = {}): Extension {
  const extension = permessageDeflate(options).complete(parseExtensions(response)[0]!);
  extension.dispose();
  return extension;
}

const clientAccepts: [title: string, response: string, options: DeflateOptions, expected: ReturnType<typeof settings>][] = [
  ['a bare answer', 'permessage-deflate', {}, { localNoContextTakeover: false, remoteNoContextTakeover: false, localMaxWindowBits: 15, remoteMaxWindowBits: 15 }],
  ['server_no_context_takeover sent unasked', 'permessage-deflate; server_no_context_takeover', {}, { localNoContextTakeover: false, remoteNoContextTakeover: true, localMaxWindowBits: 15, remoteMaxWindowBits: 15 }],
  ['client_no_context_takeover sent unasked', 'permessage-deflate; client_no_context_takeover', {}, { localNoContextTakeover: true, remoteNoContextTakeover: false, localMaxWindowBits: 15, remoteMaxWindowBits: 15 }],
  ['server_max_window_bits sent unasked', 'permessage-deflate; server_max_window_bits=10', {}, { localNoContextTakeover: false, remoteNoContextTakeover: false, localMaxWindowBits: 15, remoteMaxWindowBits: 10 }],
  ['client_max_window_bits=9', 'permessage-deflate; client_max_window_bits=9', {}, { localNoContextTakeover: false, remoteNoContextTakeover: false, localMaxWindowBits: 9, remoteMaxWindowBits: 15 }],
  ['client_max_window_bits=8', 'permessage-deflate; client_max_window_bits=8', {}, { localNoContextTakeover: false, remoteNoContextTakeover: false, localMaxWindowBits: 8, remoteMaxWindowBits: 15 }],
  ['no client_max_window_bits after offering 10', 'permessage-deflate', { clientMaxWindowBits: 10 }, { localNoContextTakeover: false, remoteNoContextTakeover: false, localMaxWindowBits: 10, remoteMaxWindowBits: 15 }],
  ['client_max_window_bits=9 after offering 10', 'permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 10 }, { localNoContextTakeover: false, remoteNoContextTakeover: false, localMaxWindowBits: 9, remoteMaxWindowBits: 15 }],
  ['server_max_window_bits=9 after asking for 10', 'permessage-deflate; server_max_window_bits=9', { serverMaxWindowBits: 10 }, { localNoContextTakeover: false, remoteNoContextTakeover: false, localMaxWindowBits: 15, remoteMaxWindowBits: 9 }],
  ['no client_no_context_takeover after promising it', 'permessage-deflate', { clientNoContextTakeover: true }, { localNoContextTakeover: true, remoteNoContextTakeover: false, localMaxWindowBits: 15, remoteMaxWindowBits: 15 }],
  ['server_no_context_takeover after asking for it', 'permessage-deflate; server_no_context_takeover', { serverNoContextTakeover: true }, { localNoContextTakeover: false, remoteNoContextTakeover: true, localMaxWindowBits: 15, remoteMaxWindowBits: 15 }],
];

for (const [title, response, options, expected] of clientAccepts) {
  test(`RFC 7692 §7.1: the client accepts ${title}`, (t) => {
    t.deepEqual(settings(clientComplete(response, options)), expected);
  });
}

const clientRejects: [title: string, response: string, options: DeflateOptions][] = [
  ['an unknown parameter', 'permessage-deflate; foo', {}],
  ['a repeated parameter', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}],
  ['server_max_window_bits without a value', 'permessage-deflate; server_max_window_bits', {}],
  ['server_max_window_bits=16', 'permessage-deflate; server_max_window_bits=16', {}],
  ['client_max_window_bits without a value', 'permessage-deflate; client_max_window_bits', {}],
  ['client_max_window_bits=7', 'permessage-deflate; client_max_window_bits=7', {}],
  ['a value on client_no_context_takeover', 'permessage-deflate; client_no_context_takeover=1', {}],
  ['client_max_window_bits above the offered value', 'permessage-deflate; client_max_window_bits=11', { clientMaxWindowBits: 10 }],
  ['server_max_window_bits above the requested value', 'permessage-deflate; server_max_window_bits=11', { serverMaxWindowBits: 10 }],
  ['no server_max_window_bits after asking for it', 'permessage-deflate', { serverMaxWindowBits: 10 }],
  ['no server_no_context_takeover after asking for it', 'permessage-deflate', { serverNoContextTakeover: true }],
];

for (const [title, response, options] of clientRejects) {
  test(`RFC 7692 §7.1: the client fails the handshake on ${title}`, (t) => {
    const error = t.throws(() => clientComplete(response, options), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_HANDSHAKE');
    t.is(error?.side, 'remote');
  });
}

test('validateResponse fails on a bad permessage-deflate answer and accepts a good one', (t) => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const base = {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
  };
  const factory = permessageDeflate();
  const good = validateResponse(
    { status: 101, headers: { ...base, 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits=12' } },
    { key, protocols: [], extensions: [factory] },
  );
  if (!good.ok) return t.fail(good.error.message);
  t.deepEqual(settings(good.extensions[0]!).localMaxWindowBits, 12);
  for (const extension of good.extensions) extension.dispose();
  const bad = validateResponse(
    { status: 101, headers: { ...base, 'sec-websocket-extensions': 'permessage-deflate; server_max_window_bits=3' } },
    { key, protocols: [], extensions: [factory] },
  );
  t.false(bad.ok);
  const error = bad.ok ? undefined : bad.error;
  t.true(error instanceof WebSocketError);
  t.is(error?.code, 'WS_ERR_HANDSHAKE');
});

// ─── options ────────────────────────────────────────────────────────────────

const badOptions: [string, DeflateOptions][] = [
  ['serverMaxWindowBits 7', { serverMaxWindowBits: 7 }],
  ['serverMaxWindowBits 16', { serverMaxWindowBits: 16 }],
  ['serverMaxWindowBits 9.5', { serverMaxWindowBits: 9.5 }],
  ['clientMaxWindowBits 20', { clientMaxWindowBits: 20 }],
  ['level 10', { level: 10 }],
  ['memLevel 0', { memLevel: 0 }],
  ['threshold -1', { threshold: -1 }],
  ['threshold NaN', { threshold: Number.NaN }],
  ['concurrency 0', { concurrency: 0 }],
  ['contextIdleTimeout 0', { contextIdleTimeout: 0 }],
];

for (const [title, options] of badOptions) {
  test(`permessageDeflate rejects ${title} with a RangeError naming the option and the value`, (t) => {
    const [name, value] = Object.entries(options)[0]!;
    const error = t.throws(() => permessageDeflate(options), { instanceOf: RangeError });
    t.true(error?.message.startsWith(`permessageDeflate(): options.${name} must be `));
    t.true(error?.message.endsWith(`got ${String(value)}`));
  });
}

// ─── end to end ─────────────────────────────────────────────────────────────

test('a ws4ts client and server negotiate permessage-deflate over loopback and echo through it', async (t) => {
  const { url, accepted } = await serverWith(t, { handler: EchoWebSocket, extensions: [permessageDeflate({ serverMaxWindowBits: 12 })] });
  const ws = await client(t, url, { extensions: [permessageDeflate({ threshold: 0 })] });
  t.is(ws.extensions, 'permessage-deflate; server_max_window_bits=12');
  t.is((await accepted.next()).extensions, 'permessage-deflate; server_max_window_bits=12');
  const messages = ['tiny', 'compress me '.repeat(500), new Uint8Array(200_000).fill(42)];
  for (const message of messages) ws.send(message);
  for (const message of messages) {
    const reply = await within(ws.receive(), 5000, 'echo');
    if (typeof message === 'string') t.deepEqual(reply, { type: 'text', data: message });
    else t.true(reply.type === 'binary' && Buffer.from(reply.data).equals(Buffer.from(message)));
  }
  t.is((await within(ws.close(), 5000, 'close')).code, 1000);
});

test('a server without permessage-deflate leaves the client uncompressed', async (t) => {
  const { url } = await serverWith(t, { handler: EchoWebSocket, deflate: false });
  const ws = await client(t, url, { extensions: [permessageDeflate({ threshold: 0 })] });
  t.is(ws.extensions, '');
  ws.send('plain '.repeat(300));
  t.deepEqual(await within(ws.receive(), 5000, 'echo'), { type: 'text', data: 'plain '.repeat(300) });
  await ws.close();
});
