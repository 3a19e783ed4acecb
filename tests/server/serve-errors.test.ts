/**
 * serve()'s listen errors surface the Node way: a rejection of `listening`
 * for whoever awaits it, an `'error'` event for listeners, and with neither
 * an uncaught exception (as node:http does), never silence. The
 * uncaught case runs in a child process.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve, EchoWebSocket } from '../../src/index.js';

const serveModule = fileURLToPath(new URL('../../src/server/serve.ts', import.meta.url));

async function occupiedPort(): Promise<{ port: number; blocker: Server }> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  return { port: (blocker.address() as AddressInfo).port, blocker };
}

test('a port in use rejects `listening` for whoever awaits it', async (t) => {
  const { port, blocker } = await occupiedPort();
  try {
    const server = serve({ port, handler: EchoWebSocket });
    const error = await t.throwsAsync(server.listening);
    t.is((error as NodeJS.ErrnoException).code, 'EADDRINUSE');
  } finally {
    blocker.close();
  }
});

test("a port in use is emitted as 'error' to listeners, even when nobody awaits `listening`", async (t) => {
  const { port, blocker } = await occupiedPort();
  try {
    const server = serve({ port, handler: EchoWebSocket });
    const error = await new Promise<Error>((resolve) => server.once('error', resolve));
    t.is((error as NodeJS.ErrnoException).code, 'EADDRINUSE');
  } finally {
    blocker.close();
  }
});

test('with no listener and nobody awaiting, a port in use is an uncaught exception, as with node:http', async (t) => {
  const { port, blocker } = await occupiedPort();
  try {
    const script = `
      const { serve } = await import(${JSON.stringify(serveModule)});
      serve({ port: ${port}, handler: async () => {} });
      setTimeout(() => { console.log('still running'); process.exit(0); }, 5000);
    `;
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 }, (_error, stdout, stderr) =>
        resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
    t.not(result.code, 0);
    t.notRegex(result.stdout, /still running/);
    t.regex(result.stderr, /EADDRINUSE/);
  } finally {
    blocker.close();
  }
});
