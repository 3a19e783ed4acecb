/**
 * A real `redis-server` for the tests: started on a free loopback port in a
 * temp dir (no persistence unless asked), stopped on teardown; it can be
 * killed and started again on the same port mid-test.
 *
 * @module
 */
import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './loopback.js';


/** One redis-server the test owns. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL it (no goodbye to clients) and wait for it to exit. */
  kill(): Promise<void>;
  /** Start it again on the same port (and dir: with persistence, data survives). */
  start(): Promise<void>;
  /** The running process, if any. */
  readonly process: ChildProcess | undefined;
}

/** Options of {@link redisServer}. */
export interface RedisServerOptions {
  /** Keep an append-only file across restarts. Default false. */
  persistence?: boolean;
  /** Extra command-line arguments (e.g. `['--cluster-enabled', 'yes']`). */
  args?: readonly string[];
  /** Use this port instead of a fresh one. */
  port?: number;
}

/** Start a redis-server; it is killed and its dir removed on teardown. */
export async function redisServer(t: ExecutionContext, options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'ws4ts-redis-'));
  let child: ChildProcess | undefined;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.persistence ? 'yes' : 'no', '--appendfsync', 'always',
    '--protected-mode', 'no', '--loglevel', 'notice', ...(options.args ?? []),
  ];
  const start = async (): Promise<void> => {
    // A port just left by a killed server may be taken a moment later: retry a few times.
    for (let attempt = 0; ; attempt++) {
      const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      let output = '';
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        const onData = (chunk: Buffer): void => {
          output += chunk.toString();
          if (/Ready to accept connections/.test(output)) {
            clearTimeout(timer);
            resolve(true);
          }
        };
        started.stdout!.on('data', onData);
        started.stderr!.on('data', onData);
        started.once('exit', () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      if (ok) return;
      started.kill('SIGKILL');
      if (attempt >= 5) throw new Error(`redis-server did not start on ${port}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await exited;
  };
  t.teardown(async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  });
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    get process() {
      return child;
    },
  };
}
