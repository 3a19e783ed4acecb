import test from 'ava';
import { LocalBus } from '../../src/server/bus.js';
import { LocalBus as FromManager } from '../../src/server/manager.js';

test('LocalBus delivers a publish at once to the listener it was given', (t) => {
  const bus = new LocalBus();
  const seen: [string, unknown][] = [];
  bus.publish('before', 'dropped'); // no listener yet: nothing happens
  bus.listen((topic, data) => seen.push([topic, data]));
  bus.publish('room', 'hello');
  t.deepEqual(seen, [['room', 'hello']]);
});

test('manager.ts still exports the same LocalBus', (t) => {
  t.is(FromManager, LocalBus);
});
