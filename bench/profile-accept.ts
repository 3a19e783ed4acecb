/**
 * Profile one server while the load generator opens and upgrades N
 * connections (a reconnect storm):
 * `node --import tsx bench/profile-accept.ts [--server ws4ts|ws4ts-serve|ws|raw-tcp] [--connections 2000] [--rounds 3]`.
 * The server runs with `--cpu-prof`; each round opens N connections, reports
 * the accept rate and closes them; the profile's self-time summary is
 * printed (scripts/cpuprofile-summary.mjs).
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canPin, cleanTranspiled, compiled, ROOT, startChild, transpile } from './lib/procs.js';

const SERVERS: Record<string, string> = {
  ws4ts: 'bench/servers/ws4ts-server.ts',
  'ws4ts-serve': 'bench/servers/ws4ts-serve.ts',
  ws: 'bench/servers/ws-echo.ts',
  'raw-tcp': 'bench/servers/raw-echo.ts',
};
const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'ws4ts-serve' },
    connections: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    top: { type: 'string', default: '35' },
  },
});
const script = SERVERS[values.server ?? ''];
if (script === undefined) throw new Error(`unknown --server ${values.server}: ${Object.keys(SERVERS).join(', ')}`);
await transpile();
const dir = join(ROOT, '.bench-tmp', 'profiles', `accept-${values.server}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const pin = canPin();
const server = await startChild({ name: values.server!, script: compiled(script), nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`], ...(pin ? { cpu: 0 } : {}) });
const loadgen = await startChild({ name: 'loadgen', script: compiled('bench/loadgen.ts'), ...(pin ? { cpu: 1 } : {}) });
const count = Number(values.connections);
for (let round = 0; round < Number(values.rounds); round++) {
  const { seconds } = await loadgen.ipc.request<{ seconds: number }>('open', { tag: 'p', host: '127.0.0.1', port: server.port, count, parallel: 200 }, 120_000);
  console.log(`${values.server}: ${count} connections in ${seconds.toFixed(2)} s (${Math.round(count / seconds)}/s)`);
  await loadgen.ipc.request('close', { tag: 'p' });
  await new Promise((resolve) => setTimeout(resolve, 300));
}
await loadgen.stop();
await server.stop();
const profile = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (profile === undefined) throw new Error('no profile written');
console.log(execFileSync(process.execPath, [join(ROOT, 'scripts', 'cpuprofile-summary.mjs'), join(dir, profile), '--top', values.top ?? '35'], { encoding: 'utf8' }));
cleanTranspiled();
