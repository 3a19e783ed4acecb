/**
 * `ws4ts connect` in piped mode (src/cli/connect.ts, src/cli/link.ts), run
 * as a child process against a real peer: the `ws` library's server.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import WS, { WebSocketServer } from 'ws';
import { spawn } from 'node:child_process';
import { cli, ensureBuilt, run } from '../helpers/cli.js';
import { until, within } from '../helpers/loopback.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';

test.before(ensureBuilt);

interface Peer {
  readonly url: string;
  readonly port: number;
  readonly requests: IncomingMessage[];
  readonly closes: { code: number; reason: string }[];
}

/** A `ws` echo server; `onConnection` may replace the echo. */
async function wsPeer(t: ExecutionContext, onConnection?: (socket: WS, request: IncomingMessage) => void, port = 0): Promise<Peer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: true, handleProtocols: (protocols) => [...protocols][0] ?? false });
  await once(server, 'listening');
  t.teardown(() => {
    for (const client of server.clients) client.terminate();
    server.close();
  });
  const requests: IncomingMessage[] = [];
  const closes: { code: number; reason: string }[] = [];
  server.on('connection', (socket, request) => {
    requests.push(request);
    socket.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
    if (onConnection) onConnection(socket, request);
    else socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  const actual = (server.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${actual}/`, port: actual, requests, closes };
}

test('each stdin line is a message, each reply a line; EOF closes with 1000 and exits 0', async (t) => {
  const peer = await wsPeer(t);
  const { code, stdout, stderr } = await run(t, ['connect', peer.url], 'one\ntwo\n');
  t.is(stderr, '');
  t.is(stdout, 'one\ntwo\n');
  t.is(code, 0);
  t.deepEqual(peer.closes, [{ code: 1000, reason: '' }]);
});

test('a last line without a newline, CRLF input, empty lines and UTF-8 survive', async (t) => {
  const peer = await wsPeer(t);
  const { code, stdout } = await run(t, ['connect', peer.url], 'héllo ✓\r\n\r\nlast');
  t.is(code, 0);
  t.is(stdout, 'héllo ✓\n\nlast\n');
});

test('--wait keeps reading after EOF until replies stop', async (t) => {
  // Replies come 300 ms late: a 0 wait misses them, the default 1000 ms does not.
  const peer = await wsPeer(t, (socket) => socket.on('message', (data) => setTimeout(() => socket.send(data.toString()), 300)));
  const late = await run(t, ['connect', peer.url], 'slow\n');
  t.is(late.stdout, 'slow\n');
  t.is(late.code, 0);
  const eager = await run(t, ['connect', '--wait', '0', peer.url], 'slow\n');
  t.is(eager.stdout, '');
  t.is(eager.code, 0);
});

test('-x sends each message, prints the replies and exits (stdin ignored)', async (t) => {
  const peer = await wsPeer(t);
  const { code, stdout } = await run(t, ['connect', '-x', 'first', '--execute', 'second', peer.url], 'not sent\n');
  t.is(code, 0);
  t.is(stdout, 'first\nsecond\n');
});

test('--binary hex and base64: input lines are decoded and sent as binary, binary replies encoded', async (t) => {
  const received: { binary: boolean; bytes: number[] }[] = [];
  const peer = await wsPeer(t, (socket) =>
    socket.on('message', (data: Buffer, isBinary) => {
      received.push({ binary: isBinary, bytes: [...data] });
      socket.send(data, { binary: true });
    }),
  );
  const hex = await run(t, ['connect', '--binary', 'hex', peer.url], '00ff10\nnot hex\n');
  t.is(hex.code, 0);
  t.is(hex.stdout, '00ff10\n');
  t.regex(hex.stderr, /^ws4ts: not hex, not sent: not hex\n$/);
  const b64 = await run(t, ['connect', '--binary', 'base64', peer.url], 'AP8Q\n');
  t.is(b64.stdout, 'AP8Q\n');
  t.deepEqual(received, [
    { binary: true, bytes: [0, 255, 16] },
    { binary: true, bytes: [0, 255, 16] },
  ]);
});

test('binary messages from the server print as hex by default', async (t) => {
  const peer = await wsPeer(t, (socket) => socket.send(Buffer.from([1, 2, 254])));
  const { stdout, code } = await run(t, ['connect', peer.url]);
  t.is(stdout, '0102fe\n');
  t.is(code, 0);
});

test('-H, -s and -o reach the server; --no-deflate offers no extension', async (t) => {
  const peer = await wsPeer(t);
  const { code } = await run(t, ['connect', '-H', 'Authorization: Bearer abc', '-H', 'X-Trace:1', '-s', 'chat', '-s', 'superchat', '-o', 'https://example.test', '--no-deflate', peer.url], 'x\n');
  t.is(code, 0);
  const headers = peer.requests[0]!.headers;
  t.is(headers.authorization, 'Bearer abc');
  t.is(headers['x-trace'], '1');
  t.is(headers['sec-websocket-protocol'], 'chat, superchat');
  t.is(headers.origin, 'https://example.test');
  t.is(headers['sec-websocket-extensions'], undefined);
  await run(t, ['connect', peer.url], 'y\n');
  t.regex(String(peer.requests[1]!.headers['sec-websocket-extensions']), /permessage-deflate/);
});

test('a server that closes with an error code: exit 1 and the reason on one line', async (t) => {
  const peer = await wsPeer(t, (socket) => socket.on('message', () => socket.close(4001, 'go away')));
  const { code, stdout, stderr } = await run(t, ['connect', peer.url], 'hi\nmore\n');
  t.is(code, 1);
  t.is(stdout, '');
  t.is(stderr, 'ws4ts: closed with 4001 "go away"\n');
});

test('a server that closes normally while input remains: exit 0', async (t) => {
  const peer = await wsPeer(t, (socket) => socket.on('message', () => socket.close(1000)));
  const { code, stderr } = await run(t, ['connect', peer.url], 'a\nb\nc\n');
  t.is(code, 0);
  t.is(stderr, '');
});

test('a dropped connection (no close frame): exit 1 with 1006', async (t) => {
  const peer = await wsPeer(t, (socket) => socket.on('message', () => socket.terminate()));
  const { code, stderr } = await run(t, ['connect', peer.url], 'a\n');
  t.is(code, 1);
  t.is(stderr, 'ws4ts: connection lost without a close frame (1006)\n');
});

test('a refused handshake: exit 1 with the status', async (t) => {
  const server = createNetServer((socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const refused = await run(t, ['connect', `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`], 'x\n');
  t.is(refused.code, 1);
  t.regex(refused.stderr, /^ws4ts: cannot connect to ws:\/\/127\.0\.0\.1:\d+\/: server refused the WebSocket upgrade: 403\n$/);
});

test('--retry reconnects with backoff until the server is up', async (t) => {
  // Reserve a port, free it, start the client, then the server on that port.
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const child = spawn(process.execPath, [cli, 'connect', '--retry', '--retries', '8', `ws://127.0.0.1:${port}/`], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end('after retry\n');
  const exited = once(child, 'exit');
  await until(() => stderr.includes('retrying'), 15_000, 'a first failed try');
  await wsPeer(t, undefined, port);
  const [code] = (await within(exited, 20_000, 'the client')) as [number];
  t.is(stdout, 'after retry\n');
  t.is(code, 0);
  t.regex(stderr, /ECONNREFUSED 127\.0\.0\.1:\d+; retrying in 250 ms/);
  t.regex(stderr, /connected to ws:\/\/127\.0\.0\.1:\d+\/ after \d+ retr/);
});

test('--retry gives up after --retries tries with one line per try', async (t) => {
  const { code, stderr } = await run(t, ['connect', '--retry', '--retries', '2', 'ws://127.0.0.1:1/'], 'x\n');
  t.is(code, 1);
  const lines = stderr.trimEnd().split('\n');
  t.is(lines.length, 3);
  t.regex(lines[0]!, /retrying in 250 ms$/);
  t.regex(lines[1]!, /retrying in 500 ms$/);
  t.regex(lines[2]!, /^ws4ts: cannot connect to ws:\/\/127\.0\.0\.1:1\/: connection failed/);
});

test('--retry reconnects after a drop; a message sent on the dropped connection is not replayed', async (t) => {
  let connections = 0;
  const peer = await wsPeer(t, (socket) => {
    const n = ++connections;
    socket.on('message', (data) => {
      if (n === 1) socket.terminate();
      else socket.send(`#${n} ${data.toString()}`);
    });
  });
  // The first server drops the connection on the first message; the client
  // reconnects (within --wait) and ends normally on the second connection.
  const { stdout, stderr, code } = await run(t, ['connect', '--retry', '-w', '3000', peer.url], 'first\n', 20_000);
  t.regex(stderr, /connection lost without a close frame \(1006\); retrying in 250 ms/);
  t.true(connections >= 2, 'it reconnected');
  t.is(stdout, '', 'the line sent on the dropped connection is not replayed');
  t.is(code, 0, 'the second connection closes normally at the end of input');
});

test('wss:// with a self-signed certificate: refused by default, accepted with --insecure', async (t) => {
  const https = createHttpsServer({ key: TEST_KEY, cert: TEST_CERT });
  const server = new WebSocketServer({ server: https });
  server.on('connection', (socket) => socket.on('message', (data) => socket.send(data.toString())));
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const client of server.clients) client.terminate();
    https.close();
  });
  const url = `wss://127.0.0.1:${(https.address() as AddressInfo).port}/`;
  const strict = await run(t, ['connect', url], 'x\n');
  t.is(strict.code, 1);
  t.regex(strict.stderr, /self[- ]signed certificate/i);
  const insecure = await run(t, ['connect', '--insecure', url], 'secure\n');
  t.is(insecure.code, 0);
  t.is(insecure.stdout, 'secure\n');
});

test('a bare host:port means ws://, and ws4ts URL is short for ws4ts connect URL', async (t) => {
  const peer = await wsPeer(t);
  const bare = await run(t, ['connect', `127.0.0.1:${peer.port}`], 'bare\n');
  t.is(bare.stdout, 'bare\n');
  const short = await run(t, [peer.url], 'short\n');
  t.is(short.stdout, 'short\n');
  t.is(short.code, 0);
});
