/**
 * Runs the type tests: `tsc -p tests/types` over files of inline handlers and
 * option objects (tests/types/*.ts), under `--strict`. They pass when every
 * inline handler is typed without annotations and every `@ts-expect-error`
 * marks a real type error. Also `tsc -p tsconfig.test.json`: the tests and
 * benchmarks themselves, which ava runs through a transpiler that checks no type.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const project = fileURLToPath(new URL('.', import.meta.url));

function runTsc(tsconfig: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', tsconfig, '--pretty', 'false'], { timeout: 280_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: `${stdout}${stderr}` });
    });
  });
}

test('inline handlers in every server shape type-check under --strict, and wrong ones do not', async (t) => {
  t.timeout(300_000); // a whole tsc program: minutes on a loaded machine
  const { code, output } = await runTsc(project);
  t.is(output.trim(), '', 'tsc reports no error');
  t.is(code, 0);
});

test('the tests and benchmarks type-check with the sources (tsconfig.test.json): ava runs them untyped', async (t) => {
  t.timeout(300_000);
  const { code, output } = await runTsc(fileURLToPath(new URL('../../tsconfig.test.json', import.meta.url)));
  t.is(output.trim(), '', 'tsc reports no error');
  t.is(code, 0);
});
