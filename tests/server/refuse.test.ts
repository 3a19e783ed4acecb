/**
 * refuse(): the one way the server family turns down an upgrade. The client
 * gets the error's HTTP answer, then the socket is closed, and destroyed
 * after REFUSE_LINGER_MS even when the client never closes its side.
 */
import test from 'ava';
import { createServer, connect, type Socket, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { WebSocketError } from '../../src/protocol/errors.js';
import { refuse, REFUSE_LINGER_MS } from '../../src/server/refuse.js';

async function pair(t: import('ava').ExecutionContext, allowHalfOpen = false): Promise<{ client: Socket; server: Socket }> {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection');
  const client = connect({ port: (listener.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen });
  const [server] = (await accepted) as [Socket];
  t.teardown(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { client, server };
}

test('the client reads the status, reason and headers, then the socket closes', async (t) => {
  const { client, server } = await pair(t);
  let answer = '';
  client.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  refuse(server, new WebSocketError('WS_ERR_HANDSHAKE', 'Unsupported version', { status: 426, headers: { 'Sec-WebSocket-Version': '13' } }));
  await once(client, 'end');
  t.regex(answer, /^HTTP\/1\.1 426 /);
  t.regex(answer, /Sec-WebSocket-Version: 13\r\n/i);
  t.regex(answer, /Unsupported version/);
});

test('a client that never closes its side is cut off after the linger time; a destroyed socket is left alone', async (t) => {
  const { client, server } = await pair(t, true);
  client.on('data', () => {}); // reads its answer, but keeps its half open
  let ended = false;
  client.on('end', () => (ended = true));
  const started = performance.now();
  refuse(server, new WebSocketError('WS_ERR_HANDSHAKE', 'Not found', { status: 404 }));
  await once(server, 'close');
  t.true(ended, 'the answer was followed by a FIN');
  // Only the timer closes it: the client never sent its FIN.
  t.true(performance.now() - started >= REFUSE_LINGER_MS - 50, `closed after ${performance.now() - started} ms`);
  t.notThrows(() => refuse(server, new WebSocketError('WS_ERR_HANDSHAKE', 'again', { status: 400 })));
});
