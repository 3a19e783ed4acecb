/**
 * Server processes on a shared Redis for the cross-process tests: each runs
 * tests/fixtures/redis-node.ts in its own Node process, is driven by real
 * `ws` clients, and is stopped (or killed) on teardown.
 *
 * @module
 */
import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BusGap } from '../../src/server/manager.js';
import type { RedisBusOptions } from '../../src/scale/index.js';
import { within } from './loopback.js';
import { wsPeer, type WsPeer } from './ws-peer.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** One server process. */
export interface RedisNode {
  readonly child: ChildProcess;
  readonly port: number;
  readonly node: string;
  /** Gaps this process reported so far. */
  readonly gaps: BusGap[];
  /** A `ws` client on `path` (`/` broadcasts, `/t/<topic>` a topic), once the server subscribed it. */
  client(path?: string): Promise<WsPeer>;
  /** Ask for the publish outcomes counted so far. */
  outcomes(): Promise<{ sent: number; dropped: number; buffered: number }>;
  /** Output so far (for assertion messages). */
  output(): string;
  /** Ask it to stop; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Start a server process on `url`; killed on teardown. */
export async function redisNode(t: ExecutionContext, url: string, options: RedisBusOptions = {}, env: Record<string, string> = {}): Promise<RedisNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/redis-node.ts'], {
    cwd: root,
    env: { ...process.env, REDIS_URL: url, BUS_OPTIONS: JSON.stringify(options), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const gaps: BusGap[] = [];
  const waiting: ((value: Record<string, unknown>) => void)[] = [];
  let listening: (value: { port: number; node: string }) => void;
  const ready = new Promise<{ port: number; node: string }>((resolve) => (listening = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    output += `${line}\n`;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (value.event === 'listening') listening(value as unknown as { port: number; node: string });
    else if (value.event === 'gap') gaps.push(value as unknown as BusGap);
    else if (value.event === 'outcome') {
      const { event: _event, ...outcome } = value;
      waiting.shift()?.(outcome);
    }
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`node exited early (${code}): ${output}`))));
  exited.catch(() => {});
  const { port, node } = await within(Promise.race([ready, exited]), 45_000, 'starting a server process').catch((error: Error) => {
    throw new Error(`${error.message}: ${output}`);
  });
  return {
    child,
    port,
    node,
    gaps,
    async client(path = '/') {
      const peer = await wsPeer(t, `ws://127.0.0.1:${port}${path}`);
      const first = await peer.messages.next(10_000);
      if (first !== 'subscribed') throw new Error(`expected "subscribed", got ${String(first)}`);
      peer.received.shift();
      return peer;
    },
    outcomes() {
      const answer = new Promise<Record<string, unknown>>((resolve) => waiting.push(resolve));
      child.stdin!.write('outcomes\n');
      return within(answer, 5000, 'outcomes') as Promise<{ sent: number; dropped: number; buffered: number }>;
    },
    output: () => output,
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.stdin!.write('stop\n');
      return within(done, 10_000, 'stopping a server process');
    },
  };
}
