import test from 'ava';
import { PingTracker } from '../../src/websocket/pings.js';
import { WebSocketError } from '../../src/protocol/errors.js';

test('a pong settles its ping and every ping before it, with the round trip', async (t) => {
  const pings = new PingTracker();
  const a = pings.nextPayload();
  const b = pings.nextPayload();
  t.notDeepEqual(a, b, 'payloads are distinct');
  const first = pings.track(a, 10);
  const second = pings.track(b, 20);
  t.is(pings.pong(new Uint8Array([1, 2, 3]), 25), 0, 'an unknown pong settles nothing');
  t.is(pings.pong(b, 50), 2);
  t.deepEqual(await Promise.all([first, second]), [40, 30]);
  t.is(pings.size, 0);
});

test('closing rejects the waiting pings with WS_ERR_CLOSED', async (t) => {
  const pings = new PingTracker();
  const waiting = pings.track(pings.nextPayload(), 0);
  pings.close();
  const error = await t.throwsAsync(waiting, { instanceOf: WebSocketError });
  t.is(error?.code, 'WS_ERR_CLOSED');
});
