/**
 * Shared timers for keepalive pings and idle timeouts.
 *
 * One interval per distinct tick period serves every connection that uses
 * it, instead of one timer per connection: an idle connection costs a set
 * entry and a few numbers. Connections check their own deadlines on each
 * tick. Intervals are unref'd and stop when their last connection leaves.
 *
 * @module
 */

/** What the ticker calls on each tick. */
export interface Tickable {
  tick(now: number): void;
}

interface Wheel {
  readonly members: Set<Tickable>;
  readonly timer: ReturnType<typeof setInterval>;
}

const wheels = new Map<number, Wheel>();

/** Register `member` to be ticked every `period` ms (rounded to 10 ms). */
export function addTicker(member: Tickable, period: number): number {
  const key = Math.max(10, Math.round(period / 10) * 10);
  let wheel = wheels.get(key);
  if (wheel === undefined) {
    const members = new Set<Tickable>();
    const timer = setInterval(() => {
      const now = performance.now();
      for (const m of members) m.tick(now);
    }, key);
    timer.unref();
    wheel = { members, timer };
    wheels.set(key, wheel);
  }
  wheel.members.add(member);
  return key;
}

/** Stop ticking `member` on the wheel `key` returned by {@link addTicker}. */
export function removeTicker(member: Tickable, key: number): void {
  const wheel = wheels.get(key);
  if (wheel === undefined) return;
  wheel.members.delete(member);
  if (wheel.members.size === 0) {
    clearInterval(wheel.timer);
    wheels.delete(key);
  }
}
