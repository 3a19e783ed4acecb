// Summarise a V8 .cpuprofile (from `node --cpu-prof`): self time per
// function (name, file:line), as percentages of all samples, plus the
// inclusive ("total") time of the same functions.
//
//   node scripts/cpuprofile-summary.mjs PROFILE.cpuprofile [--top 25] [--filter TEXT]
//
// --filter keeps only call stacks that pass through a function whose name or
// file contains TEXT (e.g. `feed` to drop setup and refill time) and gives
// percentages of those samples.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' }, filter: { type: 'string' } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error('usage: node scripts/cpuprofile-summary.mjs PROFILE.cpuprofile [--top N] [--filter TEXT]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (n) => {
  const f = n.callFrame;
  const file = f.url ? f.url.replace(/^.*\/(node_modules\/|src\/|bench\/|lib\/)/, '$1') : '';
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
};

// Sample counts per leaf node id.
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);

const filter = values.filter;
const passes = (id) => {
  if (filter === undefined) return true;
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const n = nodes.get(at);
    if (label(n).includes(filter)) return true;
  }
  return false;
};

const self = new Map();
const total = new Map();
let all = 0;
for (const [id, count] of hits) {
  if (!passes(id)) continue;
  all += count;
  const leaf = label(nodes.get(id));
  self.set(leaf, (self.get(leaf) ?? 0) + count);
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const name = label(nodes.get(at));
    if (seen.has(name)) continue;
    seen.add(name);
    total.set(name, (total.get(name) ?? 0) + count);
  }
}
const top = Number(values.top);
const pct = (n) => `${((100 * n) / all).toFixed(1).padStart(5)}%`;
console.log(`${all} samples${filter ? ` under "${filter}"` : ''}\n\nself time:`);
for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(count)}  ${pct(total.get(name))} total  ${name}`);
}
