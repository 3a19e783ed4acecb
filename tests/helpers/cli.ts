/**
 * Running the built `ws4ts` binary (dist/cli.js) in child processes, as a
 * user runs it: `serve` until it prints its URL, `connect` to completion.
 * Every child is killed on teardown.
 *
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { within } from './loopback.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const cli = `${root}dist/cli.js`;

/** Build dist/ once if it is missing (`npm test` builds it first). */
export function ensureBuilt(): void {
  if (!existsSync(cli)) execFileSync(process.execPath, [`${root}scripts/build.mjs`], { stdio: 'inherit' });
}

/** A running `ws4ts serve`. */
export interface Served {
  readonly child: ChildProcess;
  /** `ws://127.0.0.1:PORT/` as printed. */
  readonly url: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT`. */
  readonly http: string;
  /** Everything printed so far on stdout. */
  output(): string;
}

/** Start the server with `args`; resolves with the URL it prints. */
export async function startServer(t: ExecutionContext, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  t.teardown(() => void child.kill('SIGKILL'));
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => t.log(`server stderr: ${chunk.toString()}`));
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await within(
    new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const match = /(wss?:\/\/[^\s]+)/.exec(output);
        if (match && output.includes('listening')) resolve(match[1]!);
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${output}`)));
    }),
    15_000,
    'the server printing its URL',
  );
  const port = Number(new URL(url).port);
  return { child, url, port, http: `${url.startsWith('wss') ? 'https' : 'http'}://127.0.0.1:${port}`, output: () => output };
}

/** What a finished command did. */
export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI to completion with `input` on stdin (closed at once when absent). */
export async function run(t: ExecutionContext, args: readonly string[], input?: string, ms = 20_000): Promise<Ran> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.on('error', () => {});
  child.stdin.end(input ?? '');
  const [code] = (await within(once(child, 'exit'), ms, `ws4ts ${args.join(' ')}`)) as [number | null];
  return { code, stdout, stderr };
}
