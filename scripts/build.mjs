// Builds dist/ from the same sources twice:
//   dist/*.js        ESM (one output file per source file, so deep imports
//                    such as `ws4ts/protocol` keep working), types in dist/types
//   dist/cjs/*.js    CommonJS, same layout; dist/cjs/package.json says
//                    `"type": "commonjs"` so Node (and TypeScript) read the
//                    `.js` files there, and the copied declarations in
//                    dist/cjs/types, as CommonJS. Relative `require('./x.js')`
//                    calls then stay inside dist/cjs, so `require('ws4ts')`
//                    never reaches an ES module (which Node 20 cannot require).
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');
const dist = join(root, 'dist');

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

rmSync(dist, { recursive: true, force: true });
const common = {
  entryPoints: walk(src),
  outbase: src,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
};
await Promise.all([
  build({ ...common, outdir: dist, format: 'esm' }),
  // The CLI is an ES module program (top-level await), never required: the
  // CommonJS build leaves it out.
  build({
    ...common,
    entryPoints: common.entryPoints.filter((path) => path !== join(src, 'cli.ts') && !path.startsWith(join(src, 'cli') + '/')),
    outdir: join(dist, 'cjs'),
    format: 'cjs',
    // src/lazy.ts falls back to __filename where import.meta.url is empty (CJS).
    logOverride: { 'empty-import-meta': 'silent' },
  }),
]);
mkdirSync(join(dist, 'cjs'), { recursive: true });
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), '--emitDeclarationOnly'], {
  stdio: 'inherit',
});
// The same declarations, read as CommonJS ones under dist/cjs/package.json.
cpSync(join(dist, 'types'), join(dist, 'cjs', 'types'), { recursive: true });
