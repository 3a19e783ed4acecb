/**
 * Soak: 10,000 connections each sending one message per second for 10
 * minutes, ws4ts next to ws on the same load at the same time:
 *
 *   node --import tsx bench/soak.ts                          # the issue's figure (10 min)
 *   node --import tsx bench/soak.ts --minutes 3 --sample 30  # shortened
 *
 * Each server (bench/servers/ws4ts-server.ts: node:http + `attach`, the hooks
 * echo; bench/servers/ws-echo.ts: ws with bufferutil) runs in its own process
 * with `--expose-gc`, pinned to CPU 0; each has its own load-generator child
 * (bench/loadgen.ts `soakStart`) on CPU 1 that spreads the sends over a 10 ms
 * tick. Every `--sample` seconds (default 60) both servers are asked for RSS
 * and heap after a full GC. At the end sending stops, the echoes in flight
 * drain, and sent must equal received. The slope of RSS and heap after the
 * warm-up (the first sample dropped) is a least-squares fit, per minute.
 *
 * Writes bench/soak.json and bench/soak.svg; `npm run bench` renders them
 * into bench/RESULTS.md (bench/soak-report.ts).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { canPin, cleanTranspiled, compiled, ROOT, startChild, transpile, type Child } from './lib/procs.js';
import { loadChartLibraries } from './chart.js';
import { renderSoakChart, slopeOf, type SoakResults, type SoakTargetResult } from './soak-report.js';
import type { ServerStats } from './servers/control.js';
import type { SoakCounts } from './loadgen.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10000' },
    minutes: { type: 'string', default: '10' },
    sample: { type: 'string', default: '60' },
    size: { type: 'string', default: '64' },
    out: { type: 'string', default: join(ROOT, 'bench', 'soak.json') },
    chart: { type: 'string', default: join(ROOT, 'bench', 'soak.svg') },
  },
});
const count = Number(values.connections);
const minutes = Number(values.minutes);
const sampleSeconds = Number(values.sample);
const size = Number(values.size);

const TARGETS = [
  { name: 'ws4ts', script: 'bench/servers/ws4ts-server.ts', env: {} },
  { name: 'ws', script: 'bench/servers/ws-echo.ts', env: { WS_NO_BUFFER_UTIL: '', WS_NO_UTF_8_VALIDATE: '' } },
] as const;

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  await transpile();
  const pin = canPin();
  const children: Child[] = [];
  try {
    const servers: Child[] = [];
    const loadgens: Child[] = [];
    for (const target of TARGETS) {
      const server = await startChild({ name: target.name, script: compiled(target.script), env: target.env, nodeFlags: ['--expose-gc'], ...(pin ? { cpu: 0 } : {}) });
      const loadgen = await startChild({ name: `loadgen-${target.name}`, script: compiled('bench/loadgen.ts'), ...(pin ? { cpu: 1 } : {}) });
      children.push(server, loadgen);
      servers.push(server);
      loadgens.push(loadgen);
    }
    const baseline = await Promise.all(servers.map((s) => s.ipc.request<ServerStats>('stats')));
    // Open both groups at once: the same load on both servers, at the same time.
    await Promise.all(
      loadgens.map((loadgen, i) => loadgen.ipc.request('soakStart', { tag: 'soak', host: '127.0.0.1', port: servers[i]!.port, count, size, intervalMs: 1000 }, 300_000)),
    );
    console.log(`soak: ${count} connections per server, one ${size}-byte message per second each, ${minutes} min, sampled every ${sampleSeconds} s`);
    const samples: { t: number; stats: ServerStats[]; counts: SoakCounts[] }[] = [];
    const start = performance.now();
    const end = start + minutes * 60_000;
    for (let next = start + sampleSeconds * 1000; next <= end + 1; next += sampleSeconds * 1000) {
      await sleep(Math.max(0, next - performance.now()));
      const [stats, counts] = await Promise.all([
        Promise.all(servers.map((s) => s.ipc.request<ServerStats>('stats'))),
        Promise.all(loadgens.map((l) => l.ipc.request<SoakCounts>('soakCounts', { tag: 'soak' }))),
      ]);
      const t = (performance.now() - start) / 60_000;
      samples.push({ t, stats, counts });
      console.log(
        `  ${t.toFixed(1)} min  ${TARGETS.map((target, i) => `${target.name}: RSS ${(stats[i]!.rss / 1e6).toFixed(1)} MB, heap ${(stats[i]!.heapUsed / 1e6).toFixed(1)} MB, ${stats[i]!.connections} open, echoed ${counts[i]!.received}/${counts[i]!.sent}`).join('   ')}`,
      );
    }
    const final = await Promise.all(loadgens.map((l) => l.ipc.request<SoakCounts>('soakStop', { tag: 'soak', drainMs: 10_000 }, 60_000)));
    const targets: SoakTargetResult[] = TARGETS.map((target, i) => {
      const points = samples.map((s) => ({ minute: s.t, rss: s.stats[i]!.rss, heapUsed: s.stats[i]!.heapUsed, connections: s.stats[i]!.connections }));
      const warm = points.slice(1);
      return {
        target: target.name,
        baselineRss: baseline[i]!.rss,
        baselineHeap: baseline[i]!.heapUsed,
        samples: points,
        rssSlopePerMinute: slopeOf(warm.map((p) => [p.minute, p.rss])),
        heapSlopePerMinute: slopeOf(warm.map((p) => [p.minute, p.heapUsed])),
        sent: final[i]!.sent,
        received: final[i]!.received,
        dropped: final[i]!.dropped,
      };
    });
    const results: SoakResults = {
      date: new Date().toISOString(),
      node: process.version,
      connections: count,
      minutes,
      sampleSeconds,
      size,
      load: [load0, loadavg()[0]!],
      targets,
    };
    writeFileSync(values.out!, `${JSON.stringify(results, null, 2)}\n`);
    const libs = await loadChartLibraries();
    if (libs !== undefined) writeFileSync(values.chart!, await renderSoakChart(results, libs));
    for (const t of targets) {
      console.log(
        `${t.target}: RSS slope ${(t.rssSlopePerMinute / 1e3).toFixed(1)} KB/min, heap slope ${(t.heapSlopePerMinute / 1e3).toFixed(1)} KB/min, echoed ${t.received} of ${t.sent} (${t.sent - t.received} missing), ${t.dropped} connections dropped`,
      );
    }
    console.log(`wrote ${values.out}${libs ? ` and ${values.chart}` : ''}`);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

try {
  await main();
} finally {
  cleanTranspiled();
}
