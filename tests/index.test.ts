/**
 * The public surface: what `import … from 'ws4ts'` offers, in the sources
 * and in the built package.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as api from '../src/index.js';
import { client, serverWith, within, PATIENCE } from './helpers/loopback.js';

const expected = [
  'WebSocket',
  'EchoWebSocket',
  'connect',
  'HandshakeError',
  'observe',
  'runHandler',
  'upgradeHandler',
  'attach',
  'SocketTransport',
  'WebStreamTransport',
  'WebSocketError',
  'CloseCode',
  'isValidCloseCode',
  'ReadyState',
];

test('the entry point exports the connection, client, handler, server and transport API', (t) => {
  for (const name of expected) t.not((api as Record<string, unknown>)[name], undefined, name);
  t.true(api.HandshakeError.prototype instanceof api.WebSocketError);
  t.true(api.EchoWebSocket.prototype instanceof api.WebSocket);
  t.deepEqual(api.ReadyState, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
});

test('the built package exports the same names as the sources', async (t) => {
  const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  if (!existsSync(built)) {
    t.pass('dist/ not built (npm test builds it first)');
    return;
  }
  const dist = (await import(built)) as Record<string, unknown>;
  t.deepEqual(Object.keys(dist).sort(), Object.keys(api).sort());
});

test('the entry point alone is enough for a server and a client', async (t) => {
  const { url } = await serverWith(t, { handler: api.EchoWebSocket });
  const ws = await client(t, url);
  ws.send('via the public API');
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'via the public API' });
});
