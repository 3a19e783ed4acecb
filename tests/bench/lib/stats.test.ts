import test from 'ava';
import { markdownTable, median, percentile, ratio, si, sizeLabel, textTable } from '../../../bench/lib/stats.js';

test('median handles odd and even counts and ignores NaN', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(median([Number.NaN, 5, 1]), 3);
  t.true(Number.isNaN(median([])));
});

test('percentile uses the nearest rank', (t) => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  t.is(percentile(sorted, 50), 50);
  t.is(percentile(sorted, 99), 99);
  t.is(percentile(sorted, 100), 100);
});

test('numbers, ratios and sizes are formatted for tables', (t) => {
  t.is(si(1_234_567), '1.23M');
  t.is(si(999), '999');
  t.is(ratio(1.234), '1.23×');
  t.is(ratio(Number.NaN), '–');
  t.is(sizeLabel(16), '16 B');
  t.is(sizeLabel(65536), '64 KiB');
  t.is(sizeLabel(1 << 20), '1 MiB');
  t.is(markdownTable(['a', 'b'], [['x', '1']]), '| a | b |\n| --- | ---: |\n| x | 1 |');
  t.is(textTable(['a', 'bb'], [['xyz', '1']]).split('\n')[2], 'xyz   1');
});
