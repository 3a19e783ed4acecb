/**
 * README honesty: every JavaScript or TypeScript block in README.md is the
 * text of a file in examples/, or of a marked region of one
 * (`// #region <name>` … `// #endregion <name>`), so a snippet cannot drift
 * from code that runs: tests/examples.test.ts and tests/web/examples.test.ts
 * run the examples. Blocks are compared with common indentation removed,
 * trailing blanks and nested region markers ignored.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const MARKER = /^\s*\/\/ #(end)?region\b.*$/;

/** Lines without trailing blanks, common indentation or leading/trailing empty lines. */
function normalize(lines: readonly string[]): string {
  const trimmed = lines.filter((line) => !MARKER.test(line)).map((line) => line.trimEnd());
  while (trimmed.length > 0 && trimmed[0] === '') trimmed.shift();
  while (trimmed.length > 0 && trimmed.at(-1) === '') trimmed.pop();
  const indent = Math.min(...trimmed.filter((line) => line !== '').map((line) => line.length - line.trimStart().length));
  return trimmed.map((line) => line.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
}

/** The README's code blocks, with the line each starts on. */
export function readmeBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript|js|javascript|mjs)\s*$/.test(lines[i]!)) continue;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    blocks.push({ line: i + 2, code: normalize(lines.slice(i + 1, end)) });
    i = end;
  }
  return blocks;
}

/** Every whole file and every region of examples/, by name (`file` or `file#region`). */
export function exampleTexts(dir: string): Map<string, string> {
  const texts = new Map<string, string>();
  for (const file of readdirSync(dir).filter((name) => /\.(mjs|cjs|js|ts)$/.test(name))) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    texts.set(file, normalize(lines));
    const open: { name: string; start: number }[] = [];
    lines.forEach((line, index) => {
      const start = /^\s*\/\/ #region\s+(\S+)/.exec(line);
      if (start !== null) open.push({ name: start[1]!, start: index + 1 });
      else if (/^\s*\/\/ #endregion\b/.test(line)) {
        const region = open.pop();
        if (region !== undefined) texts.set(`${file}#${region.name}`, normalize(lines.slice(region.start, index)));
      }
    });
  }
  return texts;
}

test('the region reader finds nested regions and ignores inner markers', (t) => {
  const blocks = readmeBlocks(['text', '```js', '  a();', '    b();', '```', '```sh', 'npm test', '```'].join('\n'));
  t.deepEqual(blocks, [{ line: 3, code: 'a();\n  b();' }]);
  t.is(normalize(['// #region outer', '  x();', '  // #region inner', '  y();', '  // #endregion inner', '// #endregion outer']), 'x();\ny();');
});

test('every JavaScript block in README.md is an example file or a region of one', (t) => {
  const texts = exampleTexts(join(root, 'examples'));
  const known = new Set(texts.values());
  const blocks = readmeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  t.true(blocks.length >= 10, `found ${blocks.length} blocks`);
  const drifted = blocks.filter((block) => !known.has(block.code)).map((block) => `README.md:${block.line}`);
  t.deepEqual(drifted, [], 'blocks that match no example file or region (mark the region in examples/ and copy it)');
});
