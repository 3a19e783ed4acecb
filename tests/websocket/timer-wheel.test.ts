import test from 'ava';
import { addTicker, kTick, removeTicker, wheelCount, type Tickable } from '../../src/websocket/timer-wheel.js';
import { until, PATIENCE } from '../helpers/loopback.js';

// ─── the shared ticker ────────────────────────────────────────────────────

test('members of one period share a wheel and are ticked until removed', async (t) => {
  const ticks = [0, 0];
  const members: Tickable[] = [{ [kTick]: () => void ticks[0]!++ }, { [kTick]: () => void ticks[1]!++ }];
  const keyA = addTicker(members[0]!, 20);
  const keyB = addTicker(members[1]!, 24); // rounded to the same 20 ms wheel
  t.is(keyA, 20);
  t.is(keyB, 20);
  await until(() => ticks[0]! >= 2 && ticks[1]! >= 2, PATIENCE, 'two ticks each');
  removeTicker(members[0]!, keyA);
  const frozen = ticks[0]!;
  const other = ticks[1]!;
  await until(() => ticks[1]! >= other + 2, PATIENCE, 'the other member ticking on');
  t.is(ticks[0], frozen, 'a removed member is not ticked');
  removeTicker(members[1]!, keyB);
  removeTicker(members[1]!, keyB); // harmless twice
});

test('tick periods are at least 10 ms and pass a monotonic now', async (t) => {
  const seen: number[] = [];
  const member: Tickable = { [kTick]: (now: number) => void seen.push(now) };
  const key = addTicker(member, 1);
  t.is(key, 10);
  await until(() => seen.length >= 3, PATIENCE, 'three ticks');
  removeTicker(member, key);
  for (let i = 1; i < seen.length; i++) t.true(seen[i]! >= seen[i - 1]!);
});

test('a subclass-style method named tick is not what the wheel calls', async (t) => {
  let symbolTicks = 0;
  let namedTicks = 0;
  const member = { tick: () => void namedTicks++, [kTick]: () => void symbolTicks++ } as Tickable & { tick(): void };
  const before = wheelCount();
  const key = addTicker(member, 10);
  await until(() => symbolTicks >= 2, PATIENCE, 'two ticks');
  removeTicker(member, key);
  t.is(namedTicks, 0);
  t.is(wheelCount(), before, 'the wheel stops with its last member');
});
