import test from 'ava';
import { toPayload } from '../../src/websocket/payload.js';

test('strings and bytes are messages; views are taken without copying', (t) => {
  t.is(toPayload('hi'), 'hi');
  const bytes = new Uint8Array([1, 2, 3]);
  t.is(toPayload(bytes), bytes);
  const view = toPayload(new DataView(bytes.buffer, 1, 2)) as Uint8Array;
  t.deepEqual([...view], [2, 3]);
  t.is(view.buffer, bytes.buffer);
  t.deepEqual([...(toPayload(new Uint8Array([7]).buffer) as Uint8Array)], [7]);
});

test('iterables and async iterables are streams', (t) => {
  t.is(toPayload(['a', 'b']), undefined);
  t.is(toPayload((async function* () {})()), undefined);
});

test('anything else is a TypeError naming what was passed and what is accepted', (t) => {
  const cases: [unknown, string][] = [
    [42, 'number 42'],
    [{ a: 1 }, 'a plain object'],
    [null, 'null'],
    [undefined, 'undefined'],
    [true, 'boolean true'],
    [new Date(0), 'a Date'],
  ];
  for (const [value, named] of cases) {
    const error = t.throws(() => toPayload(value), { instanceOf: TypeError });
    t.true(error!.message.includes(named), error!.message);
    t.true(error!.message.includes('a string'), 'says what is accepted');
  }
});
