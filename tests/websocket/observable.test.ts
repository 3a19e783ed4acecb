/**
 * src/websocket/observable.ts: a WebSocket is an Observable of its
 * messages, through methods on the prototype that forward to messages$.
 */
import test from 'ava';
import { firstValueFrom, lastValueFrom, of, type Observable } from 'rxjs';
import { map, take, toArray } from 'rxjs/operators';
import { installObservable } from '../../src/websocket/observable.js';
import { WebSocket } from '../../src/websocket.js';
import type { Message } from '../../src/protocol/message.js';
import { within, PATIENCE } from '../helpers/loopback.js';
import { memoryPair } from './shared.js';

test('installObservable puts subscribe, pipe and forEach on the prototype, forwarding to messages$', async (t) => {
  class Source {
    readonly messages$: Observable<Message> = of<Message[]>({ type: 'text', data: 'a' }, { type: 'text', data: 'b' });
  }
  installObservable(Source);
  const source = new Source() as unknown as Observable<Message> & Source;
  t.false(Object.hasOwn(source, 'subscribe'), 'on the prototype, not per instance');
  t.deepEqual(await lastValueFrom(source.pipe(map((m) => m.data), toArray())), ['a', 'b']);
  const seen: unknown[] = [];
  await source.forEach((m) => seen.push(m.data));
  t.deepEqual(seen, ['a', 'b']);
  t.is((source as unknown as { source: unknown }).source, undefined);
  t.is((source as unknown as { operator: unknown }).operator, undefined);
});

test('a live WebSocket can be piped like its messages$ and completes when it closes', async (t) => {
  const { server, client } = memoryPair(t);
  const firstTwo = firstValueFrom(client.pipe(take(2), map((m) => String(m.data)), toArray()));
  const all: string[] = [];
  const completed = new Promise<void>((resolve, reject) => client.subscribe({ next: (m) => all.push(String(m.data)), error: reject, complete: resolve }));
  server.send('x');
  server.send('y');
  server.send('z');
  t.deepEqual(await within(firstTwo, PATIENCE), ['x', 'y']);
  await within(server.close(1000), PATIENCE);
  await within(completed, PATIENCE, 'the subscription completes');
  t.deepEqual(all, ['x', 'y', 'z']);
  t.true(client instanceof WebSocket);
});
