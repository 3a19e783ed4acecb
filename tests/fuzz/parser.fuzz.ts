/**
 * Fuzz the protocol engine with the three properties of
 * tests/protocol/arbitraries.ts, far longer than the unit tests do:
 *
 * - (a) any split of a valid stream gives the same frames and events;
 * - (b) encodeFrame → parse round-trips;
 * - (c) garbage never escapes `receive()`; it fails with 1002/1007/1009.
 *
 * `npm run fuzz` (`node --import tsx tests/fuzz/parser.fuzz.ts`). Runs in
 * total: env FUZZ_RUNS (default 1,000,000), split evenly over the three.
 * Seed: env FUZZ_SEED (default: random, printed, so a failure can be replayed).
 * Exits with status 1 on the first counterexample, after printing it.
 *
 * @module
 */
import fc from 'fast-check';
import { garbageProperty, roundTripProperty, splitProperty } from '../protocol/arbitraries.js';

const total = Number(process.env.FUZZ_RUNS ?? 1_000_000);
if (!Number.isSafeInteger(total) || total < 3) {
  console.error(`FUZZ_RUNS must be an integer ≥ 3, got ${process.env.FUZZ_RUNS}`);
  process.exit(2);
}
const seed = process.env.FUZZ_SEED === undefined ? (Math.random() * 2 ** 31) | 0 : Number(process.env.FUZZ_SEED);

/** One batch of a property: whether it failed, after how many runs, and fast-check's report. */
type Batch = (numRuns: number, seed: number) => { failed: boolean; numRuns: number; report: string };

function batchOf<Ts>(make: () => fc.IProperty<Ts>): Batch {
  return (numRuns, seed) => {
    const details = fc.check(make(), { numRuns, seed });
    return { failed: details.failed, numRuns: details.numRuns, report: (details.failed && fc.defaultReportMessage(details)) || '' };
  };
}

const properties: [name: string, run: Batch][] = [
  ['(a) any split gives the same frames and events', batchOf(splitProperty)],
  ['(b) encodeFrame → parse round-trips', batchOf(roundTripProperty)],
  ['(c) garbage fails cleanly with 1002/1007/1009', batchOf(garbageProperty)],
];

// Runs per batch: progress is printed after each, and each batch gets its own seed.
const BATCHES = 20;

const started = performance.now();
console.log(`fuzzing the protocol engine: ${total} runs, seed ${seed}`);
let failed = false;
for (const [index, [name, run]] of properties.entries()) {
  const runs = Math.floor(total / properties.length) + (index < total % properties.length ? 1 : 0);
  const perBatch = Math.ceil(runs / BATCHES);
  const propertyStarted = performance.now();
  let done = 0;
  for (let batch = 0; done < runs; batch++) {
    const numRuns = Math.min(perBatch, runs - done);
    const batchSeed = (seed + index * 1_000_003 + batch * 7919) | 0;
    const details = run(numRuns, batchSeed);
    done += numRuns;
    if (details.failed) {
      console.error(`\n✗ ${name}: counterexample after ${done - numRuns + details.numRuns} runs (batch seed ${batchSeed})`);
      console.error(details.report);
      failed = true;
      break;
    }
    const seconds = (performance.now() - propertyStarted) / 1000;
    process.stdout.write(`\r${name}: ${done}/${runs} runs, ${seconds.toFixed(1)} s`);
  }
  if (failed) break;
  process.stdout.write(' ✓\n');
}
const elapsed = (performance.now() - started) / 1000;
console.log(`${failed ? 'FAILED' : 'passed'} in ${elapsed.toFixed(1)} s`);
process.exit(failed ? 1 : 0);
