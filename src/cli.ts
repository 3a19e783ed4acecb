#!/usr/bin/env node
/**
 * The `ws4ts` binary: `ws4ts serve` (the demo server, also what `npm start`
 * runs) and `ws4ts connect URL` (a client). See src/cli/ and `ws4ts --help`.
 *
 * @module
 */
import { main } from './cli/main.js';

// Whatever goes wrong, one line and a status, not a stack trace (WS4TS_DEBUG=1 shows it).
const fatal = (error: unknown): void => {
  const detail = process.env.WS4TS_DEBUG ? (error instanceof Error ? error.stack : String(error)) : error instanceof Error ? error.message : String(error);
  process.stderr.write(`ws4ts: ${detail}\n`);
  process.exit(1);
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

const status = await main(process.argv.slice(2));
if (status !== undefined) {
  process.exitCode = status;
  // Let stdout drain, then leave (stdin or timers must not hold a finished client).
  process.stdout.write('', () => process.exit(status));
}
