/**
 * The load generator: a child process driven over IPC by bench/run.ts. It is
 * not the measured library: frames are pre-encoded (masked, binary) once,
 * the upgrade is written by hand over node:net, and echoed frames are
 * counted by reading headers only (bench/lib/ws-client.ts).
 *
 * Commands:
 * - `echo`: open N connections, keep `window` messages in flight on each
 *   (refilling as echoes come back, one write per socket read), warm up,
 *   measure messages per second, and with window 1 the round-trip latency of
 *   every message;
 * - `open` / `arm` / `wait` / `close`: hold a group of idle connections that
 *   count what they receive (fan-out: arm, let the server broadcast, wait
 *   until every copy has arrived; capacity: time to accept them all).
 *
 * @module
 */
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveIpc } from './lib/ipc.js';
import { processCpuSeconds } from './lib/cpu.js';
import { FrameCounter, openMany, pongFrame } from './lib/ws-client.js';
import { makePayload, messageStream } from './lib/frames.js';
import { percentile } from './lib/stats.js';

/** Arguments of the `echo` command. */
export interface EchoJob {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly size: number;
  readonly window: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** The server's process id, to read its CPU time from /proc during the measurement. */
  readonly serverPid?: number;
}

/** What the `echo` command reports. */
export interface EchoResult {
  readonly messages: number;
  readonly seconds: number;
  readonly messagesPerSecond: number;
  /** Payload megabytes (10^6 bytes) echoed per second. */
  readonly mbps: number;
  /** Round-trip latency percentiles in microseconds (window 1 only, else NaN). */
  readonly p50: number;
  readonly p99: number;
  readonly latencySamples: number;
  /** Connections the server closed or that failed during the run. */
  readonly dropped: number;
  /** Seconds to open all connections. */
  readonly connectSeconds: number;
  /** CPU time over wall time during the measurement: the server's (NaN without /proc) and ours. */
  readonly serverCpu: number;
  readonly loadgenCpu: number;
}



const MAX_LATENCIES = 4_000_000;

async function echo(job: EchoJob): Promise<EchoResult> {
  const { size, window } = job;
  const payload = makePayload('binary', size, 3);
  // `window` frames back to back: a refill of k frames is one write of a prefix.
  const batch = messageStream(payload, 2, window, 5);
  const frameLength = batch.length / window;
  const oneByOne = batch.length > 4 * 1024 * 1024;
  const single = oneByOne ? batch.subarray(0, frameLength) : batch;

  const connectStart = performance.now();
  const upgraded = await openMany(job.host, job.port, job.connections);
  const connectSeconds = (performance.now() - connectStart) / 1000;

  let measuring = false;
  let stopped = false;
  let messages = 0;
  let dropped = 0;
  const latencies = job.window === 1 ? new Float64Array(MAX_LATENCIES) : undefined;
  let latencyCount = 0;

  const send = (socket: Socket, k: number) => {
    if (oneByOne) {
      socket.cork();
      for (let i = 0; i < k; i++) socket.write(single);
      socket.uncork();
    } else {
      socket.write(k === window ? batch : batch.subarray(0, k * frameLength));
    }
  };

  const sockets = upgraded.map(({ socket, rest }) => {
    const counter = new FrameCounter((payload) => socket.write(pongFrame(payload)));
    let sentAt = 0;
    const onData = (chunk: Buffer) => {
      const k = counter.push(chunk);
      if (k === 0) return;
      if (measuring) {
        messages += k;
        if (latencies !== undefined && latencyCount < MAX_LATENCIES) latencies[latencyCount++] = performance.now() - sentAt;
      }
      if (stopped) return;
      if (latencies !== undefined) sentAt = performance.now();
      send(socket, k);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!stopped) dropped++;
    });
    if (rest.length > 0) counter.push(rest);
    return { socket, start: () => ((sentAt = performance.now()), send(socket, window)) };
  });

  for (const s of sockets) s.start();
  await sleep(job.warmupMs);
  messages = 0;
  latencyCount = 0;
  measuring = true;
  const serverCpu0 = processCpuSeconds(job.serverPid);
  const ownCpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(job.durationMs);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const serverCpu = (processCpuSeconds(job.serverPid) - serverCpu0) / seconds;
  const ownCpu = process.cpuUsage(ownCpu0);
  const loadgenCpu = (ownCpu.user + ownCpu.system) / 1e6 / seconds;
  stopped = true;
  const counted = messages;
  for (const { socket } of sockets) socket.resetAndDestroy();

  let p50 = Number.NaN;
  let p99 = Number.NaN;
  if (latencies !== undefined && latencyCount > 0) {
    const sorted = latencies.subarray(0, latencyCount).sort();
    p50 = percentile(sorted, 50) * 1000;
    p99 = percentile(sorted, 99) * 1000;
  }
  return {
    messages: counted,
    seconds,
    messagesPerSecond: counted / seconds,
    mbps: (counted * size) / seconds / 1e6,
    p50,
    p99,
    latencySamples: latencyCount,
    dropped,
    connectSeconds,
    serverCpu,
    loadgenCpu,
  };
}

// ─── idle groups (fan-out, capacity) ─────────────────────────────────────────

interface Group {
  readonly sockets: Socket[];
  received: number;
  target: number;
  armedAt: number;
  done: Promise<number> | undefined;
  resolve: ((seconds: number) => void) | undefined;
  dropped: number;
}

const groups = new Map<string, Group>();

/** Arguments of the `open` command. */
export interface OpenJob {
  readonly tag: string;
  readonly host: string;
  readonly port: number;
  readonly count: number;
  readonly parallel?: number;
}

async function open(job: OpenJob): Promise<{ seconds: number }> {
  const started = performance.now();
  const upgraded = await openMany(job.host, job.port, job.count, job.parallel ?? 200);
  const seconds = (performance.now() - started) / 1000;
  const group: Group = { sockets: [], received: 0, target: Number.POSITIVE_INFINITY, armedAt: 0, done: undefined, resolve: undefined, dropped: 0 };
  for (const { socket, rest } of upgraded) {
    // Answer keepalive pings: an idle group may outlive a server's ping interval.
    const counter = new FrameCounter((payload) => socket.write(pongFrame(payload)));
    const onData = (chunk: Buffer) => {
      group.received += counter.push(chunk);
      if (group.received >= group.target && group.resolve !== undefined) {
        const resolve = group.resolve;
        group.resolve = undefined;
        resolve((performance.now() - group.armedAt) / 1000);
      }
    };
    socket.on('data', onData);
    socket.on('error', () => {});
    socket.on('close', () => {
      group.dropped++;
      // Fail fast: the armed count can no longer be reached.
      if (group.resolve !== undefined && groups.get(job.tag) === group) {
        const resolve = group.resolve;
        group.resolve = undefined;
        resolve(Number.NaN);
      }
    });
    if (rest.length > 0) onData(rest);
    group.sockets.push(socket);
  }
  groups.set(job.tag, group);
  return { seconds };
}

function arm(args: { tag: string; expect: number }): { armed: number } {
  const group = groups.get(args.tag);
  if (group === undefined) throw new Error(`no group ${args.tag}`);
  group.target = group.received + args.expect;
  group.armedAt = performance.now();
  group.done = new Promise((resolve) => (group.resolve = resolve));
  return { armed: group.sockets.length };
}

async function wait(args: { tag: string; timeoutMs?: number }): Promise<{ seconds: number; received: number; dropped: number }> {
  const group = groups.get(args.tag);
  if (group?.done === undefined) throw new Error(`group ${args.tag} is not armed`);
  const timeout = sleep(args.timeoutMs ?? 30_000, undefined, { ref: false }).then(() => Number.NaN);
  const seconds = await Promise.race([group.done, timeout]);
  return { seconds, received: group.received, dropped: group.dropped };
}

function close(args: { tag: string }): { closed: number } {
  const group = groups.get(args.tag);
  if (group === undefined) return { closed: 0 };
  groups.delete(args.tag);
  for (const socket of group.sockets) socket.resetAndDestroy();
  return { closed: group.sockets.length };
}

// ─── soak (bench/soak.ts) ─────────────────────────────────────────────────────

/** Arguments of `soakStart`: `count` connections, each sending one `size`-byte message every `intervalMs`. */
export interface SoakJob {
  readonly tag: string;
  readonly host: string;
  readonly port: number;
  readonly count: number;
  readonly size: number;
  readonly intervalMs: number;
}

/** Counters of a soak group. */
export interface SoakCounts {
  readonly connections: number;
  readonly sent: number;
  readonly received: number;
  readonly dropped: number;
}

interface SoakGroup {
  readonly sockets: Socket[];
  sent: number;
  received: number;
  dropped: number;
  timer: NodeJS.Timeout | undefined;
}

const soaks = new Map<string, SoakGroup>();

/**
 * Open the group, then send on a 10 ms tick: each tick the next
 * `count × 10 / intervalMs` connections send one message, so every connection
 * sends once per interval and the load is spread evenly (no thundering herd).
 */
async function soakStart(job: SoakJob): Promise<{ seconds: number }> {
  const started = performance.now();
  const upgraded = await openMany(job.host, job.port, job.count, 200);
  const group: SoakGroup = { sockets: [], sent: 0, received: 0, dropped: 0, timer: undefined };
  const frame = messageStream(makePayload('binary', job.size, 7), 2, 1, 5);
  for (const { socket, rest } of upgraded) {
    const counter = new FrameCounter((payload) => socket.write(pongFrame(payload)));
    socket.on('data', (chunk: Buffer) => void (group.received += counter.push(chunk)));
    socket.on('error', () => {});
    socket.on('close', () => void group.dropped++);
    if (rest.length > 0) group.received += counter.push(rest);
    group.sockets.push(socket);
  }
  const tick = 10;
  const perTick = (job.count * tick) / job.intervalMs;
  let next = 0;
  let credit = 0;
  group.timer = setInterval(() => {
    credit += perTick;
    for (; credit >= 1; credit--) {
      const socket = group.sockets[next]!;
      next = (next + 1) % group.sockets.length;
      if (socket.destroyed) continue;
      socket.write(frame);
      group.sent++;
    }
  }, tick);
  soaks.set(job.tag, group);
  return { seconds: (performance.now() - started) / 1000 };
}

function soakCounts(args: { tag: string }): SoakCounts {
  const group = soaks.get(args.tag);
  if (group === undefined) throw new Error(`no soak group ${args.tag}`);
  return { connections: group.sockets.length, sent: group.sent, received: group.received, dropped: group.dropped };
}

/** Stop sending, give the echoes in flight `drainMs` to arrive, report, close. */
async function soakStop(args: { tag: string; drainMs?: number }): Promise<SoakCounts> {
  const group = soaks.get(args.tag);
  if (group === undefined) throw new Error(`no soak group ${args.tag}`);
  clearInterval(group.timer);
  const deadline = performance.now() + (args.drainMs ?? 5000);
  while (group.received < group.sent && performance.now() < deadline) await sleep(50);
  const counts = soakCounts(args);
  soaks.delete(args.tag);
  for (const socket of group.sockets) socket.resetAndDestroy();
  return counts;
}

serveIpc({ echo, open, arm, wait, close, soakStart, soakCounts, soakStop });
process.send?.({ type: 'ready' });
