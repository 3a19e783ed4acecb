// Compare two V8 heap snapshots (e.g. a benchmark server before and after N
// idle connections) and print what the second holds more of, by object kind
// and constructor name, divided by N: the heap cost of one connection.
//
//   node scripts/heap-summary.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [--per N] [--top 30]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { per: { type: 'string', default: '1' }, top: { type: 'string', default: '30' } },
  allowPositionals: true,
});
if (positionals.length !== 2) {
  console.error('usage: node scripts/heap-summary.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [--per N] [--top 30]');
  process.exit(2);
}

function summarise(path) {
  const snapshot = JSON.parse(readFileSync(path, 'utf8'));
  const meta = snapshot.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const nodes = snapshot.nodes;
  const strings = snapshot.strings;
  const byKey = new Map();
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + typeAt]];
    let name = strings[nodes[i + nameAt]];
    // Strings and code are named by their content: group them by type only.
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'code' || type === 'number') name = '';
    if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}\t${name}`;
    const entry = byKey.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += nodes[i + sizeAt];
    byKey.set(key, entry);
  }
  return byKey;
}

const before = summarise(positionals[0]);
const after = summarise(positionals[1]);
const per = Number(values.per);
const rows = [];
let total = 0;
for (const [key, a] of after) {
  const b = before.get(key) ?? { count: 0, size: 0 };
  const size = (a.size - b.size) / per;
  const count = (a.count - b.count) / per;
  total += size;
  if (Math.abs(size) >= 1) rows.push({ key, size, count });
}
rows.sort((x, y) => y.size - x.size);
console.log(`heap self size added per unit (÷ ${per}): ${total.toFixed(0)} bytes\n`);
console.log('bytes/unit  objects/unit  type  name');
for (const r of rows.slice(0, Number(values.top))) {
  const [type, name] = r.key.split('\t');
  console.log(`${r.size.toFixed(1).padStart(10)}  ${r.count.toFixed(2).padStart(12)}  ${type}  ${name}`);
}
