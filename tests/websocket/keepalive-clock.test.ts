/**
 * src/websocket/keepalive-clock.ts: a connection's keepalive clocks on the
 * timer wheel, and the decisions of a step with the restarts applied.
 */
import test from 'ava';
import { KeepaliveClock, KEEPALIVE_PAYLOAD } from '../../src/websocket/keepalive-clock.js';
import { kTick, type Tickable } from '../../src/websocket/timer-wheel.js';
import { delay, until, PATIENCE } from '../helpers/loopback.js';

function ticker(): Tickable & { ticks: number } {
  return {
    ticks: 0,
    [kTick]() {
      this.ticks++;
    },
  };
}

test('no clock without pingInterval or idleTimeout; with one, the member is ticked until stop()', async (t) => {
  t.is(KeepaliveClock.start(ticker(), {}), undefined);
  t.is(KeepaliveClock.start(ticker(), { pingInterval: null, idleTimeout: null }), undefined);
  const member = ticker();
  const clock = KeepaliveClock.start(member, { pingInterval: 80 }); // period 20 ms
  t.truthy(clock);
  t.teardown(() => clock!.stop(member));
  await until(() => member.ticks >= 2, PATIENCE, 'two ticks');
  clock!.stop(member);
  const ticks = member.ticks;
  await delay(100);
  t.is(member.ticks, ticks, 'no tick after stop()');
  t.is(Buffer.from(KEEPALIVE_PAYLOAD).toString(), 'ka');
});

test('step(): ping after pingInterval of silence, dead after pongTimeout unanswered, restarted clocks while the inbox is paused', (t) => {
  const member = ticker();
  const clock = KeepaliveClock.start(member, { pingInterval: 1000, pongTimeout: 500 })!;
  t.teardown(() => clock.stop(member));
  const start = 10_000; // whole numbers: performance.now() + 1000 - performance.now() need not be 1000
  clock.lastInput = start;
  t.is(clock.step(start + 999, false, false), 'nothing');
  t.is(clock.step(start + 1000, false, false), 'ping');
  t.is(clock.pingSentAt, start + 1000, 'the ping decided counts as sent');
  t.is(clock.step(start + 1499, false, false), 'nothing');
  t.is(clock.step(start + 1500, false, false), 'dead');
  // Read backpressure: the silence is ours, the clocks restart.
  t.is(clock.step(start + 1600, true, false), 'nothing');
  t.is(clock.pingSentAt, 0);
  t.is(clock.lastInput, start + 1600);
  t.is(clock.step(start + 2599, false, false), 'nothing');
  t.is(clock.step(start + 2600, false, false), 'ping');
});

test('idleTimeout: idle after that much silence, and the options are read on every step', (t) => {
  const member = ticker();
  const options: { idleTimeout: number | null } = { idleTimeout: 300 };
  const clock = KeepaliveClock.start(member, options)!;
  t.teardown(() => clock.stop(member));
  const start = 10_000; // whole numbers: performance.now() + 1000 - performance.now() need not be 1000
  clock.lastInput = start;
  t.is(clock.step(start + 299, false, false), 'nothing');
  t.is(clock.step(start + 300, false, false), 'idle');
  options.idleTimeout = null;
  t.is(clock.step(start + 10_000, false, false), 'nothing', 'the caller turned it off');
});

test('outputProgress(): a shrinking backlog counts as input, a stalled one does not, and a stall over pingInterval + pongTimeout is dead', (t) => {
  const member = ticker();
  const clock = KeepaliveClock.start(member, { pingInterval: 1000, pongTimeout: 500 })!;
  t.teardown(() => clock.stop(member));
  const start = 10_000; // whole numbers: performance.now() + 1000 - performance.now() need not be 1000
  clock.lastInput = start;
  const stall = { stallBuffered: Infinity };
  clock.outputProgress(start + 100, 5000, stall);
  t.is(clock.lastInput, start + 100, 'first reading while paused');
  t.is(stall.stallBuffered, 5000);
  clock.outputProgress(start + 900, 5000, stall);
  t.is(clock.lastInput, start + 100, 'no progress, no sign of life');
  clock.outputProgress(start + 1200, 4000, stall);
  t.is(clock.lastInput, start + 1200, 'the peer took some output');
  t.is(clock.step(start + 2699, false, true), 'nothing');
  t.is(clock.step(start + 2700, false, true), 'dead');
});
