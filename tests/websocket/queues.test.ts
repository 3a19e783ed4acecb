/**
 * src/websocket/queues.ts: receive() (with an AbortSignal), for-await and
 * messages$ over the inbox, on a clean close and on a protocol failure.
 */
import test from 'ava';
import { WebSocketError } from '../../src/protocol/errors.js';
import { observe } from '../../src/handler.js';
import { client, deferred, delay, frame, rawClient, serverWith, within, PATIENCE } from '../helpers/loopback.js';
import { echo } from './shared.js';

test('receive({signal}) rejects when aborted and the next message still reaches the next receive', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  const controller = new AbortController();
  const pending = ws.receive({ signal: controller.signal });
  controller.abort(new Error('gave up'));
  await t.throwsAsync(pending, { message: 'gave up' });
  const aborted = AbortSignal.abort(new Error('already'));
  await t.throwsAsync(ws.receive({ signal: aborted }), { message: 'already' });
  server.send('late');
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'late' });
});

test('one AbortSignal serves many receive() calls, and an abort after the close is harmless', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  const controller = new AbortController();
  for (let i = 0; i < 30; i++) {
    ws.send(String(i));
    t.is((await within(ws.receive({ signal: controller.signal }), PATIENCE)).data, String(i));
  }
  const pending = ws.receive({ signal: controller.signal });
  await ws.close();
  await t.throwsAsync(pending, { code: 'WS_ERR_CLOSED' } as never);
  // Used to throw from the abort listener (an uncaught exception) once the waiters were gone.
  controller.abort();
  await delay(20);
  t.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning'), []);
});

test('receive() rejects with WS_ERR_CLOSED and for-await ends after a clean close', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  server.send('last');
  await server.close(1000);
  const seen: unknown[] = [];
  for await (const message of ws) seen.push(message.data);
  t.deepEqual(seen, ['last']);
  await t.throwsAsync(ws.receive(), { code: 'WS_ERR_CLOSED' } as never);
});

test('messages$ delivers messages and completes on a clean close', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  const seen: string[] = [];
  const completed = new Promise<void>((resolve, reject) => {
    ws.messages$.subscribe({ next: (m) => seen.push(String(m.data)), error: reject, complete: resolve });
  });
  server.send('a');
  server.send('b');
  await delay(20);
  await server.close(1000, 'done');
  await within(completed, PATIENCE, 'messages$ completion');
  t.deepEqual(seen, ['a', 'b']);
  // A late subscriber completes at once.
  await within(
    new Promise<void>((resolve, reject) => ws.messages$.subscribe({ error: reject, complete: resolve })), PATIENCE,
  );
});

test('messages$ errors on a protocol failure and the raw peer sees close 1002', async (t) => {
  const failure = deferred<unknown>();
  const { port, accepted } = await serverWith(t, {
    handler: observe((messages$) => {
      messages$.subscribe({ error: failure.resolve, complete: () => failure.reject(new Error('completed')) });
    }),
  });
  const peer = await rawClient(t, port);
  const server = await accepted.next();
  peer.socket.write(frame(1, 'unmasked', { mask: false }));
  const close = await peer.frames.waitFor((f) => f.opcode === 8);
  t.is(close.payload.readUInt16BE(0), 1002);
  const error = await within(failure.promise, PATIENCE);
  t.true(error instanceof WebSocketError);
  t.is((error as WebSocketError).code, 'WS_ERR_UNMASKED_FRAME');
  t.is(server.error, error as WebSocketError);
  await peer.frames.waitEnd();
  const outcome = await within(server.finished, PATIENCE);
  t.false(outcome.wasClean);
  // for-await and receive() report the same failure.
  await t.throwsAsync(server.receive(), { is: error as Error });
});
