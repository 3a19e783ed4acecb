/**
 * A timer wheel: one shared interval per tick period for any number of
 * members, instead of one timer per connection, so an idle connection costs
 * a set entry and a few numbers. Members check their own deadlines on each
 * tick (the WebSocket runs its keepalive policy there). Intervals are
 * unref'd and stop when their last member leaves.
 *
 * The wheel calls `member[kTick](now)`: a symbol, so no method a user names
 * `tick` in a WebSocket subclass can replace it.
 *
 * @module
 */

/** The method key the wheel calls on each tick. @internal */
export const kTick: unique symbol = Symbol('ws4ts.tick');

/** What the wheel ticks. @internal */
export interface Tickable {
  [kTick](now: number): void;
}

interface Wheel {
  readonly members: Set<Tickable>;
  readonly timer: ReturnType<typeof setInterval>;
}

const wheels = new Map<number, Wheel>();

/** Register `member` to be ticked every `period` ms (rounded to 10 ms). Returns the wheel's key. @internal */
export function addTicker(member: Tickable, period: number): number {
  const key = Math.max(10, Math.round(period / 10) * 10);
  let wheel = wheels.get(key);
  if (wheel === undefined) {
    const members = new Set<Tickable>();
    const timer = setInterval(() => {
      const now = performance.now();
      for (const m of members) m[kTick](now);
    }, key);
    timer.unref();
    wheel = { members, timer };
    wheels.set(key, wheel);
  }
  wheel.members.add(member);
  return key;
}

/** Stop ticking `member` on the wheel `key` returned by {@link addTicker}. @internal */
export function removeTicker(member: Tickable, key: number): void {
  const wheel = wheels.get(key);
  if (wheel === undefined) return;
  wheel.members.delete(member);
  if (wheel.members.size === 0) {
    clearInterval(wheel.timer);
    wheels.delete(key);
  }
}

/** Number of live wheels (for tests). @internal */
export function wheelCount(): number {
  return wheels.size;
}
