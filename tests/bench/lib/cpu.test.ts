import test from 'ava';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { processCpuSeconds, waitIdle } from '../../../bench/lib/cpu.js';

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

test('waitIdle returns after one window where it cannot read the CPU time, waits while a process is busy, and returns once it is idle', async (t) => {
  t.true((await waitIdle(undefined, { windowMs: 20 })) < 1000);
  if (!existsSync('/proc/self/stat')) return;
  // A worker spins until terminated: this process stays busy, so the wait runs to its cap.
  const spinner = new Worker('for (;;) {}', { eval: true });
  await new Promise((resolve) => spinner.once('online', resolve));
  const capped = await waitIdle(process.pid, { windowMs: 50, threshold: 0.02, maxMs: 300 });
  await spinner.terminate();
  t.true(capped >= 300, `returned after ${capped} ms while busy`);
  // Idle again: it returns well before a long cap.
  const idle = await waitIdle(process.pid, { windowMs: 50, threshold: 0.5, maxMs: 5000 });
  t.true(idle < 5000, `waited ${idle} ms while idle`);
});
