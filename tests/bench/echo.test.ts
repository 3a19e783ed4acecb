import test from 'ava';
import { ECHO_RATIOS, MAX_IN_FLIGHT, echoMatrix, echoTargets, effectiveWindow } from '../../bench/echo.js';

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

test('targets include every ws4ts handler shape, both ws builds and the raw ceiling', (t) => {
  t.deepEqual(
    echoTargets().map((target) => target.name),
    ['ws4ts-hooks', 'ws4ts-loop', 'ws4ts-observable', 'ws-js', 'ws-native', 'raw-tcp'],
  );
  t.true(ECHO_RATIOS.includes('ws4ts-hooks/raw-tcp'));
});
