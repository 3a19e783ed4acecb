/**
 * One echo server under one cell of the echo matrix, for the tools that
 * look at a single cell (bench/profile-echo.ts, bench/syscalls.ts,
 * bench/instructions.ts): their shared command-line options, and the
 * server and load generator started pinned as the echo benchmark starts them.
 *
 * @module
 */
import { echoTargets, type EchoTarget } from '../echo.js';
import type { EchoJob } from '../loadgen.js';
import { canPin, compiled, startChild, type Child } from './procs.js';

/** `--target`, `--size`, `--connections`, `--window` for `parseArgs`. */
export const CELL_OPTIONS = {
  target: { type: 'string', default: 'ws4ts-hooks' },
  size: { type: 'string', default: '32' },
  connections: { type: 'string', default: '50' },
  window: { type: 'string', default: '32' },
} as const;

/** The echo target named `name`; throws listing the names when there is none. */
export function cellTarget(name: string | undefined): EchoTarget {
  const target = echoTargets().find((t) => t.name === name);
  if (target === undefined) throw new Error(`unknown target ${name}: ${echoTargets().map((t) => t.name).join(', ')}`);
  return target;
}

/** The cell's values as parsed from {@link CELL_OPTIONS}. */
export interface CellValues {
  readonly target?: string | undefined;
  readonly size?: string | undefined;
  readonly connections?: string | undefined;
  readonly window?: string | undefined;
}

/**
 * Start the target's server (with `nodeFlags`) on CPU 0 and the load
 * generator on CPU 1 where pinning is possible, and build the echo job.
 */
export async function startCell(values: CellValues, durationMs: number, warmupMs: number, nodeFlags: readonly string[] = []): Promise<{ target: EchoTarget; server: Child; loadgen: Child; job: EchoJob }> {
  const target = cellTarget(values.target);
  const pin = canPin();
  const server = await startChild({
    name: target.name,
    script: target.script,
    args: target.args ?? [],
    env: target.env ?? {},
    ...(nodeFlags.length > 0 ? { nodeFlags: [...nodeFlags] } : {}),
    ...(pin ? { cpu: 0 } : {}),
  });
  const loadgen = await startChild({ name: 'loadgen', script: compiled('bench/loadgen.ts'), ...(pin ? { cpu: 1 } : {}) });
  const job: EchoJob = {
    host: '127.0.0.1',
    port: server.port,
    connections: Number(values.connections),
    size: Number(values.size),
    window: Number(values.window),
    warmupMs,
    durationMs,
    ...(server.process.pid !== undefined ? { serverPid: server.process.pid } : {}),
  };
  return { target, server, loadgen, job };
}
