/**
 * src/lazy.ts: RxJS loads on first use. A server whose handlers never
 * observe does not carry it (1.6 MB of heap per process); the first
 * `messages$` loads it, and the Observable it builds works with the RxJS a
 * user imports (same module instance: `isObservable`, operators). Each case
 * runs in a fresh child process on the built package (dist/, ESM and CJS),
 * since the module cache is per process.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

// Starts an echo server with a hooks handler, echoes one message, reports
// whether RxJS was loaded then, then uses messages$ with the user's own RxJS.
const program = (load: string) => `
const { createRequire } = require('node:module');
const cache = createRequire(${JSON.stringify(root)} + '/package.json').cache;
const rxjsLoaded = () => Object.keys(cache).some((key) => /[\\\\/]node_modules[\\\\/]rxjs[\\\\/]/.test(key));
(async () => {
  const { serve, connect, EchoWebSocket } = ${load};
  const afterImport = rxjsLoaded();
  const server = serve({ port: 0, host: '127.0.0.1', handler: EchoWebSocket });
  await server.listening;
  const ws = await connect('ws://127.0.0.1:' + server.address().port + '/');
  ws.send('one');
  const echoed = (await ws.receive()).data;
  const afterEcho = rxjsLoaded();
  const messages$ = ws.messages$;
  const afterObserve = rxjsLoaded();
  const { isObservable, firstValueFrom, map } = require(require.resolve('rxjs', { paths: [${JSON.stringify(root)}] }));
  const next = firstValueFrom(messages$.pipe(map((message) => message.data.toUpperCase())));
  ws.send('two');
  const piped = await next;
  await ws.close();
  await server.close();
  console.log(JSON.stringify({ afterImport, afterEcho, afterObserve, echoed, piped, isObservable: isObservable(messages$) }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

for (const [format, load] of [
  ['ESM', `await import(${JSON.stringify(root + 'dist/index.js')})`],
  ['CJS', `require(${JSON.stringify(root + 'dist/cjs/index.js')})`],
] as const) {
  test(`${format}: a hooks server never loads RxJS; the first messages$ does, and works with the user's RxJS`, async (t) => {
    const { stdout } = await run(process.execPath, ['-e', program(load)], { cwd: root, timeout: 20_000 });
    t.deepEqual(JSON.parse(stdout.trim().split('\n').pop()!), {
      afterImport: false,
      afterEcho: false,
      afterObserve: true,
      echoed: 'one',
      piped: 'TWO',
      isObservable: true,
    });
  });
}
