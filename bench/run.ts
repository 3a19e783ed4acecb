/**
 * The whole benchmark in one invocation: `npm run bench` (under 10 minutes)
 * or `npm run bench:quick` (a subset, under 2 minutes).
 *
 * 1. parser (bench/parse.ts, in a child process pinned to CPU 0);
 * 2. echo over loopback (bench/echo.ts);
 * 3. fan-out to 1,000 clients (bench/fanout.ts);
 * 4. capacity: 10,000 idle connections (bench/capacity.ts);
 * 5. micro (bench/micro.ts, run as a child, its output quoted);
 * 6. permessage-deflate: echo throughput and server CPU per message vs ws with
 *    deflate (bench/deflate-echo.ts), memory per connection with deflate on
 *    (bench/deflate-memory.ts), both as children, their output quoted.
 *
 * Writes bench/RESULTS.md and bench/ratios.svg (quick mode writes to
 * .bench-tmp/ unless `--out` is given, so a quick run never replaces the
 * full results). Flags: `--quick`, `--only parse,echo,fanout,capacity,micro,deflate`,
 * `--out FILE.md`, `--chart FILE.svg`, `--from FILE.json` (measure nothing:
 * render the report and chart again from a run's saved results, kept in
 * .bench-tmp/results.json), `--baseline REF` (also run commit REF's
 * ws4ts, transpiled from `git archive`, as the echo target `ws4ts-baseline`
 * and the capacity target `ws4ts-serve-baseline`: before/after in one run),
 * `--rounds N` (echo rounds per cell), `--targets a,b` (echo targets to run;
 * the baseline always runs when given), `--sizes 65536,…` (only the echo
 * cells of these message sizes, in bytes: for bisecting one cell).
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { canPin, cleanTranspiled, compiled, ROOT, startChild, transpile, transpileBaseline, type Child } from './lib/procs.js';
import { bunSkipped, runEcho } from './echo.js';
import { runFanout } from './fanout.js';
import { runCapacity } from './capacity.js';
import { loadChartLibraries, renderRatioChart } from './chart.js';
import { ratioPoints, renderResults, type BenchResults } from './report.js';
import type { CaseResult } from './parse.js';
import type { SoakResults } from './soak-report.js';

const SECTIONS = ['parse', 'echo', 'fanout', 'capacity', 'micro', 'deflate'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    chart: { type: 'string' },
    from: { type: 'string' },
    baseline: { type: 'string' },
    rounds: { type: 'string' },
    targets: { type: 'string' },
    sizes: { type: 'string' },
  },
});
const quick = values.quick === true;
const only = new Set((values.only?.split(',') ?? SECTIONS) as Section[]);
const out = values.out ?? (quick ? join(ROOT, '.bench-tmp', 'RESULTS-quick.md') : join(ROOT, 'bench', 'RESULTS.md'));
const chartPath = values.chart ?? join(dirname(out), quick && values.out === undefined ? 'ratios-quick.svg' : 'ratios.svg');
const log = (line: string) => console.log(line);
const started = performance.now();
const loadAtStart = loadavg()[0]!;
const pinned = canPin();
const serverCpu = pinned ? 0 : undefined;
const notes: string[] = [];

/** Run a command, echoing its output; resolves with stdout and the exit code (killed after `timeoutMs`). */
function runCommand(command: string, args: readonly string[], timeoutMs: number, echo = true): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (echo) process.stdout.write(text);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function pinnedCommand(cpu: number | undefined, args: string[]): [string, string[]] {
  return cpu !== undefined ? ['taskset', ['-c', String(cpu), ...args]] : [args[0]!, args.slice(1)];
}

async function parseSection(): Promise<readonly CaseResult[] | undefined> {
  log('\n── parser ──');
  const json = join(ROOT, '.bench-tmp', 'parse.json');
  const [command, args] = pinnedCommand(serverCpu, [process.execPath, '--import', 'tsx', join(ROOT, 'bench', 'parse.ts'), ...(quick ? ['--quick'] : []), '--json', json]);
  const result = await runCommand(command, args, 5 * 60_000);
  if (result.code !== 0) {
    notes.push(`parser benchmark failed (exit ${result.code}): ${result.stderr.slice(-500)}`);
    return undefined;
  }
  return (JSON.parse(readFileSync(json, 'utf8')) as { results: CaseResult[] }).results;
}

async function microSection(): Promise<string | undefined> {
  const micro = join(ROOT, 'bench', 'micro.ts');
  if (!existsSync(micro)) {
    notes.push('bench/micro.ts does not exist yet: micro benchmarks skipped.');
    return undefined;
  }
  log('\n── micro ──');
  const base = [process.execPath, '--import', 'tsx', micro];
  let [command, args] = pinnedCommand(serverCpu, quick ? [...base, '--quick'] : base);
  let result = await runCommand(command, args, quick ? 60_000 : 180_000);
  if (result.code !== 0 && quick) {
    // Perhaps it has no --quick flag: run it as it is.
    [command, args] = pinnedCommand(serverCpu, base);
    result = await runCommand(command, args, 60_000);
  }
  if (result.code !== 0) {
    notes.push(`bench/micro.ts failed (exit ${result.code}): ${result.stderr.slice(-300).trim()}`);
    return result.stdout || undefined;
  }
  return result.stdout;
}

/** The two deflate benchmarks, run as children; their tables quoted verbatim. */
async function deflateSection(): Promise<string | undefined> {
  log('\n── permessage-deflate ──');
  const parts: string[] = [];
  const runs: [string, string[]][] = [
    ['deflate-echo.ts', quick ? ['--seconds', '0.5'] : ['--seconds', '1.5']],
    ['deflate-memory.ts', quick ? ['--n', '300'] : ['--n', '1500']],
  ];
  for (const [file, extra] of runs) {
    const [command, args] = pinnedCommand(serverCpu, [process.execPath, '--import', 'tsx', join(ROOT, 'bench', file), ...extra]);
    const result = await runCommand(command, args, quick ? 90_000 : 240_000);
    if (result.code !== 0) notes.push(`bench/${file} failed (exit ${result.code}): ${result.stderr.slice(-300).trim()}`);
    if (result.stdout) parts.push(`$ node bench/${file} ${extra.join(' ')}`, result.stdout.trimEnd(), '');
  }
  return parts.length > 0 ? parts.join('\n') : undefined;
}

async function writeReport(results: BenchResults): Promise<void> {
  let chartRef: string | undefined;
  const libs = await loadChartLibraries();
  const points = ratioPoints(results);
  if (libs === undefined) {
    notes.push('Chart skipped: the dev dependencies `vega` and `vega-lite` are not installed.');
  } else if (points.length > 0) {
    const svg = await renderRatioChart(points, `ws4ts ÷ peers — ${results.date.slice(0, 10)}, Node ${process.version}`, libs);
    writeFileSync(chartPath, svg);
    chartRef = relative(dirname(out), chartPath) || basename(chartPath);
  }
  // The soak is run on its own (bench/soak.ts, 10 minutes): its last results are shown here.
  const soakJson = join(ROOT, 'bench', 'soak.json');
  const soakSvg = join(ROOT, 'bench', 'soak.svg');
  const soak = results.soak ?? (existsSync(soakJson) ? (JSON.parse(readFileSync(soakJson, 'utf8')) as SoakResults) : undefined);
  const soakRef = soak !== undefined && existsSync(soakSvg) ? relative(dirname(out), soakSvg) : undefined;
  writeFileSync(out, renderResults(soak !== undefined ? { ...results, soak } : results, chartRef, soakRef));
  log(`\nwrote ${relative(ROOT, out)}${chartRef ? ` and ${relative(ROOT, chartPath)}` : ''}`);
}

async function main(): Promise<void> {
  mkdirSync(join(ROOT, '.bench-tmp'), { recursive: true });
  if (values.from !== undefined) {
    // JSON turned NaN (not measured) into null: turn it back.
    const saved = JSON.parse(readFileSync(values.from, 'utf8'), (_key, value: unknown) => (value === null ? Number.NaN : value)) as BenchResults;
    notes.push(...saved.notes);
    await writeReport({ ...saved, notes });
    return;
  }
  log(`ws4ts benchmarks (${quick ? 'quick' : 'full'}), Node ${process.version}; ${pinned ? 'servers on CPU 0, load generator on CPU 1' : 'no CPU pinning'}`);
  await transpile();
  const baseline = values.baseline !== undefined ? await transpileBaseline(values.baseline, 'bench/servers/ws4ts-serve.ts') : undefined;
  if (baseline !== undefined) {
    const commit = spawnSync('git', ['rev-parse', '--short', values.baseline!], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    notes.push(`Baseline: \`ws4ts-baseline\` (echo, hooks shape) and \`ws4ts-serve-baseline\` (capacity) run commit ${commit} (\`--baseline ${values.baseline}\`) in the same interleaved rounds; ÷ baseline is this tree over that one.`);
  }
  const noBun = bunSkipped();
  if (noBun !== undefined) {
    notes.push(noBun);
    log(noBun);
  }
  const results: { -readonly [K in keyof BenchResults]: BenchResults[K] } = {
    date: new Date().toISOString(),
    quick,
    seconds: 0,
    pinned,
    notes,
  };
  if (only.has('parse')) {
    const parse = await parseSection();
    if (parse) results.parse = parse;
  }
  let loadgen: Child | undefined;
  try {
    if (only.has('echo') || only.has('fanout') || only.has('capacity')) {
      loadgen = await startChild({ name: 'loadgen', script: compiled('bench/loadgen.ts'), ...(pinned ? { cpu: 1 } : {}) });
    }
    const common = { quick, loadgen: loadgen!, log, ...(serverCpu !== undefined ? { serverCpu } : {}), ...(baseline !== undefined ? { baseline } : {}) };
    const echoOptions = {
      ...common,
      ...(values.rounds !== undefined ? { rounds: Number(values.rounds) } : {}),
      ...(values.targets !== undefined ? { only: values.targets.split(',') } : {}),
      ...(values.sizes !== undefined ? { sizes: values.sizes.split(',').map(Number) } : {}),
    };
    if (only.has('echo')) {
      log('\n── echo ──');
      results.echo = await runEcho(echoOptions);
    }
    if (only.has('fanout')) {
      log('\n── fan-out ──');
      results.fanout = await runFanout(common);
    }
    if (only.has('capacity')) {
      log('\n── capacity ──');
      results.capacity = await runCapacity(common);
    }
  } finally {
    await loadgen?.stop();
  }
  if (only.has('deflate')) {
    const deflate = await deflateSection();
    if (deflate !== undefined) results.deflate = deflate;
  }
  if (only.has('micro')) {
    const micro = await microSection();
    if (micro !== undefined) results.micro = micro;
  }
  results.seconds = (performance.now() - started) / 1000;
  results.load = [loadAtStart, loadavg()[0]!];
  if (loadAtStart > 1) {
    notes.push(
      `Other work was running on this ${cpus().length}-CPU machine (load average ${loadAtStart.toFixed(1)} at start, ${results.load[1].toFixed(1)} at the end): absolute figures are depressed and noisy; ratios, taken from interleaved rounds, suffer less.`,
    );
  }

  writeFileSync(join(ROOT, '.bench-tmp', quick ? 'results-quick.json' : 'results.json'), JSON.stringify(results, null, 2));
  await writeReport(results);
  log(`done in ${Math.round(results.seconds)} s`);
}

try {
  await main();
} finally {
  cleanTranspiled();
}
