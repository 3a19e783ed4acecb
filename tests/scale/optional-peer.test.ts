/**
 * `redis` is an optional peer dependency: `import 'ws4ts'` never loads it
 * (a process where it cannot be resolved serves and broadcasts as usual), and
 * only `ws4ts/redis` needs it. Checked on the built package in a child
 * process whose module hooks make `redis` and `@redis/*` unresolvable and log
 * every attempt.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === 'redis' || specifier.startsWith('@redis/')) {
    process.stderr.write('tried to load ' + specifier + '\\n');
    const error = new Error('Cannot find package ' + specifier);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;

const script = (body: string): string => `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));
${body}`;

function run(body: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script(body)], { cwd: root, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('importing ws4ts does not load redis; serve and the manager work without it', (t) => {
  t.true(existsSync(`${root}dist/index.js`), 'dist/ is built (npm test builds it first)');
  const result = run(`
    const { serve, WebSocketManager, connect } = await import('./dist/index.js');
    const manager = new WebSocketManager();
    const server = serve({ port: 0, host: '127.0.0.1', manager, handler: async (ws) => { await manager.subscribe(ws, 'room'); manager.publish('room', 'hi'); for await (const m of ws) {} } });
    await server.listening;
    const ws = await connect('ws://127.0.0.1:' + server.address().port + '/');
    for await (const message of ws) { console.log('got', message.data); break; }
    ws.terminate();
    await server.close({ timeout: 100 });
  `);
  t.is(result.status, 0, result.stderr);
  t.regex(result.stdout, /got hi/);
  t.notRegex(result.stderr, /tried to load/, 'nothing asked for redis');
});

test('ws4ts/redis is the one module that needs redis', (t) => {
  t.true(existsSync(`${root}dist/scale/index.js`), 'dist/ is built');
  const result = run(`await import('./dist/scale/index.js');`);
  t.not(result.status, 0);
  // Node 24 runs loader hooks off-thread, so the hook's own stderr line may not show; the error it throws does.
  t.regex(result.stderr, /tried to load redis|Cannot find package redis/);
});
