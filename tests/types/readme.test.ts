/**
 * Every TypeScript or JavaScript snippet of README.md type-checks under
 * `--strict` when copied into a TypeScript file: each becomes a module of
 * its own (`ws4ts` and its subpaths resolve to src/), with the names the
 * prose introduces declared in readme-globals.d.ts, and `tsc` must report
 * nothing. A failure names the README line.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entryPoints, root } from './entry-points.js';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const here = fileURLToPath(new URL('.', import.meta.url));

interface Snippet {
  readonly line: number; // README line of the first code line
  readonly code: string;
}

function snippets(markdown: string): Snippet[] {
  const found: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(ts|typescript|js|javascript|mjs)\s*$/.exec(lines[i]!);
    if (fence === null) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    found.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return found;
}

/** `ws4ts/x` → its source file, for tsc's `paths`. */
function paths(): Record<string, string[]> {
  return Object.fromEntries(entryPoints().map(({ name, source }) => [name, [source]]));
}

test('every README snippet type-checks under --strict', async (t) => {
  t.timeout(300_000); // a whole tsc program: minutes on a loaded machine
  const found = snippets(readFileSync(join(root, 'README.md'), 'utf8'));
  t.true(found.length >= 10, `found ${found.length} snippets`);
  // Inside the repository, so node_modules (express, rxjs…) resolve as for any source file.
  const dir = mkdtempSync(join(here, '.readme-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  found.forEach((snippet, index) => writeFileSync(join(dir, `snippet-${index}.ts`), `${snippet.code}\nexport {};\n`));
  copyFileSync(join(here, 'readme-globals.d.ts'), join(dir, 'globals.d.ts'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      // What a user's project has: --strict on a Node ESM setup, nothing of ours.
      compilerOptions: {
        noEmit: true,
        strict: true,
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        skipLibCheck: true,
        types: ['node'],
        paths: paths(),
      },
      include: ['*.ts'],
    }),
  );
  writeFileSync(join(dir, 'globals.d.ts'), readFileSync(join(dir, 'globals.d.ts'), 'utf8').replaceAll("'../../src/", `'${relative(dir, join(root, 'src'))}/`));
  const output = await new Promise<string>((resolve) => {
    execFile(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { timeout: 280_000 }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
  // snippet-N.ts(L,C): … → README.md:(line of snippet N + L - 1)
  const located = output.replace(/[^\n]*snippet-(\d+)\.ts\((\d+),(\d+)\)/g, (_m, n: string, l: string, c: string) => `README.md:${found[Number(n)]!.line + Number(l) - 1}:${c}`);
  t.is(located.trim(), '', 'tsc reports nothing');
});
