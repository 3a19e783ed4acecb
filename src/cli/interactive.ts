/**
 * `ws4ts connect` on a terminal: readline with line editing and history;
 * received messages are printed above the prompt. Commands:
 * `/ping [text]`, `/close [code [reason]]`, `/binary DATA`, `/help`, `/quit`.
 *
 * @module
 */
import { createInterface } from 'node:readline';
import { decodeBinary, describeClose, Link, normalClose } from './link.js';
import { show, type ConnectPlan } from './connect.js';

const HELP = `commands:
  /ping [text]             ping the server and show the round-trip time
  /close [code [reason]]   close the connection (default 1000) and exit
  /binary DATA             send DATA (hex, or base64 with --binary base64) as a binary message
  /help                    this list
  /quit                    close with 1000 and exit
anything else is sent as a text message (start it with // to send a leading /)`;

/** Run the interactive client; resolves with the exit status. */
export function runInteractive(plan: ConnectPlan): Promise<number> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true, historySize: 500, prompt: '> ' });
    const print = (text: string): void => {
      process.stdout.write(`\r\x1b[2K${text}\n`);
      rl.prompt(true);
    };
    let exitCode = 0;
    const link = new Link(
      { url: plan.url, connect: plan.options, retries: plan.retries },
      {
        message: (message) => print(`< ${show(message, plan.binary)}`),
        opened: (ws) => {
          const details = [ws.protocol && `subprotocol ${ws.protocol}`, ws.extensions && `extensions ${ws.extensions}`].filter(Boolean).join(', ');
          print(`connected to ${plan.url}${details ? ` (${details})` : ''}; /help for commands`);
        },
        failed: (reason, next) => print(next === undefined ? `! cannot connect: ${reason}` : `! ${reason}; retrying in ${next} ms`),
        ended: (outcome, reason) => {
          exitCode = outcome !== undefined && normalClose(outcome) ? 0 : 1;
          process.stdout.write(`\r\x1b[2K* ${outcome ? describeClose(outcome) : reason}\n`);
          rl.close();
        },
      },
    );
    rl.on('close', () => {
      // Ctrl-D, /quit, or the connection ended: close (no-op if closed) and exit once it has.
      link.close(1000);
    });
    rl.on('SIGINT', () => rl.close());
    const finish = setInterval(() => {
      if (link.done) {
        clearInterval(finish);
        resolve(exitCode);
      }
    }, 50);
    rl.on('line', (line) => {
      const ws = link.current;
      const command = /^\/(\w+)\s*(.*)$/.exec(line);
      if (command !== null && !line.startsWith('//')) {
        const [, name, rest = ''] = command;
        if (name === 'help') return print(HELP);
        if (name === 'quit') return rl.close();
        if (ws === undefined) return print('! not connected');
        if (name === 'ping') {
          const started = ws.ping(rest === '' ? undefined : rest);
          started.then(
            (ms) => print(`* pong after ${ms.toFixed(2)} ms`),
            (error: unknown) => print(`! ping failed: ${error instanceof Error ? error.message : String(error)}`),
          );
          return rl.prompt();
        }
        if (name === 'close') {
          const match = /^(\d+)?\s*(.*)$/.exec(rest)!;
          const code = match[1] === undefined ? 1000 : Number(match[1]);
          try {
            link.close(code, match[2] ?? '');
          } catch (error) {
            return print(`! ${error instanceof Error ? error.message : String(error)}`);
          }
          return;
        }
        if (name === 'binary') {
          const bytes = decodeBinary(rest, plan.binary);
          if (bytes === undefined) return print(`! not ${plan.binary}: ${rest}`);
          ws.send(bytes);
          return rl.prompt();
        }
        return print(`! unknown command /${name}: /help lists them`);
      }
      if (ws === undefined) return print('! not connected');
      ws.send(line.startsWith('//') ? line.slice(1) : line);
      rl.prompt();
    });
    void link.run();
    rl.prompt();
  });
}
