import test from 'ava';
import { loadWs, parseCases, runParseBench } from '../../bench/parse.js';

test('the two copies of ws load with the pure-JS and the bufferutil unmask', (t) => {
  t.is(loadWs(true).unmask, 'js');
  t.is(loadWs(false).unmask, 'bufferutil');
});

test('the cases cover 16 B to 1 MiB in three kinds plus fragmented messages', (t) => {
  const cases = parseCases();
  t.is(cases.length, 14);
  t.true(cases.some((c) => c.fragment > 0 && c.kind === 'binary'));
});

test('a tiny run measures every target and reports ratios (no timing is asserted)', async (t) => {
  const results = await runParseBench({ rounds: 1, sampleMs: 1, filter: 'ascii 16 B' });
  t.is(results.length, 1);
  t.deepEqual(
    results[0]!.targets.map((r) => r.target),
    ['ours', 'ws-js', 'ws-native', 'ws-js+str', 'ws-native+str'],
  );
  t.true(Number.isFinite(results[0]!.vsWsJs) && Number.isFinite(results[0]!.vsWsNative));
});
