/**
 * Http2StreamTransport: the Duplex contract over one HTTP/2 stream, and the
 * places where it differs (reset with CANCEL, address from the session).
 */
import test from 'ava';
import { once } from 'node:events';
import { connect as http2Connect, constants, createServer, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Http2StreamTransport } from '../../src/transport/http2-stream.js';
import type { TransportSink } from '../../src/transport/transport.js';
import { until, within, PATIENCE, Queue } from '../helpers/loopback.js';

async function pair(t: import('ava').ExecutionContext) {
  const streams = new Queue<ServerHttp2Stream>();
  const server = createServer();
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    streams.push(stream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const session = http2Connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  session.on('error', () => {});
  t.teardown(() => {
    session.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const client = session.request({ ':path': '/' }, { endStream: false });
  client.on('error', () => {});
  await once(client, 'response');
  return { client, server: await streams.next(), session };
}

function recorder() {
  const events: string[] = [];
  const data: Buffer[] = [];
  const closed = new Queue<Error | undefined>();
  const sink: TransportSink = {
    onData: (chunk) => void data.push(Buffer.from(chunk)),
    onEnd: () => void events.push('end'),
    onDrain: () => void events.push('drain'),
    onClose: (error) => closed.push(error),
  };
  return { sink, events, data, closed };
}

test('bytes both ways, END_STREAM as end(), remoteAddress from the session', async (t) => {
  const { client, server } = await pair(t);
  const transport = new Http2StreamTransport(server);
  const r = recorder();
  transport.attach(r.sink);
  t.is(transport.remoteAddress, '127.0.0.1');
  const got: Buffer[] = [];
  client.on('data', (chunk: Buffer) => got.push(chunk));
  const clientEnded = new Promise<void>((resolve) => client.once('end', resolve));
  client.end('hello');
  await until(() => r.events.includes('end'), PATIENCE, 'the peer END_STREAM');
  t.true(transport.write([Buffer.from('a'), Buffer.from('b')]));
  transport.end();
  t.is(await within(r.closed.next(), PATIENCE), undefined);
  await within(clientEnded, PATIENCE);
  t.is(Buffer.concat(r.data).toString(), 'hello');
  t.is(Buffer.concat(got).toString(), 'ab');
  t.is(client.rstCode, constants.NGHTTP2_NO_ERROR);
});

test('end() with the peer\'s side still open: our END_STREAM, then RST_STREAM(NO_ERROR) so the stream does not linger', async (t) => {
  const { client, server, session } = await pair(t);
  const transport = new Http2StreamTransport(server);
  const r = recorder();
  transport.attach(r.sink);
  const got: Buffer[] = [];
  client.on('data', (chunk: Buffer) => got.push(chunk));
  const closed = new Promise<void>((resolve) => client.once('close', resolve));
  transport.write([Buffer.from('last words')]);
  transport.end();
  await within(closed, PATIENCE, 'the client stream to close without ending its side');
  t.is(Buffer.concat(got).toString(), 'last words', 'everything written before end() arrived');
  t.is(client.rstCode, constants.NGHTTP2_NO_ERROR);
  t.is(await within(r.closed.next(), PATIENCE), undefined);
  t.false(session.closed);
});

test('destroy() resets the stream with CANCEL (RFC 8441 §6), leaving the session open', async (t) => {
  const { client, server, session } = await pair(t);
  const transport = new Http2StreamTransport(server);
  const r = recorder();
  transport.attach(r.sink);
  const closed = new Promise((resolve) => client.once('close', resolve));
  transport.destroy();
  await within(closed, PATIENCE);
  t.is(client.rstCode, constants.NGHTTP2_CANCEL);
  await within(r.closed.next(), PATIENCE);
  t.false(session.closed);
  transport.destroy(); // idempotent
});

test('pause() stops reading this stream (flow control holds the peer), resume() continues', async (t) => {
  const { client, server } = await pair(t);
  const transport = new Http2StreamTransport(server);
  const r = recorder();
  transport.attach(r.sink);
  transport.pause();
  const total = 512 * 1024;
  client.write(Buffer.alloc(total, 1));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const received = (): number => r.data.reduce((n, b) => n + b.length, 0);
  t.is(received(), 0, 'nothing delivered while paused');
  // The stream window (64 KiB by default) is not reopened while paused: the rest waits at the sender.
  t.true(client.writableLength > total / 2, `client still holds ${client.writableLength} bytes`);
  transport.resume();
  client.end();
  await within(new Promise<void>((resolve) => server.once('end', resolve)), PATIENCE);
  t.is(received(), total);
  transport.destroy();
});
