/**
 * The package as users install it: `npm pack` the built tree, unpack it into
 * a throwaway project and load it from child processes — `require()` (a
 * CommonJS project, as `npm init -y` makes), `import` (an ES module project)
 * and `tsc` with `module: nodenext` on a CommonJS project, whose `import`s
 * compile to `require()`. Every subpath in `exports` must load both ways.
 *
 * Needs dist/ (`npm test` builds before ava runs).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'tests', 'fixtures', 'consumers');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { import: { types: string; default: string }; require: { types: string; default: string } }>;
};
const subpaths = Object.keys(manifest.exports).filter((key) => key !== './package.json');

interface Consumer {
  readonly dir: string;
}

let consumer: Promise<Consumer> | undefined;

/** Pack once, unpack into `<tmp>/node_modules/ws4ts`, link the dependencies. */
function packed(): Promise<Consumer> {
  return (consumer ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ws4ts-consumer-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    const modules = join(dir, 'node_modules');
    mkdirSync(join(modules, 'ws4ts'), { recursive: true });
    mkdirSync(join(modules, '@types'), { recursive: true });
    await run('tar', ['-xzf', join(dir, filename), '-C', join(modules, 'ws4ts'), '--strip-components=1']);
    // The runtime dependency and the types a TypeScript user would have.
    symlinkSync(join(root, 'node_modules', 'rxjs'), join(modules, 'rxjs'));
    // The optional peer a user of `ws4ts/redis` installs next to it.
    symlinkSync(join(root, 'node_modules', 'redis'), join(modules, 'redis'));
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(modules, '@types', 'node'));
    return { dir };
  })());
}

test.after.always(async () => {
  if (consumer !== undefined) rmSync((await consumer).dir, { recursive: true, force: true });
});

test('every subpath in exports has import and require conditions, each with types, all packed', async (t) => {
  const { dir } = await packed();
  for (const subpath of subpaths) {
    const entry = manifest.exports[subpath]!;
    t.is(typeof entry, 'object', subpath);
    if (typeof entry === 'string') continue;
    for (const file of [entry.import.types, entry.import.default, entry.require.types, entry.require.default]) {
      t.true(existsSync(join(dir, 'node_modules', 'ws4ts', file)), `${subpath}: ${file} is in the tarball`);
    }
  }
});

test('a CommonJS project require()s every subpath and runs an echo', async (t) => {
  const { dir } = await packed();
  const project = join(dir, 'cjs');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'cjs-consumer', type: 'commonjs' }));
  cpSync(join(fixtures, 'roundtrip.cjs'), join(project, 'index.js'));
  const { stdout } = await run(process.execPath, [join(project, 'index.js'), JSON.stringify(subpaths)], { cwd: project, timeout: 30_000 });
  const result = JSON.parse(stdout) as { format: string; loaded: Record<string, string[]>; reply: string; ok: boolean };
  t.is(result.format, 'object'); // `module` exists: this really ran as CommonJS
  t.is(result.reply, 'from cjs');
  t.true(result.ok);
  for (const subpath of subpaths) t.true(result.loaded[subpath]!.length > 0, `${subpath} exports something`);
  t.true(result.loaded['.']!.includes('connect'));
});

test('an ES module project imports every subpath, with the same names as require()', async (t) => {
  const { dir } = await packed();
  const project = join(dir, 'esm');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'esm-consumer', type: 'module' }));
  cpSync(join(fixtures, 'roundtrip.mjs'), join(project, 'index.js'));
  cpSync(join(fixtures, 'roundtrip.cjs'), join(project, 'index.cjs'));
  const esm = JSON.parse((await run(process.execPath, [join(project, 'index.js'), JSON.stringify(subpaths)], { cwd: project, timeout: 30_000 })).stdout) as {
    format: string;
    loaded: Record<string, string[]>;
    reply: string;
  };
  const cjs = JSON.parse((await run(process.execPath, [join(project, 'index.cjs'), JSON.stringify(subpaths)], { cwd: project, timeout: 30_000 })).stdout) as {
    loaded: Record<string, string[]>;
  };
  t.is(esm.format, 'undefined'); // no `module`: this ran as an ES module
  t.is(esm.reply, 'from esm');
  t.deepEqual(esm.loaded, cjs.loaded);
});

test('tsc with module nodenext compiles a CommonJS TypeScript consumer, which then runs', async (t) => {
  t.timeout(180_000); // tsc is slow on a busy machine
  const { dir } = await packed();
  const project = join(dir, 'nodenext');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'nodenext-consumer' })); // no "type": CommonJS, as `npm init -y`
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: true, types: ['node'], typeRoots: [join(dir, 'node_modules', '@types')], outDir: 'out' },
      files: ['index.ts'],
    }),
  );
  cpSync(join(fixtures, 'nodenext-cjs.ts'), join(project, 'index.ts'));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', project], { cwd: project, timeout: 120_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    t.fail(`tsc failed:\n${stdout}${stderr}`);
    return;
  }
  const emitted = readFileSync(join(project, 'out', 'index.js'), 'utf8');
  t.regex(emitted, /require\("ws4ts"\)/, 'the import compiled to require()');
  const { stdout } = await run(process.execPath, [join(project, 'out', 'index.js')], { cwd: project, timeout: 30_000 });
  const result = JSON.parse(stdout) as { format: string; reply: string; code: number; error: string };
  t.is(result.format, 'object');
  t.is(result.reply, 'from nodenext');
  t.is(result.code, 1000);
  t.is(result.error, 'WS_ERR_CLOSED');
});

test('every module of the ES and CommonJS builds loads on its own, in a fresh process (no import cycle leaves a class in its TDZ)', async (t) => {
  t.timeout(180_000);
  const dist = join(root, 'dist');
  const all = (readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.js') && !f.startsWith('types') && !f.startsWith('cjs/types'));
  const esm = all.filter((f) => !f.startsWith('cjs'));
  t.true(esm.length > 50 && all.length > 2 * 50, `${esm.length} ES modules, ${all.length - esm.length} CommonJS ones`);
  // Only load: a module that starts something (the CLI, the demo) is loaded by a script that exits right after.
  const failures: string[] = [];
  const queue = [...all];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const path = join(dist, file);
      const cjs = file.startsWith('cjs');
      const script = cjs ? `require(${JSON.stringify(path)}); process.exit(0);` : `await import(${JSON.stringify(pathToFileURL(path).href)}); process.exit(0);`;
      try {
        await run(process.execPath, [cjs ? '--input-type=commonjs' : '--input-type=module', '-e', script], { timeout: 30_000 });
      } catch (error) {
        const stderr = String((error as { stderr?: string }).stderr ?? '');
        failures.push(`${file}: ${stderr.split('\n').find((line) => /Error/.test(line)) ?? String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  t.deepEqual(failures, []);
});
