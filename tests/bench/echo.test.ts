import test from 'ava';
import { ECHO_RATIOS, MAX_IN_FLIGHT, bunSkipped, echoMatrix, echoTargets, effectiveWindow } from '../../bench/echo.js';

test('the full matrix covers every size, connection count and window issue 5 names', (t) => {
  const cells = echoMatrix(false);
  for (const size of [32, 1024, 64 * 1024, 1024 * 1024]) t.true(cells.some((c) => c.size === size));
  for (const connections of [1, 50, 500]) t.true(cells.some((c) => c.connections === connections));
  for (const window of [1, 32]) t.true(cells.some((c) => c.window === window));
  t.false(cells.some((c) => c.size === 1024 * 1024 && c.connections === 500), '1 MiB × 500 connections is left out');
});

test('windows are capped so that no cell keeps more than the limit in flight, and duplicates are dropped', (t) => {
  for (const cell of echoMatrix(false)) {
    const window = effectiveWindow(cell);
    t.true(window === 1 || cell.size * cell.connections * window <= MAX_IN_FLIGHT);
  }
  const keys = echoMatrix(false).map((c) => `${c.size}/${c.connections}/${effectiveWindow(c)}`);
  t.is(new Set(keys).size, keys.length);
  t.true(echoMatrix(true).length < echoMatrix(false).length);
});

test('targets include every ws4ts handler shape, both ws builds, Bun and the raw ceiling', (t) => {
  const targets = echoTargets('/opt/bun/bin/bun');
  t.deepEqual(
    targets.map((target) => target.name),
    ['ws4ts-hooks', 'ws4ts-loop', 'ws4ts-observable', 'ws-js', 'ws-native', 'bun', 'raw-tcp'],
  );
  t.is(targets.find((target) => target.name === 'bun')?.runtime, '/opt/bun/bin/bun', 'Bun runs under its own binary, not Node');
  t.true(targets.filter((target) => target.name !== 'bun').every((target) => target.runtime === undefined));
  for (const ratio of ['ws4ts-hooks/raw-tcp', 'ws4ts-hooks/bun', 'ws4ts-loop/bun', 'ws4ts-observable/bun', 'bun/raw-tcp']) t.true(ECHO_RATIOS.includes(ratio), ratio);
  t.is(bunSkipped('/opt/bun/bin/bun'), undefined);
});

test('without the Bun binary the Bun target is left out with a note', (t) => {
  t.false(echoTargets(undefined).some((target) => target.name === 'bun'));
  t.regex(bunSkipped(undefined) ?? '', /Bun peer skipped/);
});
