/**
 * Fan-out: one message broadcast to 1,000 connected clients, repeated;
 * messages delivered per second. Each target server holds its own 1,000
 * idle connections from the load generator. Per sample the load generator
 * is armed to expect `clients × count` messages, the server is told over
 * IPC to make `count` broadcasts (each in its own macrotask, as if each were
 * triggered by an event), and the time runs from arming until the last copy
 * has arrived. The server's CPU time per delivered message is read from
 * /proc as well: with 1,000 sockets each receiving one small frame per
 * broadcast, one load-generator process may well set the pace (its CPU use is
 * reported), and then CPU per message is what tells the servers apart.
 *
 * Targets: ws4ts with the plain loop `for (const ws of clients) ws.send(data)`
 * and, where the API exists, `prepareMessage` + `sendPrepared` and
 * `WebSocketManager.broadcast`; ws with its documented
 * `wss.clients.forEach(...)` loop (pure JS and with bufferutil); and a raw
 * node:net server writing one pre-framed buffer to every socket.
 *
 * @module
 */
import { compiled, startChild, type Child } from './lib/procs.js';
import { median } from './lib/stats.js';
import { processCpuSeconds } from './lib/cpu.js';

interface FanoutTarget {
  readonly name: string;
  readonly server: string;
  readonly mode: string;
}

/** One target's medians for one message size. */
export interface FanoutTargetResult {
  readonly target: string;
  /** Messages delivered (received by the clients) per second. */
  readonly messagesPerSecond: number;
  /** Server CPU time per delivered message, in microseconds (NaN without /proc). */
  readonly cpuMicrosPerMessage: number;
  /** The load generator's CPU use while waiting (near 100%: it, not the server, set the pace). */
  readonly loadgenCpu: number;
  readonly samples: readonly number[];
  readonly error?: string;
}

/** Results for one message size. */
export interface FanoutResult {
  readonly size: number;
  readonly clients: number;
  readonly broadcasts: number;
  readonly targets: readonly FanoutTargetResult[];
  /** Medians of per-round ratios, e.g. `ws4ts-loop/ws-native`. */
  readonly ratios: Readonly<Record<string, number>>;
  /** Medians of per-round ratios of server CPU per message, peer ÷ ws4ts (above 1: ws4ts spends less). */
  readonly cpuRatios: Readonly<Record<string, number>>;
}

/** Options of {@link runFanout}. */
export interface FanoutOptions {
  readonly quick: boolean;
  readonly loadgen: Child;
  readonly serverCpu?: number;
  readonly log: (line: string) => void;
}

const TARGETS: readonly FanoutTarget[] = [
  { name: 'ws4ts-loop', server: 'ws4ts', mode: 'loop' },
  { name: 'ws4ts-prepared', server: 'ws4ts', mode: 'prepared' },
  { name: 'ws4ts-manager', server: 'ws4ts', mode: 'manager' },
  { name: 'ws-js', server: 'ws-js', mode: 'loop' },
  { name: 'ws-native', server: 'ws-native', mode: 'loop' },
  { name: 'raw-tcp', server: 'raw-tcp', mode: 'loop' },
];

const RATIOS: readonly [string, string][] = [
  ['ws4ts-loop', 'ws-native'],
  ['ws4ts-loop', 'ws-js'],
  ['ws4ts-prepared', 'ws-native'],
  ['ws4ts-manager', 'ws-native'],
  ['ws4ts-loop', 'raw-tcp'],
  ['ws-native', 'raw-tcp'],
];

/** Run the fan-out benchmark. */
export async function runFanout(options: FanoutOptions): Promise<FanoutResult[]> {
  const clients = options.quick ? 500 : 1000;
  const broadcasts = options.quick ? 50 : 100;
  const rounds = options.quick ? 3 : 5;
  const sizes = options.quick ? [32] : [32, 1024];
  const cpu = options.serverCpu !== undefined ? { cpu: options.serverCpu } : {};
  const servers = new Map<string, Child>();
  const results: FanoutResult[] = [];
  try {
    servers.set('ws4ts', await startChild({ name: 'ws4ts', script: compiled('bench/servers/ws4ts-server.ts'), args: ['--manager'], ...cpu }));
    const wsEcho = compiled('bench/servers/ws-echo.ts');
    servers.set('ws-js', await startChild({ name: 'ws-js', script: wsEcho, env: { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' }, ...cpu }));
    servers.set('ws-native', await startChild({ name: 'ws-native', script: wsEcho, env: { WS_NO_BUFFER_UTIL: '', WS_NO_UTF_8_VALIDATE: '' }, ...cpu }));
    servers.set('raw-tcp', await startChild({ name: 'raw-tcp', script: compiled('bench/servers/raw-echo.ts'), ...cpu }));
    for (const [name, server] of servers) {
      await options.loadgen.ipc.request('open', { tag: name, host: '127.0.0.1', port: server.port, count: clients });
      // Wait until the server has registered every connection (the 101 may precede its bookkeeping).
      for (let i = 0; i < 100 && (await server.ipc.request<number>('connections')) < clients; i++) await new Promise((r) => setTimeout(r, 20));
    }
    for (const size of sizes) {
      const samples = TARGETS.map(() => [] as number[]);
      const cpuSamples = TARGETS.map(() => [] as number[]);
      const loadSamples = TARGETS.map(() => [] as number[]);
      const errors: (string | undefined)[] = TARGETS.map(() => undefined);
      for (let round = -1; round < rounds; round++) {
        for (let k = 0; k < TARGETS.length; k++) {
          const index = (Math.max(0, round) + k) % TARGETS.length;
          const target = TARGETS[index]!;
          if (errors[index] !== undefined) continue;
          const server = servers.get(target.server)!;
          try {
            const expect = clients * broadcasts;
            const cpu0 = processCpuSeconds(server.process.pid);
            const load0 = processCpuSeconds(options.loadgen.process.pid);
            const wall0 = performance.now();
            await options.loadgen.ipc.request('arm', { tag: target.server, expect });
            await server.ipc.request('broadcast', { mode: target.mode, size, count: broadcasts });
            const done = await options.loadgen.ipc.request<{ seconds: number; received: number; dropped: number }>('wait', { tag: target.server, timeoutMs: 30_000 });
            if (Number.isNaN(done.seconds)) throw new Error(`timed out (${done.dropped} connections dropped)`);
            const cpu = processCpuSeconds(server.process.pid) - cpu0;
            const load = (processCpuSeconds(options.loadgen.process.pid) - load0) / ((performance.now() - wall0) / 1000);
            // Round -1 is the warm-up.
            if (round >= 0) {
              samples[index]!.push(expect / done.seconds);
              cpuSamples[index]!.push((cpu * 1e6) / expect);
              loadSamples[index]!.push(load);
            }
          } catch (error) {
            errors[index] = (error as Error).message.split('\n')[0];
            options.log(`  fan-out ${target.name}: ${errors[index]}`);
          }
        }
      }
      const ratios: Record<string, number> = {};
      for (const [a, b] of RATIOS) {
        const i = TARGETS.findIndex((t) => t.name === a);
        const j = TARGETS.findIndex((t) => t.name === b);
        const n = Math.min(samples[i]!.length, samples[j]!.length);
        if (n > 0) ratios[`${a}/${b}`] = median(Array.from({ length: n }, (_, r) => samples[i]![r]! / samples[j]![r]!));
      }
      const cpuRatios: Record<string, number> = {};
      for (const [a, b] of RATIOS) {
        const i = TARGETS.findIndex((t) => t.name === a);
        const j = TARGETS.findIndex((t) => t.name === b);
        const n = Math.min(cpuSamples[i]!.length, cpuSamples[j]!.length);
        if (n > 0) cpuRatios[`${a}/${b}`] = median(Array.from({ length: n }, (_, r) => cpuSamples[j]![r]! / cpuSamples[i]![r]!));
      }
      const result: FanoutResult = {
        size,
        clients,
        broadcasts,
        cpuRatios,
        targets: TARGETS.map((t, i) => ({
          target: t.name,
          messagesPerSecond: median(samples[i]!),
          cpuMicrosPerMessage: median(cpuSamples[i]!),
          loadgenCpu: median(loadSamples[i]!),
          samples: samples[i]!,
          ...(errors[i] !== undefined ? { error: errors[i] } : {}),
        })),
        ratios,
      };
      results.push(result);
      options.log(
        `fan-out ${size} B to ${clients}: ${result.targets.map((t) => `${t.target} ${Number.isNaN(t.messagesPerSecond) ? '–' : Math.round(t.messagesPerSecond)}`).join('  ')}`,
      );
    }
    return results;
  } finally {
    for (const name of servers.keys()) await options.loadgen.ipc.request('close', { tag: name }).catch(() => {});
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
}
