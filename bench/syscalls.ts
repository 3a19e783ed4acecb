/**
 * Count the system calls one echo server makes in one cell of the echo
 * matrix (strace -c attached to the server while the load generator runs):
 * `node --import tsx bench/syscalls.ts --target ws4ts-hooks --size 1048576 --connections 1 --window 32 [--seconds 5]`.
 * Prints strace's summary and the messages echoed, so calls per message
 * can be compared between targets (a figure machine load does not move).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { CELL_OPTIONS, startCell } from './lib/cell.js';
import { cleanTranspiled, transpile } from './lib/procs.js';
import type { EchoResult } from './loadgen.js';

const { values } = parseArgs({ options: { ...CELL_OPTIONS, seconds: { type: 'string', default: '5' } } });
await transpile();
const { target, server, loadgen, job } = await startCell(values, Number(values.seconds) * 1000, 0);
const strace = spawn('strace', ['-c', '-f', '-p', String(server.process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
let summary = '';
strace.stderr.setEncoding('utf8').on('data', (text: string) => (summary += text));
await new Promise((resolve) => setTimeout(resolve, 300)); // attached
const result = await loadgen.ipc.request<EchoResult>('echo', job, 120_000);
strace.kill('SIGINT');
await new Promise((resolve) => strace.on('close', resolve));
const messages = Math.round(result.messagesPerSecond * Number(values.seconds));
console.log(`${target.name}: ${Math.round(result.messagesPerSecond)} msg/s (about ${messages} messages), server CPU ${(result.serverCpu * 100).toFixed(0)}%`);
console.log(summary);
await loadgen.stop();
await server.stop();
cleanTranspiled();
