/**
 * Child processes of the benchmark: a fresh transpile of the sources, and
 * servers and the load generator started pinned to separate cores (taskset)
 * with the file-descriptor limit raised as far as the hard limit allows.
 *
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { request as httpRequest } from 'node:http';
import { IpcClient } from './ipc.js';

/** The repository root. */
export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
/**
 * Where this process's transpiled JavaScript goes (git-ignored): one folder
 * per run, so two runs at once (say a quick run beside a full one) never
 * delete each other's servers.
 */
export const OUT = join(ROOT, '.bench-tmp', `js-${process.pid}`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove this run's transpiled files (and those of runs that died without cleaning up). */
export function cleanTranspiled(): void {
  const dir = join(ROOT, '.bench-tmp');
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^js-(\d+)$/.exec(name);
    if (match && (Number(match[1]) === process.pid || !alive(Number(match[1])))) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Transpile src/ and the benchmark's child programs to plain JavaScript with
 * esbuild, file by file as scripts/build.mjs builds dist/ (same target, same
 * format), so servers run without a TypeScript loader. Returns the output
 * directory; `src/cli.ts` becomes `OUT/src/cli.js`.
 */
export async function transpile(): Promise<string> {
  const { build } = await import('esbuild');
  cleanTranspiled();
  const entries = [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'bench', 'servers')), ...walk(join(ROOT, 'bench', 'lib')), join(ROOT, 'bench', 'loadgen.ts')];
  await build({
    entryPoints: entries,
    outdir: OUT,
    outbase: ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  return OUT;
}

/**
 * Transpile another commit's ws4ts (its src/, bench/servers/ and bench/lib/,
 * taken with `git archive`) next to this run's, so `--baseline REF` can run
 * the old code as one more target in the same interleaved rounds: a
 * before/after comparison that machine noise affects like every other ratio.
 * Returns the compiled path of `source` in that tree; a commit without
 * `source` gets this tree's copy of it, run over its own src/.
 */
export async function transpileBaseline(ref: string, source: string): Promise<string> {
  const { build } = await import('esbuild');
  const tree = join(OUT, 'baseline-src');
  mkdirSync(tree, { recursive: true });
  const archive = spawnSync('git', ['archive', '--format=tar', ref, 'src', 'bench/servers', 'bench/lib'], { cwd: ROOT, maxBuffer: 512 * 1024 * 1024 });
  if (archive.status !== 0) throw new Error(`git archive ${ref}: ${archive.stderr.toString().trim()}`);
  const untar = spawnSync('tar', ['-x', '-C', tree], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar: ${untar.stderr.toString().trim()}`);
  // A commit from before this server program existed: run this tree's
  // program (bench code, not library code) over that commit's src/.
  if (!existsSync(join(tree, source))) cpSync(join(ROOT, source), join(tree, source));
  const out = join(OUT, 'baseline');
  await build({
    entryPoints: [...walk(join(tree, 'src')), ...walk(join(tree, 'bench', 'servers')), ...walk(join(tree, 'bench', 'lib'))],
    outdir: out,
    outbase: tree,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  const script = join(out, source.replace(/\.ts$/, '.js'));
  if (!existsSync(script)) throw new Error(`${ref} has no ${source}`);
  return script;
}

/** The compiled path of a source file, e.g. `src/cli.ts` → `OUT/src/cli.js`. */
export function compiled(source: string): string {
  return join(OUT, relative(ROOT, join(ROOT, source)).replace(/\.ts$/, '.js'));
}

let tasksetChecked: boolean | undefined;
/** True when `taskset` exists and this machine has at least two CPUs to pin to. */
export function canPin(): boolean {
  if (tasksetChecked === undefined) {
    const result = spawnSync('taskset', ['-c', '1', 'true']);
    tasksetChecked = result.status === 0;
  }
  return tasksetChecked;
}

/**
 * The Bun binary the dev dependency `@oven/bun-linux-x64` ships, or
 * undefined where it is not installed (another platform, an install without
 * optional binaries): Bun targets are then skipped with a note.
 */
export function bunBinary(): string | undefined {
  const path = process.env['WS4TS_BENCH_BUN'] ?? join(ROOT, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun');
  return existsSync(path) ? path : undefined;
}

/** Request/response to a child, over Node IPC or (for non-Node children) HTTP. */
export interface Control {
  request<T>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
}

/**
 * The control channel of a child that is not Node (Bun): `GET
 * /__control/<cmd>?args=<json>` on the child's own port, answered with
 * `{ ok, result | error }` (bench/servers/bun-echo.ts).
 */
export class HttpControl implements Control {
  readonly #port: number;
  constructor(port: number) {
    this.#port = port;
  }
  request<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
    const path = `/__control/${cmd}?args=${encodeURIComponent(JSON.stringify(args ?? {}))}`;
    return new Promise<T>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: this.#port, path, agent: false, timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => (body += text));
        res.on('end', () => {
          try {
            const answer = JSON.parse(body) as { ok: boolean; result?: T; error?: string };
            if (answer.ok) resolve(answer.result as T);
            else reject(new Error(answer.error));
          } catch (error) {
            reject(error as Error);
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${cmd}: no answer after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}

/** How to start one child. */
export interface ChildSpec {
  readonly name: string;
  /** Script path (compiled JavaScript). */
  readonly script: string;
  /**
   * The interpreter to run `script` with instead of this Node (say the Bun
   * binary). Such a child gets no IPC channel: it prints `listening …:PORT`
   * and answers control commands over HTTP ({@link HttpControl}).
   */
  readonly runtime?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly nodeFlags?: readonly string[];
  /** CPU to pin to (ignored without taskset). */
  readonly cpu?: number;
}

/** A running child with its IPC client and, for servers, its port. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly ipc: Control;
  readonly port: number;
  /** Last lines of stderr, for error messages. */
  readonly stderr: () => string;
  stop(): Promise<void>;
}

/**
 * Start a child and wait until it reports a port (`{type: 'listening'}` over
 * IPC or a `listening … :PORT` line on stdout) or readiness (`{type: 'ready'}`).
 */
export function startChild(spec: ChildSpec, timeoutMs = 20_000): Promise<Child> {
  const node = spec.runtime !== undefined ? [spec.runtime, spec.script, ...(spec.args ?? [])] : [process.execPath, ...(spec.nodeFlags ?? []), spec.script, ...(spec.args ?? [])];
  const pinned = spec.cpu !== undefined && canPin() ? ['taskset', '-c', String(spec.cpu), ...node] : node;
  // Raise the descriptor limit in the child's shell (10,000 connections need as many descriptors).
  const child = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...pinned], {
    stdio: spec.runtime !== undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'ipc'],
    // Structured clone keeps NaN and typed arrays intact (JSON would not).
    serialization: 'advanced',
    env: { ...process.env, ...spec.env },
    cwd: ROOT,
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  const ipc = spec.runtime !== undefined ? undefined : new IpcClient(child);
  return new Promise<Child>((resolve, reject) => {
    let settled = false;
    const finish = (port: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        name: spec.name,
        process: child,
        ipc: ipc ?? new HttpControl(port),
        port,
        stderr: () => stderr,
        stop: () => stopChild(child),
      });
    };
    const timer = setTimeout(() => {
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`${spec.name} did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message?.type === 'listening' && typeof message.port === 'number') finish(message.port);
      else if (message?.type === 'ready') finish(0);
    });
    let stdout = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      if (settled) return;
      stdout += text;
      const match = /listening[^\n]*:(\d+)/i.exec(stdout);
      if (match) finish(Number(match[1]));
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited (${code ?? signal}) before starting: ${stderr.trim().split('\n').filter((l) => /error/i.test(l)).slice(0, 2).join(' / ') || stderr.slice(-300)}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
