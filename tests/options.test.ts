/**
 * One options checker at every public entry: wrong types throw a TypeError,
 * numbers out of range a RangeError, each naming the entry, the option, the
 * value and what is accepted, before any I/O (no socket is opened: the URLs
 * point at port 1 and the servers are never started).
 */
import test from 'ava';
import http from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import {
  attach,
  connect,
  serve,
  upgradeHandler,
  permessageDeflate,
  EchoWebSocket,
  WebSocketManager,
} from '../src/index.js';
import { expressWebSockets } from '../src/server/express.js';
import { ws4tsFastify } from '../src/server/fastify.js';
import { DEFAULTS } from '../src/options.js';
import { DEFAULT_LIMITS } from '../src/protocol/message.js';

type Case = [title: string, run: () => unknown, error: typeof TypeError | typeof RangeError, message: RegExp];
const url = 'ws://127.0.0.1:1/';
const echo = async (): Promise<void> => {};
const loose = <T>(value: unknown): T => value as T; // what an untyped (JavaScript) caller may pass

const cases: Case[] = [
  // connect()
  ['connect: protocols not an array', () => connect(url, loose({ protocols: 'chat' })), TypeError, /^connect\(\): options\.protocols must be an array of subprotocol names .*, got "chat" \(a string\)$/],
  ['connect: a protocol with a space', () => connect(url, { protocols: ['a b'] }), TypeError, /^connect\(\): options\.protocols\[0\] is not a valid subprotocol name \(RFC 6455 §4\.1.*got "a b"/],
  ['connect: a protocol with a comma', () => connect(url, { protocols: ['chat', 'x,y'] }), TypeError, /options\.protocols\[1\] is not a valid subprotocol name/],
  ['connect: an empty protocol', () => connect(url, { protocols: [''] }), TypeError, /options\.protocols\[0\] is not a valid subprotocol name/],
  ['connect: a repeated protocol', () => connect(url, { protocols: ['chat', 'chat'] }), TypeError, /options\.protocols names "chat" twice/],
  ['connect: a protocol that is not a string', () => connect(url, loose({ protocols: [1] })), TypeError, /options\.protocols\[0\] must be a .*got 1$/],
  ['connect: timeout a string', () => connect(url, loose({ timeout: '5000' })), TypeError, /^connect\(\): options\.timeout must be a number of ms > 0, got "5000" \(a string\)$/],
  ['connect: timeout 0', () => connect(url, { timeout: 0 }), RangeError, /options\.timeout must be a number of ms > 0, got 0$/],
  ['connect: headers as entries', () => connect(url, loose({ headers: [['x', 'y']] })), TypeError, /options\.headers must be an object of header names to string values, got an array of 1$/],
  ['connect: a header value not a string', () => connect(url, loose({ headers: { 'x-n': 1 } })), TypeError, /options\.headers\["x-n"\] must be a string, got 1$/],
  ['connect: a header name with a space', () => connect(url, { headers: { 'x y': '1' } }), TypeError, /options\.headers has an invalid header name "x y"/],
  ['connect: a header value with CRLF', () => connect(url, { headers: { 'x-a': 'b\r\nx-evil: 1' } }), TypeError, /must not contain CR, LF or NUL/],
  ['connect: maxPayload -1', () => connect(url, { maxPayload: -1 }), RangeError, /^connect\(\): options\.maxPayload must be an integer number of bytes >= 1, got -1$/],
  ['connect: maxPayload 1.5', () => connect(url, { maxPayload: 1.5 }), RangeError, /options\.maxPayload must be an integer/],
  ['connect: maxFragments NaN', () => connect(url, { maxFragments: Number.NaN }), RangeError, /options\.maxFragments must be an integer number of frames >= 1, got NaN$/],
  ['connect: pingInterval negative', () => connect(url, { pingInterval: -5 }), RangeError, /options\.pingInterval must be a number of ms > 0, or null, got -5$/],
  ['connect: autoPong a string', () => connect(url, loose({ autoPong: 'yes' })), TypeError, /options\.autoPong must be true or false, got "yes"/],
  ['connect: origin a number', () => connect(url, loose({ origin: 1 })), TypeError, /options\.origin must be a string, got 1$/],
  ['connect: signal not an AbortSignal', () => connect(url, loose({ signal: {} })), TypeError, /options\.signal must be an AbortSignal/],
  ['connect: deflate a string', () => connect(url, loose({ deflate: 'on' })), TypeError, /options\.deflate must be true, false or an object/],
  ['connect: deflate level 10', () => connect(url, { deflate: { level: 10 } }), RangeError, /^connect\(\): options\.deflate\.level must be an integer from -1 to 9, got 10$/],
  ['connect: extensions not factories', () => connect(url, loose({ extensions: ['permessage-deflate'] })), TypeError, /options\.extensions\[0\] must be a/],
  ['connect: WebSocketClass not a WebSocket', () => connect(url, loose({ WebSocketClass: class Foo {} })), TypeError, /options\.WebSocketClass must be WebSocket or a subclass/],
  ['connect: options not an object', () => connect(url, loose('chat')), TypeError, /^connect\(\): options must be an object, got "chat"/],
  ['connect: url not a string', () => connect(loose(9000)), TypeError, /^connect\(\): url must be a string or a URL, got 9000$/],
  // serve()
  ['serve: handler a string', () => serve(loose({ handler: 'echo' })), TypeError, /^serve\(\): options\.handler must be a handler: .*got "echo" \(a string\)$/],
  ['serve: port a string', () => serve(loose({ port: '9171', handler: echo })), TypeError, /^serve\(\): options\.port must be an integer port from 0 to 65535, got "9171" \(a string\)$/],
  ['serve: port 65536', () => serve({ port: 65536, handler: echo }), RangeError, /options\.port must be an integer port from 0 to 65535, got 65536$/],
  ['serve: no handler', () => serve({ port: 0 }), TypeError, /serve\(\): options need a handler or routes/],
  ['serve: handler and routes', () => serve({ port: 0, handler: echo, routes: { '/': echo } }), TypeError, /a handler or routes, not both/],
  ['serve: a route that is a number', () => serve(loose({ port: 0, routes: { '/a': 1 } })), TypeError, /^serve\(\): options\.routes\["\/a"\] must be a handler/],
  ['serve: route options without a handler', () => serve(loose({ port: 0, routes: { '/a': { protocols: ['x'] } } })), TypeError, /options\.routes\["\/a"\]\.handler must be a handler.*got undefined$/],
  ['serve: a class that is not a WebSocket', () => serve(loose({ port: 0, handler: class Foo {} })), TypeError, /options\.handler is a class that does not extend WebSocket/],
  ['serve: maxHeaderBytes 0', () => serve({ port: 0, handler: echo, maxHeaderBytes: 0 }), RangeError, /options\.maxHeaderBytes must be an integer number of bytes >= 1, got 0$/],
  ['serve: headerTimeout negative', () => serve(loose({ port: 0, handler: echo, headerTimeout: -1 })), RangeError, /options\.headerTimeout must be a number of ms > 0/],
  ['serve: handshakeTimeout (deprecated) a string', () => serve(loose({ port: 0, handler: echo, handshakeTimeout: '1s' })), TypeError, /options\.handshakeTimeout must be a number of ms > 0/],
  ['serve: headerTimeout a string', () => serve(loose({ port: 0, handler: echo, headerTimeout: '1s' })), TypeError, /^serve\(\): options\.headerTimeout must be a number of ms > 0, got "1s" \(a string\)$/],
  ['serve: headerTimeout 0', () => serve({ port: 0, handler: echo, headerTimeout: 0 }), RangeError, /^serve\(\): options\.headerTimeout must be a number of ms > 0, got 0$/],
  ['serve: verifyTimeout Infinity', () => serve({ port: 0, handler: echo, verifyTimeout: Infinity }), RangeError, /^serve\(\): options\.verifyTimeout must be a number of ms > 0, got Infinity$/],
  ['serve: a route with verifyTimeout a string', () => serve(loose({ port: 0, routes: { '/a': { handler: echo, verifyTimeout: '1s' } } })), TypeError, /^serve\(\): options\.routes\["\/a"\]\.verifyTimeout must be a number of ms > 0/],
  ['serve: origins a string', () => serve(loose({ port: 0, handler: echo, origins: 'https://a.example' })), TypeError, /options\.origins must be an array of origins/],
  ['serve: server protocols with a space', () => serve({ port: 0, handler: echo, protocols: ['a b'] }), TypeError, /options\.protocols\[0\] is not a valid subprotocol name/],
  ['serve: verify not a function', () => serve(loose({ port: 0, handler: echo, verify: true })), TypeError, /options\.verify must be a function, got true$/],
  ['serve: manager not a manager', () => serve(loose({ port: 0, handler: echo, manager: {} })), TypeError, /options\.manager must be a WebSocketManager/],
  ['serve: tls a string', () => serve(loose({ port: 0, handler: echo, tls: 'cert.pem' })), TypeError, /options\.tls must be an object of TLS options/],
  // attach() and upgradeHandler()
  ['attach: not a server', () => attach(loose({}), { '/': echo }), TypeError, /^attach\(\): server must be a node:http or node:https server/],
  ['attach: routes an array', () => attach(http.createServer(), loose([echo])), TypeError, /^attach\(\): routes must be an object of paths to handlers, or a function/],
  ['attach: a route handler a string', () => attach(http.createServer(), loose({ '/': 'echo' })), TypeError, /^attach\(\): routes\["\/"\] must be a handler/],
  ['attach: options maxPayload 0', () => attach(http.createServer(), { '/': echo }, { maxPayload: 0 }), RangeError, /^attach\(\): options\.maxPayload must be/],
  ['upgradeHandler: no handler', () => upgradeHandler(loose({})), TypeError, /^upgradeHandler\(\): options\.handler must be a handler/],
  ['upgradeHandler: verifyTimeout a string', () => upgradeHandler(loose({ handler: echo, verifyTimeout: '100' })), TypeError, /^upgradeHandler\(\): options\.verifyTimeout must be a number of ms > 0, got "100" \(a string\)$/],
  ['upgradeHandler: verifyTimeout -1', () => upgradeHandler({ handler: echo, verifyTimeout: -1 }), RangeError, /^upgradeHandler\(\): options\.verifyTimeout must be a number of ms > 0, got -1$/],
  ['attach: options verifyTimeout NaN', () => attach(http.createServer(), { '/': echo }, { verifyTimeout: Number.NaN }), RangeError, /^attach\(\): options\.verifyTimeout must be a number of ms > 0, got NaN$/],
  ['upgradeHandler: closeTimeout -1', () => upgradeHandler({ handler: echo, closeTimeout: -1 }), RangeError, /options\.closeTimeout must be a number of ms > 0/],
  // the manager and deflate
  ['manager: maxBufferedAmount a string', () => new WebSocketManager(loose({ maxBufferedAmount: '4MB' })), TypeError, /^new WebSocketManager\(\): options\.maxBufferedAmount must be an integer number of bytes >= 0/],
  ['manager: bus without listen', () => new WebSocketManager(loose({ bus: { publish() {} } })), TypeError, /options\.bus must be a BroadcastBus/],
  ['deflate: serverNoContextTakeover a string', () => permessageDeflate(loose({ serverNoContextTakeover: 'yes' })), TypeError, /^permessageDeflate\(\): options\.serverNoContextTakeover must be true or false/],
  ['deflate: clientMaxWindowBits false', () => permessageDeflate(loose({ clientMaxWindowBits: false })), TypeError, /options\.clientMaxWindowBits must be an integer from 8 to 15, or true, got false$/],
  // Express
  ['express: not an app', () => expressWebSockets(loose<never>({})), TypeError, /^expressWebSockets\(\): app must be an Express application/],
  ['express: shutdownTimeout a string', () => expressWebSockets(express(), loose({ shutdownTimeout: '5s' })), TypeError, /options\.shutdownTimeout must be a number of ms >= 0/],
  ['express: routingTimeout a string', () => expressWebSockets(express(), loose({ routingTimeout: '5s' })), TypeError, /^expressWebSockets\(\): options\.routingTimeout must be a number of ms > 0, got "5s" \(a string\)$/],
  ['express: routingTimeout 0', () => expressWebSockets(express(), { routingTimeout: 0 }), RangeError, /^expressWebSockets\(\): options\.routingTimeout must be a number of ms > 0, got 0$/],
  ['express: handshakeTimeout (deprecated) negative', () => expressWebSockets(express(), { handshakeTimeout: -1 }), RangeError, /^expressWebSockets\(\): options\.handshakeTimeout must be a number of ms > 0, got -1$/],
  ['express: verifyTimeout a string', () => expressWebSockets(express(), loose({ verifyTimeout: '5s' })), TypeError, /^expressWebSockets\(\): options\.verifyTimeout must be a number of ms > 0/],
  ['express: app.ws route verifyTimeout 0', () => expressWebSockets(express()).app.ws('/x', { handler: echo, verifyTimeout: 0 }), RangeError, /^app\.ws\(\): route\.verifyTimeout must be a number of ms > 0, got 0$/],
  ['express: app.ws with a handler string', () => expressWebSockets(express()).app.ws('/x', loose('echo')), TypeError, /^app\.ws\(\): arguments\.handler must be a handler/],
  ['express: app.ws with a middleware that is not a function', () => expressWebSockets(express()).app.ws('/x', loose(1), echo), TypeError, /app\.ws\(\): middleware 1 must be a function, got 1$/],
  ['express: app.ws route options without a handler', () => expressWebSockets(express()).app.ws('/x', loose({ protocols: ['chat'] })), TypeError, /app\.ws\(\): route\.handler must be a handler/],
];

for (const [title, run, Type, message] of cases) {
  // connect() returns a rejected promise (as fetch() does); every other entry throws at the call.
  const rejects = title.startsWith('connect:');
  test(`${title}: ${Type.name}${rejects ? ' (rejected at once)' : ''}`, async (t) => {
    let error: unknown;
    if (rejects) {
      const result = run();
      t.true(result instanceof Promise, 'connect() does not throw, it rejects');
      error = await t.throwsAsync(result as Promise<unknown>, { instanceOf: Type });
    } else {
      error = t.throws(run, { instanceOf: Type });
    }
    t.regex(error instanceof Error ? error.message : '', message);
  });
}

test('fastify: a { websocket } route with wrong options or handler fails when declared', async (t) => {
  const fastify = Fastify();
  await fastify.register(ws4tsFastify);
  t.throws(() => fastify.get('/a', loose<never>({ websocket: { protocols: 'chat' } }), echo), { instanceOf: TypeError, message: /^GET \/a: websocket\.protocols must be an array/ });
  t.throws(() => fastify.get('/b', { websocket: true }, loose('echo')), { instanceOf: TypeError });
  await fastify.close();
});

test('fastify: plugin options are checked at registration', async (t) => {
  const fastify = Fastify();
  await t.throwsAsync(async () => fastify.register(ws4tsFastify, loose({ maxPayload: -1 })), { instanceOf: RangeError, message: /^ws4tsFastify: options\.maxPayload/ });
});

test('fastify: routingTimeout and verifyTimeout are checked at registration, and verifyTimeout on a { websocket } route', async (t) => {
  await t.throwsAsync(async () => Fastify().register(ws4tsFastify, loose({ routingTimeout: '1s' })), {
    instanceOf: TypeError,
    message: /^ws4tsFastify: options\.routingTimeout must be a number of ms > 0, got "1s" \(a string\)$/,
  });
  await t.throwsAsync(async () => Fastify().register(ws4tsFastify, { routingTimeout: -5 }), { instanceOf: RangeError, message: /^ws4tsFastify: options\.routingTimeout must be a number of ms > 0, got -5$/ });
  await t.throwsAsync(async () => Fastify().register(ws4tsFastify, { verifyTimeout: 0 }), { instanceOf: RangeError, message: /^ws4tsFastify: options\.verifyTimeout must be a number of ms > 0, got 0$/ });
  const fastify = Fastify();
  await fastify.register(ws4tsFastify);
  t.throws(() => fastify.get('/a', loose<{ websocket: true }>({ websocket: { verifyTimeout: '1s' } }), echo), { instanceOf: TypeError, message: /^GET \/a: websocket\.verifyTimeout must be a number of ms > 0/ });
  await fastify.close();
});

test('close() with a code that is not a number is a TypeError that says so', async (t) => {
  const server = serve({ port: 0, handler: EchoWebSocket });
  await server.listening;
  const { port } = server.address() as { port: number };
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  t.throws(() => ws.close(loose('1000')), { instanceOf: TypeError, message: /^close\(\): code must be a number .*got "1000" \(a string\)$/ });
  t.throws(() => ws.close(1000, loose(42)), { instanceOf: TypeError, message: /reason must be a string/ });
  const outcome = await ws.close(1000);
  t.is(outcome.code, 1000);
  await server.close();
});

test('valid options at the limits are accepted', (t) => {
  t.notThrows(() => upgradeHandler({ handler: echo, pingInterval: null, idleTimeout: null, maxPayload: 1, protocols: ['chat.v2', "a!#$%&'*+-.^_`|~"], deflate: { clientMaxWindowBits: true, contextIdleTimeout: Infinity, level: -1 } }));
  t.notThrows(() => upgradeHandler({ handler: echo, protocols: (offered) => offered[0] }));
  t.notThrows(() => new WebSocketManager({ maxBufferedAmount: 0 }));
  t.notThrows(() => upgradeHandler({ handler: echo, verifyTimeout: 1, handshakeTimeout: 1 }));
  t.notThrows(() => expressWebSockets(express(), { routingTimeout: 1, verifyTimeout: Number.MAX_SAFE_INTEGER }));
});

test('defaults live in one place', (t) => {
  t.is(DEFAULTS.limits, DEFAULT_LIMITS);
  t.is(DEFAULTS.connectTimeout, 10_000);
  t.is(DEFAULTS.port, 9000);
  t.is(DEFAULTS.verifyTimeout, 10_000);
  t.is(DEFAULTS.headerTimeout, 10_000);
  t.is(DEFAULTS.routingTimeout, 10_000);
  t.true(Object.isFrozen(DEFAULTS));
});
