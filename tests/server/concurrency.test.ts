/**
 * ws4py's gevent server, in Node terms: one async task per connection, proven
 * with 10,000 concurrent echoing connections on one process.
 *
 * The server runs in a child process (tests/fixtures/echo-server.ts) so that
 * its memory is measured alone; the clients are raw node:net sockets in this
 * process, each writing one pre-encoded upgrade request and one pre-encoded
 * masked frame, and waiting for the 101 and the echo. The test asserts a
 * memory budget per connection, never a time.
 */
import test from 'ava';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { maskedFrame, upgradeBytes } from '../helpers/crowd.js';

const TARGET = 10_000;
/** Descriptors left for everything else in a process (ava, tsx, pipes, other tests' sockets). */
const RESERVE = 1_000;
/** The budget: resident memory added per open connection, in the server, after gc. */
const RSS_BUDGET = 40 * 1024;
/** Live JavaScript heap per connection after gc. */
const HEAP_BUDGET = 20 * 1024;
const IN_FLIGHT = 500;

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Stats {
  connections: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  cpu: number;
}

/** The server child: its JSON lines, in order, with async waiting. */
class ServerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly #lines: Record<string, unknown>[] = [];
  readonly #waiters: (() => void)[] = [];
  stderr = '';

  constructor() {
    // Raise the descriptor limit as far as allowed (65,536, else the hard limit) before node starts.
    const script =
      'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; export FD_LIMIT="$(ulimit -n)"; ' +
      'exec node --import tsx --expose-gc tests/fixtures/echo-server.ts';
    this.child = spawn('bash', ['-c', script], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      try {
        this.#lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        return;
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on('exit', () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  async next(event: string, ms: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const index = this.#lines.findIndex((line) => line.event === event);
      if (index >= 0) return this.#lines.splice(index, 1)[0]!;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`server exited: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${event}" from the server within ${ms} ms: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stats(): Promise<Stats> {
    this.child.stdin.write('stats\n');
    return (await this.next('stats', 30_000)) as unknown as Stats;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end('exit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** The soft descriptor limit of this process, as a child shell inherits it. */
function ownFdLimit(): number {
  try {
    const value = execFileSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return value === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(value);
  } catch {
    return 1024;
  }
}

/** How many local ports one client address can use towards one server port. */
function ephemeralPorts(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return high! - low! + 1;
  } catch {
    return 28_000;
  }
}

/**
 * Open one connection: upgrade and one echoed message in a single write,
 * resolved once the 101 head and the echo are in. The socket stays open.
 */
function echoOnce(port: number, request: Buffer, expected: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = 0;
    let head = '';
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      if (received === 0) head = chunk.subarray(0, 12).toString('latin1');
      received += chunk.length;
      if (received < expected) return;
      socket.removeAllListeners('data');
      socket.removeListener('error', fail);
      socket.on('error', () => {});
      if (head !== 'HTTP/1.1 101' || received !== expected) fail(new Error(`unexpected answer ${head} (${received} bytes)`));
      else resolve(socket);
    });
    socket.write(request);
  });
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`;

test('10,000 concurrent echoing connections on one process stay within the memory budget', async (t) => {
  t.timeout(90_000);
  const server = new ServerProcess();
  const sockets: Socket[] = [];
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await server.stop().catch(() => server.child.kill('SIGKILL'));
  });
  const ready = await server.next('listening', 20_000);
  const port = ready.port as number;
  const serverLimit = (ready.fdLimit as number) || 1024;
  const clientLimit = ownFdLimit();
  const count = Math.max(0, Math.min(TARGET, clientLimit - RESERVE, serverLimit - RESERVE, ephemeralPorts() - RESERVE));
  t.log(`descriptor limits: test process ${clientLimit}, server process ${serverLimit}`);
  if (count < TARGET) {
    t.log(`only ${count} connections fit under these limits (raise them with ulimit -n to run ${TARGET.toLocaleString('en')})`);
  }
  if (count < 100) {
    t.fail(`only ${count} descriptors available: too few for a meaningful measure (raise ulimit -n)`);
    return;
  }

  // The request and the frame are encoded once for all connections.
  const payload = 'ping';
  const request = Buffer.concat([upgradeBytes('/'), maskedFrame(0x1, payload)]);
  // The size of one answer: learn it from a first connection.
  const first = connect(port, '127.0.0.1');
  const answer = await new Promise<Buffer>((resolve, reject) => {
    let data = Buffer.alloc(0);
    first.on('error', reject);
    first.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end >= 0 && data.length >= end + 4 + 2 + payload.length) resolve(data);
    });
    first.write(request);
  });
  first.destroy();
  const expected = answer.length;
  t.is(answer.subarray(expected - 2 - payload.length).toString('latin1'), `\x81\x04${payload}`);

  const baseline = await server.stats();
  const started = performance.now();
  const clientCpu = process.cpuUsage();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      sockets.push(await echoOnce(port, request, expected));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const elapsed = performance.now() - started;
  const clientUsage = process.cpuUsage(clientCpu);
  t.is(sockets.length, count);

  const loaded = await server.stats();
  t.is(loaded.connections, count, 'every connection is open on the server at once');
  const rss = (loaded.rss - baseline.rss) / count;
  const heap = (loaded.heapUsed - baseline.heapUsed) / count;
  const external = (loaded.external - baseline.external) / count;
  t.log(`${count.toLocaleString('en')} connections accepted, upgraded and echoed in ${(elapsed / 1000).toFixed(2)} s (${Math.round(count / (elapsed / 1000)).toLocaleString('en')}/s, ${IN_FLIGHT} in flight)`);
  t.log(`CPU time: server ${((loaded.cpu - baseline.cpu) / 1000).toFixed(0)} ms, clients (this process) ${((clientUsage.user + clientUsage.system) / 1000).toFixed(0)} ms`);
  t.log(`server RSS ${mib(baseline.rss)} → ${mib(loaded.rss)}: ${kib(rss)} per connection`);
  t.log(`server heap ${mib(baseline.heapUsed)} → ${mib(loaded.heapUsed)}: ${kib(heap)} per connection; external ${kib(external)} per connection`);
  t.true(rss < RSS_BUDGET, `RSS per connection ${kib(rss)} over the ${kib(RSS_BUDGET)} budget`);
  t.true(heap < HEAP_BUDGET, `heap per connection ${kib(heap)} over the ${kib(HEAP_BUDGET)} budget`);

  // Every connection is still alive: a second round of echoes on a sample.
  const sample = sockets.filter((_, i) => i % Math.ceil(count / 100) === 0);
  const frame = maskedFrame(0x1, payload);
  const echoed = await Promise.all(
    sample.map(
      (socket) =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 10_000);
          socket.once('data', () => {
            clearTimeout(timer);
            resolve(true);
          });
          socket.write(frame);
        }),
    ),
  );
  t.is(echoed.filter(Boolean).length, sample.length, 'every sampled connection echoes a second time');
});
