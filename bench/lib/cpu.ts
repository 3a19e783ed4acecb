/**
 * CPU time of a process, from /proc (Linux), for "how busy was the server
 * while we measured" columns.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

// USER_HZ: 100 on every Linux architecture Node runs on.
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) process `pid` has used so far; NaN where /proc is unavailable. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** Options of {@link waitIdle}. */
export interface WaitIdleOptions {
  /** Length of one check, in milliseconds (default 100: ten clock ticks). */
  readonly windowMs?: number;
  /** CPU fraction under which a window counts as idle (default 0.05). */
  readonly threshold?: number;
  /** Give up after this long (default 10 s). */
  readonly maxMs?: number;
}

/**
 * Wait until process `pid` uses less than `threshold` of a CPU over one
 * window. A server whose load generator just reset hundreds of connections
 * can stay busy for half a second tearing them down (ws after a 500-connection
 * echo round: ~0.4 s); started right away, the next target of an interleaved
 * round would share the pinned CPU with that teardown and measure low. Returns
 * the milliseconds waited; without /proc it waits one window and returns.
 */
export async function waitIdle(pid: number | undefined, options: WaitIdleOptions = {}): Promise<number> {
  const windowMs = options.windowMs ?? 100;
  const threshold = options.threshold ?? 0.05;
  const maxMs = options.maxMs ?? 10_000;
  const started = performance.now();
  for (;;) {
    const before = processCpuSeconds(pid);
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const elapsed = (performance.now() - t0) / 1000;
    const used = processCpuSeconds(pid) - before;
    const waited = performance.now() - started;
    if (!(used / elapsed >= threshold) || waited >= maxMs) return waited;
  }
}
