import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanTranspiled, OUT, transpileBaseline } from '../../../bench/lib/procs.js';

test.after.always(() => cleanTranspiled());

test('transpileBaseline builds a commit\'s echo server from git, next to this run\'s output', async (t) => {
  const script = await transpileBaseline('HEAD', 'bench/servers/ws4ts-serve.ts');
  t.true(script.startsWith(OUT));
  t.true(existsSync(script));
  // The server imports the library from the same (baseline) tree, not from this one.
  t.true(readFileSync(script, 'utf8').includes('../../src/index.js'));
  t.true(existsSync(join(script, '..', '..', '..', 'src', 'index.js')), 'the baseline tree has its own src/');
});

test('transpileBaseline names the ref it cannot read', async (t) => {
  await t.throwsAsync(transpileBaseline('no-such-ref-ws4ts', 'bench/servers/ws4ts-serve.ts'), { message: /git archive no-such-ref-ws4ts/ });
});
