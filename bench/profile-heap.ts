/**
 * Where the heap of an idle connection goes: heap snapshots of a benchmark
 * server before and after N idle connections, compared by object kind and
 * constructor (scripts/heap-summary.mjs), per connection.
 * `node --import tsx bench/profile-heap.ts [--server ws4ts|ws|http-upgrade|raw-tcp] [--connections 2000]`
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canPin, cleanTranspiled, compiled, ROOT, startChild, transpile } from './lib/procs.js';

const SERVERS: Record<string, string> = {
  ws4ts: 'bench/servers/ws4ts-server.ts',
  ws: 'bench/servers/ws-echo.ts',
  'http-upgrade': 'bench/servers/http-upgrade.ts',
  'raw-tcp': 'bench/servers/raw-echo.ts',
};
const { values } = parseArgs({ options: { server: { type: 'string', default: 'ws4ts' }, connections: { type: 'string', default: '2000' }, top: { type: 'string', default: '30' } } });
const script = SERVERS[values.server ?? 'ws4ts'];
if (script === undefined) throw new Error(`unknown server: use ${Object.keys(SERVERS).join(', ')}`);
const count = Number(values.connections);
const dir = join(ROOT, '.bench-tmp', 'heap');
mkdirSync(dir, { recursive: true });
await transpile();
const pin = canPin();
const loadgen = await startChild({ name: 'loadgen', script: compiled('bench/loadgen.ts'), ...(pin ? { cpu: 1 } : {}) });
const server = await startChild({ name: values.server!, script: compiled(script), nodeFlags: ['--expose-gc'], ...(pin ? { cpu: 0 } : {}) });
try {
  const before = await server.ipc.request<string>('snapshot', { path: join(dir, `${values.server}-before.heapsnapshot`) });
  await loadgen.ipc.request('open', { tag: 'heap', host: '127.0.0.1', port: server.port, count });
  while ((await server.ipc.request<number>('connections')) < count) await new Promise((r) => setTimeout(r, 20));
  const after = await server.ipc.request<string>('snapshot', { path: join(dir, `${values.server}-after.heapsnapshot`) });
  console.log(`${values.server}, ${count} idle connections:`);
  console.log(execFileSync(process.execPath, [join(ROOT, 'scripts', 'heap-summary.mjs'), before, after, '--per', String(count), '--top', values.top!], { encoding: 'utf8' }));
} finally {
  await loadgen.ipc.request('close', { tag: 'heap' }).catch(() => {});
  await server.stop();
  await loadgen.stop();
  cleanTranspiled();
}
