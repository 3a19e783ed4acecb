/**
 * `ws4ts connect URL`: a WebSocket client for the terminal and for scripts.
 *
 * - stdin not a TTY (piped): each input line is a message, each received
 *   message one output line; at the end of input it keeps reading until no
 *   message has arrived for `--wait` ms, then closes with 1000. Exit status 0
 *   on a normal close, 1 with a one-line reason on stderr otherwise.
 * - `-x MSG` (repeatable): send, wait the same way, close, exit.
 * - a TTY: interactive (see interactive.ts).
 *
 * @module
 */
import { createInterface } from 'node:readline';
import type { CloseOutcome, ConnectOptions, Message } from '../index.js';
import { choice, integer, parse, UsageError } from './args.js';
import { decodeBinary, encodeBinary, Link, normalClose, type BinaryFormat, type LinkEvents } from './link.js';
import { runInteractive } from './interactive.js';

export const CONNECT_USAGE = `Usage: ws4ts connect URL [options]

A WebSocket client. On a terminal it is interactive (line editing, history,
/ping, /close [code [reason]], /binary DATA, /help). Otherwise each line of
stdin is sent as a message and each message received is printed as a line;
at the end of input it waits for replies (see --wait), closes with 1000 and
exits 0, or exits 1 with a one-line reason when the connection fails.

Options:
  -H, --header "Name: value"  an extra request header (repeatable)
  -s, --subprotocol NAME      offer a subprotocol (repeatable)
  -o, --origin ORIGIN         the Origin header
      --no-deflate            do not offer permessage-deflate
      --insecure              accept any TLS certificate (wss://)
      --binary hex|base64     input lines are binary in this encoding; binary
                              messages received are shown in it (default hex)
  -x, --execute MSG           send MSG (repeatable), wait for replies, close, exit
  -w, --wait MS               after the last input, close once no message has
                              arrived for MS ms (default 1000; 0: at once)
      --retry                 reconnect after a failed or dropped connection,
                              with a backoff from 250 ms to 5 s
      --retries N             how many times --retry tries again (default 5)
      --timeout MS            opening handshake timeout (default 10000)
  -h, --help                  this help

Example: printf 'one\\ntwo\\n' | ws4ts connect ws://127.0.0.1:9000/`;

const OPTIONS = {
  header: { type: 'string', short: 'H', multiple: true },
  subprotocol: { type: 'string', short: 's', multiple: true },
  origin: { type: 'string', short: 'o' },
  deflate: { type: 'boolean' },
  'no-deflate': { type: 'boolean' },
  insecure: { type: 'boolean' },
  binary: { type: 'string' },
  execute: { type: 'string', short: 'x', multiple: true },
  wait: { type: 'string', short: 'w' },
  retry: { type: 'boolean' },
  retries: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Everything `connect` needs, validated. */
export interface ConnectPlan {
  readonly url: string;
  readonly options: ConnectOptions;
  readonly binary: BinaryFormat;
  readonly binaryInput: boolean;
  readonly execute: readonly string[];
  readonly wait: number;
  readonly retries: number;
}

function headers(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const header of values ?? []) {
    const colon = header.indexOf(':');
    const name = colon > 0 ? header.slice(0, colon).trim() : '';
    if (!TOKEN.test(name)) throw new UsageError(`--header ${JSON.stringify(header)}: use "Name: value"`, 'connect');
    const value = header.slice(colon + 1).trim();
    if (/[\r\n\0]/.test(value)) throw new UsageError(`--header ${name}: the value may not contain line breaks`, 'connect');
    out[name] = value;
  }
  return out;
}

function target(text: string | undefined): string {
  if (text === undefined) throw new UsageError('connect needs a URL, e.g. ws://127.0.0.1:9000/', 'connect');
  // A bare host:port is ws:// to it, like wscat.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `ws://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`not a URL: ${text}`, 'connect');
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) throw new UsageError(`unsupported scheme ${url.protocol} (use ws:// or wss://)`, 'connect');
  if (url.hash) throw new UsageError('a WebSocket URL has no #fragment', 'connect');
  return url.href;
}

/** Validate `argv` into a plan; throws UsageError. */
export function planConnect(argv: readonly string[]): ConnectPlan | 'help' {
  const { values, positionals } = parse('connect', argv, OPTIONS);
  if (values.help) return 'help';
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`, 'connect');
  const url = target(positionals[0]);
  for (const protocol of values.subprotocol ?? []) if (!TOKEN.test(protocol)) throw new UsageError(`--subprotocol ${JSON.stringify(protocol)} is not a token`, 'connect');
  const binaryInput = values.binary !== undefined;
  const binary = choice('connect', 'binary', values.binary, ['hex', 'base64'] as const, 'hex');
  const timeout = integer('connect', 'timeout', values.timeout, 10_000, 1, 600_000);
  const options: ConnectOptions = {
    headers: headers(values.header),
    timeout,
    ...(values.subprotocol ? { protocols: values.subprotocol } : {}),
    ...(values.origin !== undefined ? { origin: values.origin } : {}),
    ...(values['no-deflate'] ? { deflate: false } : {}),
    ...(values.insecure ? { tls: { rejectUnauthorized: false } } : {}),
  };
  return {
    url,
    options,
    binary,
    binaryInput,
    execute: values.execute ?? [],
    wait: integer('connect', 'wait', values.wait, 1000, 0, 3_600_000),
    retries: values.retry ? integer('connect', 'retries', values.retries, 5, 0, 1000) : 0,
  };
}

/** A received message as one output line. */
export function show(message: Message, format: BinaryFormat): string {
  return typeof message.data === 'string' ? message.data : encodeBinary(message.data, format);
}

/** Run `ws4ts connect`; resolves with the exit status. */
export async function runConnect(argv: readonly string[]): Promise<number> {
  const plan = planConnect(argv);
  if (plan === 'help') {
    console.log(CONNECT_USAGE);
    return 0;
  }
  if (plan.execute.length === 0 && process.stdin.isTTY && process.stdout.isTTY) return runInteractive(plan);
  return runPiped(plan);
}

function fail(reason: string): void {
  process.stderr.write(`ws4ts: ${reason}\n`);
}

async function runPiped(plan: ConnectPlan): Promise<number> {
  let lastMessage = Date.now();
  let outcome: CloseOutcome | undefined;
  let endReason = '';
  let link!: Link;
  const ended = new Promise<void>((resolve) => {
    const events: LinkEvents = {
      message(message) {
        lastMessage = Date.now();
        process.stdout.write(`${show(message, plan.binary)}\n`);
      },
      opened(_ws, attempt) {
        if (attempt > 0) fail(`connected to ${plan.url} after ${attempt} ${attempt === 1 ? 'retry' : 'retries'}`);
      },
      failed(reason, next) {
        fail(next === undefined ? `cannot connect to ${plan.url}: ${reason}` : `${reason}; retrying in ${next} ms`);
      },
      ended(closed, reason) {
        outcome = closed;
        endReason = reason;
        resolve();
      },
    };
    link = new Link({ url: plan.url, connect: plan.options, retries: plan.retries }, events);
  });
  process.stdout.on('error', () => link.close(1001, 'output closed')); // EPIPE: the reader is gone
  void link.run();

  const send = async (line: string): Promise<boolean> => {
    const ws = await link.ready();
    if (ws === undefined) return false;
    if (plan.binaryInput) {
      const bytes = decodeBinary(line, plan.binary);
      if (bytes === undefined) {
        fail(`not ${plan.binary}, not sent: ${line.slice(0, 60)}`);
        return true;
      }
      ws.send(bytes);
    } else ws.send(line);
    lastMessage = Date.now();
    if (ws.bufferedAmount > 1 << 20) await ws.drain();
    return true;
  };

  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    link.close(1000);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const input = async (): Promise<void> => {
    if (plan.execute.length > 0) {
      for (const message of plan.execute) if (!(await send(message))) return;
      return;
    }
    if ((await link.ready()) === undefined) return;
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
    for await (const line of lines) {
      if (link.done || interrupted) break;
      if (!(await send(line))) break;
    }
    lines.close();
  };
  await Promise.race([input(), ended]);
  if (!link.done && !interrupted) {
    // End of input: keep reading until replies stop for --wait ms, then close.
    while (!link.done && Date.now() - lastMessage < plan.wait) {
      await Promise.race([new Promise((resolve) => setTimeout(resolve, Math.max(1, plan.wait - (Date.now() - lastMessage)))), ended]);
    }
    link.close(1000);
  }
  await ended;
  process.stdin.destroy();
  if (outcome === undefined) return 1; // never connected: already reported
  if (normalClose(outcome)) return 0;
  fail(endReason);
  return 1;
}
