// `npm start`: build dist/ if it is missing or older than src/, then run the
// echo server (arguments after `--` are passed on: --port, --host, --shape).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
function newest(dir) {
  let time = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    time = Math.max(time, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return time;
}
const built = join(root, 'dist', 'cli.js');
if (!existsSync(built) || statSync(built).mtimeMs < newest(join(root, 'src'))) {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
await import(built);
