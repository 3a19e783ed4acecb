/**
 * Capacity: memory per idle connection and time to accept them. Each target
 * server starts fresh with `--expose-gc`; its memory is read after a full GC
 * (over IPC) before and after the load generator opens N connections (200
 * handshakes in flight at a time), and the difference is divided by N. The
 * raw node:net server is the bare-socket baseline: what any Node server pays
 * for a TCP connection. `http-upgrade` is node:http accepting the upgrade and
 * then holding the bare socket: ws and ws4ts both accept through node:http,
 * so what a library adds per connection is its figure minus that one.
 *
 * @module
 */
import { bunBinary, compiled, startChild, type Child } from './lib/procs.js';
import { median } from './lib/stats.js';
import { processCpuSeconds } from './lib/cpu.js';
import type { ServerStats } from './servers/control.js';

/** One target's figures. */
export interface CapacityResult {
  readonly target: string;
  readonly connections: number;
  /** Bytes per connection after GC. */
  readonly rssPerConnection: number;
  readonly heapPerConnection: number;
  /** external + arrayBuffers, per connection. */
  readonly externalPerConnection: number;
  /** Seconds to open and upgrade all connections. */
  readonly acceptSeconds: number;
  /** Connections accepted and upgraded per second (`connections / acceptSeconds`). */
  readonly acceptRate: number;
  /**
   * Connections accepted per second of server CPU time (from /proc; NaN
   * elsewhere): the rate one core could sustain, whatever paced the load
   * generator (on a shared machine it often does).
   */
  readonly acceptPerCpuSecond: number;
  readonly error?: string;
}

/** Options of {@link runCapacity}. */
export interface CapacityOptions {
  readonly quick: boolean;
  readonly loadgen: Child;
  readonly serverCpu?: number;
  /** Compiled ws4ts-serve.js of another commit (`--baseline REF`): measured as `ws4ts-serve-baseline`. */
  readonly baseline?: string;
  readonly log: (line: string) => void;
}

/** One server the capacity benchmark measures. */
export interface CapacityTarget {
  readonly name: string;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** Interpreter other than Node (the Bun binary). */
  readonly runtime?: string;
  /** `script` is already a compiled path (a baseline's), not a source to look up. */
  readonly precompiled?: boolean;
}

/**
 * The capacity targets: ws4ts through node:http (`attach`, what the CLI runs)
 * and standalone (`serve`, its own head parser on node:net), ws twice, Bun
 * where installed, node:http holding the upgraded socket, and the bare
 * node:net socket.
 */
export function capacityTargets(...given: [bun?: string | undefined]): CapacityTarget[] {
  const bun = given.length > 0 ? given[0] : bunBinary();
  return [
    { name: 'ws4ts', script: 'bench/servers/ws4ts-server.ts', env: {} },
    { name: 'ws4ts-serve', script: 'bench/servers/ws4ts-serve.ts', env: {} },
    { name: 'ws-js', script: 'bench/servers/ws-echo.ts', env: { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' } },
    { name: 'ws-native', script: 'bench/servers/ws-echo.ts', env: { WS_NO_BUFFER_UTIL: '', WS_NO_UTF_8_VALIDATE: '' } },
    ...(bun !== undefined ? [{ name: 'bun', script: 'bench/servers/bun-echo.ts', env: {}, runtime: bun }] : []),
    { name: 'http-upgrade', script: 'bench/servers/http-upgrade.ts', env: {} },
    { name: 'raw-tcp', script: 'bench/servers/raw-echo.ts', env: {} },
  ];
}

async function measure(target: CapacityTarget, count: number, options: CapacityOptions): Promise<Omit<CapacityResult, 'target'>> {
  const server = await startChild({
    name: target.name,
    script: target.precompiled === true ? target.script : compiled(target.script),
    env: target.env,
    ...(target.runtime !== undefined ? { runtime: target.runtime } : { nodeFlags: ['--expose-gc'] }),
    ...(options.serverCpu !== undefined ? { cpu: options.serverCpu } : {}),
  });
  try {
    const before = await server.ipc.request<ServerStats>('stats');
    const cpu0 = processCpuSeconds(server.process.pid);
    const { seconds } = await options.loadgen.ipc.request<{ seconds: number }>('open', { tag: 'capacity', host: '127.0.0.1', port: server.port, count, parallel: 200 }, 120_000);
    const cpu = processCpuSeconds(server.process.pid) - cpu0;
    for (let i = 0; i < 200 && (await server.ipc.request<number>('connections')) < count; i++) await new Promise((r) => setTimeout(r, 25));
    const after = await server.ipc.request<ServerStats>('stats');
    if (after.connections < count) throw new Error(`server holds ${after.connections} of ${count} connections`);
    return {
      connections: count,
      rssPerConnection: (after.rss - before.rss) / count,
      heapPerConnection: (after.heapUsed - before.heapUsed) / count,
      externalPerConnection: (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / count,
      acceptSeconds: seconds,
      acceptRate: count / seconds,
      acceptPerCpuSecond: count / cpu,
    };
  } finally {
    await options.loadgen.ipc.request('close', { tag: 'capacity' }).catch(() => {});
    await server.stop();
  }
}

/** Run the capacity benchmark (10,000 connections; 2,000 in quick mode). */
export async function runCapacity(options: CapacityOptions): Promise<CapacityResult[]> {
  const count = options.quick ? 2000 : 10_000;
  const rounds = options.quick ? 1 : 2;
  const TARGETS = [
    ...capacityTargets(),
    ...(options.baseline !== undefined ? [{ name: 'ws4ts-serve-baseline', script: options.baseline, env: {}, precompiled: true }] : []),
  ];
  const runs = TARGETS.map(() => [] as Omit<CapacityResult, 'target'>[]);
  const errors: (string | undefined)[] = TARGETS.map(() => undefined);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < TARGETS.length; k++) {
      const index = (round + k) % TARGETS.length;
      if (errors[index] !== undefined) continue;
      try {
        runs[index]!.push(await measure(TARGETS[index]!, count, options));
      } catch (error) {
        errors[index] = (error as Error).message.split('\n')[0];
        options.log(`  capacity ${TARGETS[index]!.name}: ${errors[index]}`);
      }
    }
  }
  const results = TARGETS.map((target, i): CapacityResult => {
    const list = runs[i]!;
    return {
      target: target.name,
      connections: count,
      rssPerConnection: median(list.map((r) => r.rssPerConnection)),
      heapPerConnection: median(list.map((r) => r.heapPerConnection)),
      externalPerConnection: median(list.map((r) => r.externalPerConnection)),
      acceptSeconds: median(list.map((r) => r.acceptSeconds)),
      acceptRate: median(list.map((r) => r.acceptRate)),
      acceptPerCpuSecond: median(list.map((r) => r.acceptPerCpuSecond)),
      ...(errors[i] !== undefined ? { error: errors[i] } : {}),
    };
  });
  for (const r of results) {
    options.log(
      `capacity ${r.target.padEnd(10)} ${count} conns: RSS ${(r.rssPerConnection / 1000).toFixed(1)} KB/conn, heap ${(r.heapPerConnection / 1000).toFixed(2)} KB/conn, accept ${r.acceptSeconds.toFixed(2)} s (${Math.round(r.acceptRate)}/s, ${Math.round(r.acceptPerCpuSecond)} per server CPU second)`,
    );
  }
  return results;
}
