/**
 * src/websocket/report.ts: errors go to unhandledError; an error hook that
 * throws takes nothing else down.
 */
import test from 'ava';
import { WebSocket } from '../../src/websocket.js';
import { report } from '../../src/websocket/report.js';
import { within, PATIENCE } from '../helpers/loopback.js';
import { memoryPair } from './shared.js';

test('report() hands the error to unhandledError and swallows what that hook throws', (t) => {
  const seen: unknown[] = [];
  class Fragile extends WebSocket {
    override unhandledError(error: unknown): void {
      seen.push(error);
      throw new Error('the error hook itself failed');
    }
  }
  const { server } = memoryPair(t, { server: Fragile });
  const error = new Error('first');
  t.notThrows(() => report(server, error));
  t.deepEqual(seen, [error]);
  t.is(server.readyState, 1, 'a report alone does not close the connection');
});

test('a closed hook that throws is reported, and the close still settles finished on both sides', async (t) => {
  const seen: unknown[] = [];
  class Throwing extends WebSocket {
    override closed(): void {
      throw new Error('closed hook failed');
    }
    override unhandledError(error: unknown): void {
      seen.push(error);
      throw new Error('and so did the error hook');
    }
  }
  const { server, client } = memoryPair(t, { server: Throwing });
  await within(client.close(1000, 'bye'), PATIENCE);
  t.deepEqual(await within(server.finished, PATIENCE), { code: 1000, reason: 'bye', wasClean: true });
  t.is(seen.length, 1);
  t.is((seen[0] as Error).message, 'closed hook failed');
});
