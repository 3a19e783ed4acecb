/**
 * The command line itself (src/cli/main.ts, src/cli/args.ts): help on every
 * command, one-line errors with the synopsis and exit status 2, never a stack trace.
 */
import test from 'ava';
import { ensureBuilt, run } from '../helpers/cli.js';

test.before(ensureBuilt);

const STACK = /\n\s+at /;

for (const args of [['--help'], ['-h'], ['help'], ['serve', '--help'], ['connect', '--help'], ['help', 'connect']]) {
  test.serial(`ws4ts ${args.join(' ')} prints usage and exits 0`, async (t) => {
    const { code, stdout, stderr } = await run(t, args);
    t.is(code, 0);
    t.regex(stdout, /^Usage: ws4ts/);
    t.is(stderr, '');
    if (args.includes('connect')) t.regex(stdout, /--execute[\s\S]*--wait[\s\S]*--retry/);
    else if (args.includes('serve')) t.regex(stdout, /--port[\s\S]*--shape[\s\S]*--static[\s\S]*--tls-cert/);
    else t.regex(stdout, /serve[\s\S]*connect URL/);
  });
}

const bad: [string[], RegExp][] = [
  [['--port', 'abc'], /--port must be a whole number, not "abc"/],
  [['serve', '-p', '70000'], /--port must be between 0 and 65535, not 70000/],
  [['serve', '--port'], /--port <value>' argument missing/],
  [['serve', '--bogus'], /Unknown option '--bogus'/],
  [['--shape', 'nope'], /unknown --shape nope: use hooks, loop or observable/],
  [['serve', 'ws://127.0.0.1:1/'], /did you mean: ws4ts connect/],
  [['frobnicate'], /unknown command "frobnicate"/],
  [['connect'], /connect needs a URL/],
  [['connect', 'ftp://example.com/'], /unsupported scheme ftp:/],
  [['connect', 'ws://127.0.0.1:1/', '--binary', 'octal'], /unknown --binary octal: use hex or base64/],
  [['connect', 'ws://127.0.0.1:1/', '-H', 'no colon here'], /--header "no colon here": use "Name: value"/],
  [['connect', 'ws://127.0.0.1:1/', '--wait', '-1'], /Option '--wait' argument is ambiguous/],
  [['connect', 'ws://127.0.0.1:1/', '--wait=-1'], /--wait must be a whole number, not "-1"/],
  [['connect', 'ws://127.0.0.1:1/', '-s', 'a b'], /--subprotocol "a b" is not a token/],
  [['connect', 'ws://127.0.0.1:1/#frag'], /no #fragment/],
];
for (const [args, message] of bad) {
  test.serial(`ws4ts ${args.join(' ')} fails with one line, the synopsis and status 2`, async (t) => {
    const { code, stdout, stderr } = await run(t, args);
    t.is(code, 2);
    t.is(stdout, '');
    const lines = stderr.trimEnd().split('\n');
    t.regex(lines[0]!, /^ws4ts: /);
    t.regex(lines[0]!, message);
    t.regex(lines[1]!, /^Usage: ws4ts/);
    t.regex(lines[2]!, /^Run 'ws4ts .*--help' for the options\.$/);
    t.is(lines.length, 3);
    t.notRegex(stderr, STACK);
  });
}

test.serial('connecting to a closed port exits 1 with a one-line reason', async (t) => {
  const { code, stdout, stderr } = await run(t, ['connect', 'ws://127.0.0.1:1/']);
  t.is(code, 1);
  t.is(stdout, '');
  t.regex(stderr, /^ws4ts: cannot connect to ws:\/\/127\.0\.0\.1:1\/: connection failed: connect ECONNREFUSED/);
  t.is(stderr.trimEnd().split('\n').length, 1);
});

test.serial('a server whose port is taken says so in one line', async (t) => {
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const { code, stderr } = await run(t, ['serve', '--port', String(port)]);
  t.is(code, 2);
  t.regex(stderr, new RegExp(`^ws4ts: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
  t.notRegex(stderr, STACK);
});
