/**
 * The `ws4ts` command: `serve` (the default) and `connect`. A wrong command
 * line prints one line and the usage on stderr and exits with status 2;
 * nothing here ever ends in a stack trace.
 *
 * @module
 */
import { UsageError } from './args.js';
import { CONNECT_USAGE, runConnect } from './connect.js';
import { runServe, SERVE_USAGE } from './serve.js';

export const USAGE = `Usage: ws4ts <command> [options]

Commands:
  serve              the demo server: a page at /, WebSockets at /echo and /chat,
                     an echo on every other path (the default command)
  connect URL        a WebSocket client: interactive on a terminal, piped otherwise

Run ws4ts <command> --help for its options. Examples:
  ws4ts serve --port 9000
  printf 'one\\ntwo\\n' | ws4ts connect ws://127.0.0.1:9000/`;

const USAGES: Readonly<Record<string, string>> = { ws4ts: USAGE, serve: SERVE_USAGE, connect: CONNECT_USAGE };

/** Run the command line; resolves with an exit status, or undefined for a server that keeps running. */
export async function main(argv: readonly string[]): Promise<number | undefined> {
  const [first, ...rest] = argv;
  try {
    if (first === 'connect') return await runConnect(rest);
    if (first === 'serve') {
      await runServe(rest);
      return rest.includes('--help') || rest.includes('-h') ? 0 : undefined;
    }
    if (first === 'help' || first === '--help' || first === '-h') {
      const topic = rest[0];
      console.log(topic !== undefined && topic in USAGES ? USAGES[topic] : USAGE);
      return 0;
    }
    if (first === '--version' || first === '-v') {
      console.log(await version());
      return 0;
    }
    // `ws4ts ws://host/` connects; `ws4ts [--port N …]` serves, as before subcommands.
    if (first !== undefined && /^wss?:\/\//i.test(first)) return await runConnect(argv);
    if (first === undefined || first.startsWith('-')) {
      await runServe(argv);
      return argv.includes('--help') || argv.includes('-h') ? 0 : undefined;
    }
    throw new UsageError(`unknown command ${JSON.stringify(first)}: use serve or connect`, 'ws4ts');
  } catch (error) {
    if (error instanceof UsageError) {
      // One line saying what is wrong, then the synopsis and where the rest is.
      const synopsis = (USAGES[error.command] ?? USAGE).split('\n')[0];
      const more = error.command === 'ws4ts' ? 'ws4ts --help' : `ws4ts ${error.command} --help`;
      process.stderr.write(`ws4ts: ${error.message}\n${synopsis}\nRun '${more}' for the options.\n`);
      return 2;
    }
    process.stderr.write(`ws4ts: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return `ws4ts ${pkg.version ?? '?'}`;
  } catch {
    return 'ws4ts';
  }
}
