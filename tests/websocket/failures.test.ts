/**
 * src/websocket/failures.ts: a failing handler or message source is
 * reported and closes the connection with 1011.
 */
import test from 'ava';
import { serverWith, client, within, PATIENCE } from '../helpers/loopback.js';
import { echo } from './shared.js';

test('a generator that throws mid-message fails the connection with 1011', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  async function* broken(): AsyncGenerator<string> {
    yield 'a';
    yield 'b';
    throw new Error('producer failed');
  }
  const reported: unknown[] = [];
  ws.unhandledError = (error) => void reported.push(error);
  t.false(await ws.send(broken()), 'the promise resolves false, it never rejects');
  t.is((await within(server.finished, PATIENCE)).code, 1011);
  t.is((reported[0] as Error).message, 'producer failed');
});
