/**
 * Echo over loopback: ws4ts (`serve()`, bench/servers/ws4ts-serve.ts, in each handler shape)
 * against ws (pure JS and with bufferutil) and a raw node:net echo, all
 * driven by one load generator (bench/loadgen.ts) in its own process.
 * Servers run pinned to CPU 0, the load generator to CPU 1 (when taskset
 * and two CPUs exist); targets take turns within each round.
 *
 * @module
 */
import { bunBinary, compiled, startChild, type Child } from './lib/procs.js';
import { waitIdle } from './lib/cpu.js';
import { median } from './lib/stats.js';
import type { EchoJob, EchoResult } from './loadgen.js';

/** One echo server under test. */
export interface EchoTarget {
  readonly name: string;
  readonly script: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Interpreter other than this Node (the Bun binary). */
  readonly runtime?: string;
}

/** Why the Bun peer is missing from a run, or undefined when it takes part. */
export function bunSkipped(...given: [bun?: string | undefined]): string | undefined {
  // An explicit `undefined` means "no Bun" (tests); no argument means "look for it".
  const bun = given.length > 0 ? given[0] : bunBinary();
  return bun === undefined
    ? 'Bun peer skipped: the dev dependency `@oven/bun-linux-x64` (its `bin/bun`) is not installed on this machine; ÷ Bun columns are empty.'
    : undefined;
}

/**
 * The echo servers: ws4ts in three shapes, ws twice, Bun (`Bun.serve`,
 * uWebSockets inside) where its binary is installed, and the raw ceiling.
 */
export function echoTargets(...given: [bun?: string | undefined]): EchoTarget[] {
  const bun = given.length > 0 ? given[0] : bunBinary();
  const echo = compiled('bench/servers/ws4ts-serve.ts');
  const wsEcho = compiled('bench/servers/ws-echo.ts');
  const bunTarget: EchoTarget[] = bun !== undefined ? [{ name: 'bun', script: compiled('bench/servers/bun-echo.ts'), runtime: bun }] : [];
  return [
    { name: 'ws4ts-hooks', script: echo, args: ['--shape', 'hooks'] },
    { name: 'ws4ts-loop', script: echo, args: ['--shape', 'loop'] },
    { name: 'ws4ts-observable', script: echo, args: ['--shape', 'observable'] },
    { name: 'ws-js', script: wsEcho, env: { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' } },
    { name: 'ws-native', script: wsEcho, env: { WS_NO_BUFFER_UTIL: '', WS_NO_UTF_8_VALIDATE: '' } },
    ...bunTarget,
    { name: 'raw-tcp', script: compiled('bench/servers/raw-echo.ts') },
  ];
}

/** One cell of the matrix. */
export interface EchoCellSpec {
  readonly size: number;
  readonly connections: number;
  readonly window: number;
}

/** Bytes allowed in flight over all connections; larger cells get a smaller window. */
export const MAX_IN_FLIGHT = 32 * 1024 * 1024;

/** The window actually used: capped so `size × connections × window ≤ MAX_IN_FLIGHT` (at least 1). */
export function effectiveWindow(cell: EchoCellSpec): number {
  return Math.max(1, Math.min(cell.window, Math.floor(MAX_IN_FLIGHT / (cell.size * cell.connections))));
}

/**
 * The matrix: 32 B, 1 KiB, 64 KiB, 1 MiB × 1, 50, 500 connections × window
 * 1 and 32. 1 MiB with 500 connections is left out (500 MiB in flight even
 * at window 1); other large cells run with a capped window (see
 * {@link effectiveWindow}) and cells that collapse onto another are dropped.
 */
export function echoMatrix(quick: boolean): EchoCellSpec[] {
  if (quick) {
    return [
      { size: 32, connections: 1, window: 1 },
      { size: 32, connections: 50, window: 32 },
      { size: 1024, connections: 500, window: 32 },
      // Issue 15's ceiling target is set on this cell.
      { size: 1024, connections: 500, window: 1 },
      { size: 1024, connections: 50, window: 1 },
      { size: 64 * 1024, connections: 50, window: 1 },
      { size: 1024 * 1024, connections: 1, window: 32 },
    ];
  }
  const cells: EchoCellSpec[] = [];
  const seen = new Set<string>();
  for (const size of [32, 1024, 64 * 1024, 1024 * 1024]) {
    for (const connections of [1, 50, 500]) {
      if (size === 1024 * 1024 && connections === 500) continue;
      for (const window of [1, 32]) {
        const key = `${size}/${connections}/${effectiveWindow({ size, connections, window })}`;
        if (seen.has(key)) continue;
        seen.add(key);
        cells.push({ size, connections, window });
      }
    }
  }
  return cells;
}

/** Medians of one target in one cell. */
export interface EchoTargetResult {
  readonly target: string;
  readonly messagesPerSecond: number;
  readonly mbps: number;
  /** Microseconds (window 1), else NaN. */
  readonly p50: number;
  readonly p99: number;
  readonly dropped: number;
  /** CPU time / wall time during the measurement (1 = one core busy). */
  readonly serverCpu: number;
  readonly loadgenCpu: number;
  readonly samples: readonly number[];
}

/** One cell's results with ratios (medians of per-round ratios). */
export interface EchoCellResult {
  readonly cell: EchoCellSpec;
  readonly window: number;
  readonly targets: readonly EchoTargetResult[];
  /** e.g. `ws4ts-hooks/ws-native` → 1.42. */
  readonly ratios: Readonly<Record<string, number>>;
}

/** Options of {@link runEcho}. */
export interface EchoOptions {
  readonly quick: boolean;
  readonly rounds?: number;
  readonly warmupMs?: number;
  readonly durationMs?: number;
  readonly loadgen: Child;
  readonly serverCpu?: number;
  readonly only?: readonly string[];
  /** Message sizes (bytes) of the cells to run; all cells when absent. */
  readonly sizes?: readonly number[];
  /** Compiled ws4ts-serve.js of another commit (`--baseline REF`): runs as `ws4ts-baseline`, hooks shape. */
  readonly baseline?: string;
  readonly log: (line: string) => void;
}

const RATIO_PAIRS: readonly [string, string][] = [
  ['ws4ts-hooks', 'ws-native'],
  ['ws4ts-hooks', 'ws-js'],
  ['ws4ts-hooks', 'raw-tcp'],
  ['ws4ts-hooks', 'bun'],
  ['ws4ts-loop', 'bun'],
  ['ws4ts-observable', 'bun'],
  ['bun', 'ws-native'],
  ['bun', 'raw-tcp'],
  ['ws4ts-loop', 'ws-native'],
  ['ws4ts-observable', 'ws-native'],
  ['ws4ts-loop', 'ws4ts-hooks'],
  ['ws4ts-observable', 'ws4ts-hooks'],
  ['ws-native', 'raw-tcp'],
  ['ws4ts-hooks', 'ws4ts-baseline'],
  ['ws4ts-baseline', 'ws-native'],
];

/** The ratio names {@link runEcho} computes, as `a/b`. */
export const ECHO_RATIOS = RATIO_PAIRS.map(([a, b]) => `${a}/${b}`);

function label(cell: EchoCellSpec, window: number): string {
  const size = cell.size >= 1 << 20 ? `${cell.size >> 20} MiB` : cell.size >= 1024 ? `${cell.size >> 10} KiB` : `${cell.size} B`;
  return `${size}, ${cell.connections} conn, window ${window}${window !== cell.window ? ` (capped from ${cell.window})` : ''}`;
}

/** Human label of a cell, e.g. `32 B, 50 conn, window 32`. */
export function cellLabel(result: EchoCellResult): string {
  return label(result.cell, result.window);
}

/** Run the echo matrix; servers are started here and stopped at the end. */
export async function runEcho(options: EchoOptions): Promise<EchoCellResult[]> {
  const rounds = options.rounds ?? (options.quick ? 2 : 3);
  const warmupMs = options.warmupMs ?? (options.quick ? 150 : 200);
  const durationMs = options.durationMs ?? (options.quick ? 300 : 400);
  const baseline: EchoTarget[] = options.baseline !== undefined ? [{ name: 'ws4ts-baseline', script: options.baseline, args: ['--shape', 'hooks'] }] : [];
  const targets = [...baseline, ...echoTargets()].filter((t) => options.only === undefined || options.only.includes(t.name) || t === baseline[0]);
  const servers: Child[] = [];
  try {
    for (const target of targets) {
      servers.push(
        await startChild({
          name: target.name,
          script: target.script,
          args: target.args ?? [],
          env: target.env ?? {},
          ...(target.runtime !== undefined ? { runtime: target.runtime } : {}),
          ...(options.serverCpu !== undefined ? { cpu: options.serverCpu } : {}),
        }),
      );
    }
    const results: EchoCellResult[] = [];
    for (const cell of echoMatrix(options.quick).filter((c) => options.sizes === undefined || options.sizes.includes(c.size))) {
      const window = effectiveWindow(cell);
      const samples = servers.map(() => [] as EchoResult[]);
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < servers.length; k++) {
          const index = (round + k) % servers.length;
          const server = servers[index]!;
          const job: EchoJob = {
            host: '127.0.0.1',
            port: server.port,
            connections: cell.connections,
            size: cell.size,
            window,
            warmupMs,
            durationMs,
            ...(server.process.pid !== undefined ? { serverPid: server.process.pid } : {}),
          };
          try {
            samples[index]!.push(await options.loadgen.ipc.request<EchoResult>('echo', job, 60_000));
          } catch (error) {
            options.log(`  ${server.name}: ${(error as Error).message.split('\n')[0]} ${server.stderr().slice(-300)}`);
          }
          // All servers share one pinned CPU: the next target starts once this one has finished tearing down.
          await waitIdle(server.process.pid);
        }
      }
      const targetResults: EchoTargetResult[] = servers.map((server, i) => {
        const list = samples[i]!;
        return {
          target: server.name,
          messagesPerSecond: median(list.map((s) => s.messagesPerSecond)),
          mbps: median(list.map((s) => s.mbps)),
          p50: median(list.map((s) => s.p50)),
          p99: median(list.map((s) => s.p99)),
          dropped: list.reduce((sum, s) => sum + s.dropped, 0),
          serverCpu: median(list.map((s) => s.serverCpu)),
          loadgenCpu: median(list.map((s) => s.loadgenCpu)),
          samples: list.map((s) => s.messagesPerSecond),
        };
      });
      const ratios: Record<string, number> = {};
      for (const [a, b] of RATIO_PAIRS) {
        const i = servers.findIndex((s) => s.name === a);
        const j = servers.findIndex((s) => s.name === b);
        if (i < 0 || j < 0) continue;
        const pairs: number[] = [];
        for (let r = 0; r < Math.min(samples[i]!.length, samples[j]!.length); r++) {
          pairs.push(samples[i]![r]!.messagesPerSecond / samples[j]![r]!.messagesPerSecond);
        }
        ratios[`${a}/${b}`] = median(pairs);
      }
      const result: EchoCellResult = { cell, window, targets: targetResults, ratios };
      results.push(result);
      const fmt = (name: string) => {
        const t = targetResults.find((x) => x.target === name);
        return t ? `${name} ${Math.round(t.messagesPerSecond)}` : '';
      };
      options.log(
        `echo ${label(cell, window).padEnd(44)} ${servers.map((s) => fmt(s.name)).join('  ')}  hooks/ws-native ${ratios['ws4ts-hooks/ws-native']?.toFixed(2) ?? '–'}  hooks/bun ${ratios['ws4ts-hooks/bun']?.toFixed(2) ?? '–'}  hooks/raw ${ratios['ws4ts-hooks/raw-tcp']?.toFixed(2) ?? '–'}${baseline.length ? `  hooks/baseline ${ratios['ws4ts-hooks/ws4ts-baseline']?.toFixed(3)}` : ''}`,
      );
    }
    return results;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
