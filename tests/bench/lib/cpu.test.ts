import test from 'ava';
import { existsSync } from 'node:fs';
import { processCpuSeconds } from '../../../bench/lib/cpu.js';

test('CPU time is read from /proc, and is NaN for an unknown process', (t) => {
  t.true(Number.isNaN(processCpuSeconds(undefined)));
  t.true(Number.isNaN(processCpuSeconds(2 ** 30)));
  if (!existsSync('/proc/self/stat')) {
    t.log('no /proc here');
    return;
  }
  const cpu = processCpuSeconds(process.pid);
  t.true(Number.isFinite(cpu) && cpu >= 0);
});
