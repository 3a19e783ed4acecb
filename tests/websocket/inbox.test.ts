import test from 'ava';
import { Subscriber } from 'rxjs';
import { Inbox } from '../../src/websocket/inbox.js';
import type { Message } from '../../src/protocol/message.js';

function inbox(high = 4, highBytes = 1000, pending = 0) {
  const calls: boolean[] = [];
  const box = new Inbox({ highWaterMark: high, highWaterMarkBytes: highBytes }, { pauseInput: (p) => void calls.push(p), pendingEvents: () => pending });
  return { box, calls };
}
const text = (data: string): Message => ({ type: 'text', data });

test('reading pauses at the high-water mark and resumes at half', (t) => {
  const { box, calls } = inbox(4);
  for (let i = 0; i < 3; i++) box.push(text(String(i)));
  t.deepEqual(calls, []);
  box.push(text('3'));
  t.deepEqual(calls, [true]);
  t.true(box.paused);
  box.take();
  t.deepEqual(calls, [true], 'still above half');
  box.take();
  t.deepEqual(calls, [true, false]);
  t.is(box.size, 2);
});

test('bytes count too, and so do the engine\'s pending decodes', (t) => {
  const bytes = inbox(100, 10);
  bytes.box.push(text('0123456789'));
  t.deepEqual(bytes.calls, [true]);
  const pending = inbox(4, 1000, 3);
  pending.box.push(text('x'));
  t.deepEqual(pending.calls, [true]);
});

test('waiters get messages in order; close ends them; queued messages stay takeable', async (t) => {
  const { box } = inbox();
  const first = box.next(undefined);
  box.push(text('a'));
  t.deepEqual(await first, { value: text('a'), done: false });
  box.push(text('b'));
  const waiting = (box.next(undefined), box.next(undefined));
  box.close(undefined);
  t.deepEqual(await waiting, { value: undefined, done: true });
  t.deepEqual(await box.next(undefined), { value: undefined, done: true });
});

test('a subscriber gets what was queued first, then live messages; an error closes with it', (t) => {
  const { box } = inbox();
  box.push(text('early'));
  const seen: string[] = [];
  let failed: unknown;
  const subscriber = new Subscriber<Message>({ next: (m: Message) => void seen.push(m.data as string), error: (e: unknown) => (failed = e), complete: () => {} });
  box.subscribe(subscriber);
  box.push(text('late'));
  t.deepEqual(seen, ['early', 'late']);
  const boom = new Error('protocol');
  box.close(boom);
  t.is(failed, boom);
});

test('an aborted receive rejects with the reason and leaves no waiter behind', async (t) => {
  const { box } = inbox();
  const controller = new AbortController();
  const waiting = box.next(controller.signal);
  controller.abort(new Error('stop'));
  await t.throwsAsync(waiting, { message: 'stop' });
  box.push(text('kept'));
  t.is(box.size, 1, 'the message was queued, not handed to the aborted waiter');
});
