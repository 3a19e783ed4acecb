import test from 'ava';
import { Duplex } from 'node:stream';
import { SocketTransport } from '../../src/transport/socket.js';
import type { TransportSink } from '../../src/transport/transport.js';
import { runHandler } from '../../src/handler.js';
import { EchoWebSocket, WebSocket, startWebSocket } from '../../src/websocket.js';
import { delay, tcp, until, within, netServer, PATIENCE } from '../helpers/loopback.js';

/** A sink that records what the transport reports. */
function recorder(): TransportSink & { data: Buffer[]; events: string[] } {
  const data: Buffer[] = [];
  const events: string[] = [];
  return {
    data,
    events,
    onData: (chunk) => void data.push(Buffer.from(chunk)),
    onEnd: () => void events.push('end'),
    onDrain: () => void events.push('drain'),
    onClose: (error) => void events.push(error ? `close ${error.message}` : 'close'),
  };
}

/** A Duplex that records how it was written to (write vs writev) and can be fed. */
function probe(highWaterMark = 16 * 1024): Duplex & { writes: Buffer[]; writevs: Buffer[][]; hold: boolean; release: () => void } {
  const pending: (() => void)[] = [];
  const stream = new Duplex({
    highWaterMark,
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      stream.writes.push(chunk);
      if (stream.hold) pending.push(callback);
      else callback();
    },
    writev(chunks, callback) {
      stream.writevs.push(chunks.map((c) => c.chunk as Buffer));
      if (stream.hold) pending.push(callback);
      else callback();
    },
  }) as Duplex & { writes: Buffer[]; writevs: Buffer[][]; hold: boolean; release: () => void };
  stream.writes = [];
  stream.writevs = [];
  stream.hold = false;
  stream.release = () => {
    stream.hold = false;
    for (const callback of pending.splice(0)) callback();
  };
  return stream;
}

test('a batch of small buffers is joined into one write', (t) => {
  const stream = probe();
  const transport = new SocketTransport(stream);
  transport.attach(recorder());
  transport.write([Buffer.from('ab'), Buffer.from('cd'), Buffer.from('ef')]);
  t.is(stream.writes.length, 1);
  t.is(stream.writevs.length, 0);
  t.is(stream.writes[0]!.toString(), 'abcdef');
  transport.write([Buffer.from('single')]);
  t.is(stream.writes.length, 2);
});

test('a large batch goes out under cork as a single writev', (t) => {
  const stream = probe();
  const transport = new SocketTransport(stream);
  transport.attach(recorder());
  const big = Buffer.alloc(100 * 1024, 1);
  transport.write([Buffer.from([0x82, 0x7f]), big, Buffer.from('tail')]);
  t.is(stream.writevs.length, 1);
  t.is(stream.writevs[0]!.length, 3);
  t.is(stream.writevs[0]![1], big, 'the payload is not copied');
});

test('write reports the high-water mark, writableLength counts unflushed bytes and onDrain follows', async (t) => {
  const stream = probe(1024);
  stream.hold = true;
  const transport = new SocketTransport(stream);
  const sink = recorder();
  transport.attach(sink);
  t.true(transport.write([Buffer.alloc(100)]));
  t.false(transport.write([Buffer.alloc(2000)]));
  t.true(transport.writableLength >= 2000);
  stream.release();
  await until(() => sink.events.includes('drain'), PATIENCE);
  t.is(transport.writableLength, 0);
});

test('pause and resume control the flow of data to the sink', async (t) => {
  const stream = probe();
  const transport = new SocketTransport(stream);
  const sink = recorder();
  transport.attach(sink);
  stream.push(Buffer.from('one'));
  await delay(5);
  t.is(sink.data.length, 1);
  transport.pause();
  stream.push(Buffer.from('two'));
  await delay(20);
  t.is(sink.data.length, 1, 'no data while paused');
  transport.resume();
  await until(() => sink.data.length === 2, PATIENCE);
  t.is(Buffer.concat(sink.data).toString(), 'onetwo');
});

test('attach starts the flow of a stream that was paused before', async (t) => {
  const stream = probe();
  stream.pause();
  stream.push(Buffer.from('early'));
  const transport = new SocketTransport(stream);
  const sink = recorder();
  transport.attach(sink);
  await until(() => sink.data.length === 1, PATIENCE, 'data from a stream paused before attach');
  t.is(sink.data[0]!.toString(), 'early');
});

test('end, then close are reported once; an error is passed to onClose', async (t) => {
  const stream = probe();
  const transport = new SocketTransport(stream);
  const sink = recorder();
  transport.attach(sink);
  stream.push(null);
  await until(() => sink.events.includes('end'), PATIENCE);
  stream.destroy(new Error('reset'));
  await until(() => sink.events.some((e) => e.startsWith('close')), PATIENCE);
  await delay(10);
  t.deepEqual(sink.events, ['end', 'close reset']);
});

test('attaching to a stream already destroyed reports the close once', async (t) => {
  const stream = probe();
  const transport = new SocketTransport(stream);
  stream.destroy();
  await delay(5);
  const sink = recorder();
  transport.attach(sink);
  await delay(10);
  t.deepEqual(sink.events, ['close']);
});

test('writes after end or destroy are ignored and end() is idempotent', (t) => {
  const stream = probe();
  const transport = new SocketTransport(stream);
  transport.attach(recorder());
  transport.end();
  transport.end();
  t.true(transport.write([Buffer.from('late')]));
  t.is(stream.writes.length, 0);
  transport.destroy();
  t.true(transport.write([Buffer.from('later')]));
});

test('remoteAddress comes from a net socket and setNoDelay is turned on', async (t) => {
  const accepted: import('node:net').Socket[] = [];
  const { port } = await netServer(t, (socket) => accepted.push(socket));
  const socket = await tcp(t, port);
  let noDelay: boolean | undefined;
  const original = socket.setNoDelay.bind(socket);
  socket.setNoDelay = (value?: boolean) => {
    noDelay = value;
    return original(value);
  };
  const transport = new SocketTransport(socket);
  t.is(transport.remoteAddress, '127.0.0.1');
  t.true(noDelay);
  t.is(new SocketTransport(probe()).remoteAddress, undefined);
});

/** Two in-memory Duplex streams wired to each other, like a socket pair. */
function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const make = (other: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        other().push(chunk);
        callback();
      },
      final(callback) {
        other().push(null);
        callback();
      },
      destroy(error, callback) {
        // Like a TCP reset: the other side goes down too.
        setImmediate(() => other().destroy());
        callback(error);
      },
    });
  sides.push(make(() => sides[1]!), make(() => sides[0]!));
  return [sides[0]!, sides[1]!];
}

test('a WebSocket runs over any Duplex stream, not only sockets', async (t) => {
  const [a, b] = duplexPair();
  const server = runHandler(EchoWebSocket, { transport: new SocketTransport(a), role: 'server' });
  const client = new WebSocket({ transport: new SocketTransport(b), role: 'client' });
  startWebSocket(client);
  t.teardown(() => {
    server.terminate();
    client.terminate();
  });
  client.send('over a duplex');
  t.deepEqual(await within(client.receive(), PATIENCE), { type: 'text', data: 'over a duplex' });
  const data = new Uint8Array(300_000).fill(5);
  client.send(data);
  t.is(((await within(client.receive(), PATIENCE)).data as Uint8Array).length, data.length);
  t.deepEqual(await within(client.close(1000, 'bye'), PATIENCE), { code: 1000, reason: 'bye', wasClean: true });
  t.deepEqual(await within(server.finished, PATIENCE), { code: 1000, reason: 'bye', wasClean: true });
});

test('destroying one side of a Duplex pair is an abnormal close (1006) for the other', async (t) => {
  const [a, b] = duplexPair();
  const server = runHandler(EchoWebSocket, { transport: new SocketTransport(a), role: 'server' });
  const client = new WebSocket({ transport: new SocketTransport(b), role: 'client' });
  startWebSocket(client);
  client.terminate();
  t.deepEqual(await within(server.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });
});

test('many small messages sent in one tick leave in a single write', async (t) => {
  const stream = probe();
  const ws = new WebSocket({ transport: new SocketTransport(stream), role: 'server' });
  startWebSocket(ws);
  for (let i = 0; i < 100; i++) ws.send(`message ${i}`);
  t.is(stream.writes.length + stream.writevs.length, 0, 'nothing is written before the tick ends');
  await new Promise((resolve) => setImmediate(resolve));
  t.is(stream.writes.length + stream.writevs.length, 1);
  t.is(stream.writes[0]!.length, 100 * 2 + [...Array(100).keys()].reduce((sum, i) => sum + `message ${i}`.length, 0));
  ws.terminate();
});

test('written: true once a plain net socket took every byte synchronously; false while a write is pending, and for any other stream', async (t) => {
  const accepted: import('node:net').Socket[] = [];
  const { port } = await netServer(t, (socket) => {
    socket.pause(); // a peer that does not read: the kernel buffers fill
    accepted.push(socket);
  });
  const socket = await tcp(t, port);
  const transport = new SocketTransport(socket);
  transport.attach(recorder());
  t.true(transport.written, 'nothing written yet');
  transport.write([Buffer.alloc(100, 1)]);
  t.true(transport.written, 'a small write to a reading kernel completes at once');
  let writes = 0;
  while (transport.written && writes++ < 10_000) transport.write([Buffer.alloc(64 * 1024, 2)]);
  t.false(transport.written, 'once the kernel buffers are full, a write stays pending');
  t.true(transport.writableLength > 0);
  const duplex = new SocketTransport(probe());
  duplex.write([Buffer.alloc(10)]);
  t.false(duplex.written, 'a Duplex may keep what it was given: never reported written');
});

test('frames reused from the output slab arrive intact: bursts of distinct messages to a peer that reads in fits and starts', async (t) => {
  // The server echoes; the client sends bursts and pauses its socket now and then, so some
  // of the server's writes complete at once (slab bytes reused) and some stay pending (kept).
  const { port } = await netServer(t, (socket) => {
    runHandler(EchoWebSocket, { transport: new SocketTransport(socket), role: 'server' });
  });
  const socket = await tcp(t, port);
  const client = new WebSocket({ transport: new SocketTransport(socket), role: 'client' });
  startWebSocket(client);
  t.teardown(() => client.terminate());
  const sizes = [3, 40, 125, 126, 300, 1024, 4000, 4096, 5000, 70_000];
  const expected: string[] = [];
  let n = 0;
  for (let burst = 0; burst < 60; burst++) {
    for (let i = 0; i < 40; i++, n++) {
      const size = sizes[n % sizes.length]!;
      const data = new Uint8Array(size);
      for (let j = 0; j < size; j++) data[j] = (n * 31 + j) & 0xff;
      client.send(data);
      expected.push(`${size}:${data[0]}:${data[size - 1]}`);
    }
    if (burst % 7 === 3) {
      socket.pause();
      await delay(20);
      socket.resume();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const got: string[] = [];
  let mismatch: string | undefined;
  for (let k = 0; k < expected.length; k++) {
    const message = await within(client.receive(), PATIENCE, `message ${k}`);
    const data = message.data as Uint8Array;
    for (let j = 0; j < data.length && mismatch === undefined; j++) if (data[j] !== ((k * 31 + j) & 0xff)) mismatch = `message ${k} byte ${j}`;
    got.push(`${data.length}:${data[0]}:${data[data.length - 1]}`);
  }
  t.is(mismatch, undefined);
  t.deepEqual(got, expected);
});
