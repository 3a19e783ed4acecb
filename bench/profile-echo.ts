/**
 * Profile one echo server under one cell of the echo matrix:
 * `node --import tsx bench/profile-echo.ts --target ws4ts-hooks --size 32 --connections 50 --window 32 [--seconds 5]`.
 * The server runs with `--cpu-prof`; the profile's summary (self time by
 * function, via scripts/cpuprofile-summary.mjs) is printed and the
 * `.cpuprofile` kept under .bench-tmp/profiles/ for a closer look.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CELL_OPTIONS, cellTarget, startCell } from './lib/cell.js';
import { cleanTranspiled, ROOT, transpile } from './lib/procs.js';
import type { EchoResult } from './loadgen.js';

const { values } = parseArgs({
  options: {
    ...CELL_OPTIONS,
    seconds: { type: 'string', default: '5' },
    top: { type: 'string', default: '30' },
  },
});
await transpile();
const name = cellTarget(values.target).name;
const dir = join(ROOT, '.bench-tmp', 'profiles', `${name}-${values.size}-${values.connections}-${values.window}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const { target, server, loadgen, job } = await startCell(values, Number(values.seconds) * 1000, 500, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
const result = await loadgen.ipc.request<EchoResult>('echo', job, 120_000);
console.log(`${target.name}: ${Math.round(result.messagesPerSecond)} msg/s, p50 ${result.p50.toFixed(0)} µs, p99 ${result.p99.toFixed(0)} µs, server CPU ${(result.serverCpu * 100).toFixed(0)}%, load generator CPU ${(result.loadgenCpu * 100).toFixed(0)}%`);
await loadgen.stop();
await server.stop();
const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
const largest = profiles.map((f) => join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
if (largest === undefined) throw new Error('no profile written');
console.log(execFileSync(process.execPath, [join(ROOT, 'scripts', 'cpuprofile-summary.mjs'), largest, '--top', values.top ?? '30'], { encoding: 'utf8' }));
console.log(`profile: ${largest}`);
cleanTranspiled();
