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
