import test from 'ava';
import { interval, map, mergeMap, Observable, of, tap, throwError } from 'rxjs';
import { observe, type Handler } from '../src/handler.js';
import { EchoWebSocket, WebSocket } from '../src/websocket.js';
import type { Message } from '../src/protocol/message.js';
import { client, delay, frame, rawClient, serverWith, tcp, until, upgradeRequest, within, wsServer, PATIENCE } from './helpers/loopback.js';

// Handlers that fail report through unhandledError (stderr by default): keep the output quiet.
class Quiet extends WebSocket {
  override unhandledError(): void {}
}
// The function shapes run on a plain WebSocket: record instead of printing, for this file.
const reported: unknown[] = [];
const originalUnhandledError = WebSocket.prototype.unhandledError;
test.before(() => {
  WebSocket.prototype.unhandledError = (error: unknown) => void reported.push(error);
});
test.after.always(() => {
  WebSocket.prototype.unhandledError = originalUnhandledError;
});

const shapes: Record<string, Handler> = {
  'a WebSocket subclass': EchoWebSocket,
  'a coroutine': async (ws: WebSocket) => {
    for await (const message of ws) ws.send(message.data);
  },
  'an observable function of two parameters': (messages$: Observable<Message>, _ws: WebSocket) => messages$.pipe(map((m) => m.data)),
  'observe() around a one-parameter function': observe((messages$) => messages$.pipe(map((m) => m.data))),
  // Handed the WebSocket, whose pipe is messages$.pipe: works without observe().
  'a one-parameter observable function': ((messages$: Observable<Message>) => messages$.pipe(map((m) => m.data))) as unknown as Handler,
};

for (const [name, handler] of Object.entries(shapes)) {
  test(`${name} echoes text and binary`, async (t) => {
    const { url } = await serverWith(t, { handler });
    const ws = await client(t, url);
    ws.send('text');
    t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'text' });
    ws.send(new Uint8Array([1, 2, 3]));
    const reply = await within(ws.receive(), PATIENCE);
    t.is(reply.type, 'binary');
    t.deepEqual([...(reply.data as Uint8Array)], [1, 2, 3]);
    t.deepEqual(await within(ws.close(), PATIENCE), { code: 1000, reason: '', wasClean: true });
  });
}

/** Each failing handler shape, tripped by the message 'boom'. */
const failing: Record<string, Handler> = {
  'a subclass whose receivedMessage throws': class extends Quiet {
    override receivedMessage(message: Message): void {
      if (message.data === 'boom') throw new Error('hook failed');
      this.send(message.data);
    }
  },
  'a subclass whose opened hook throws': class extends Quiet {
    override opened(): void {
      if (this.request?.url === '/?boom') throw new Error('opened failed');
    }
    override receivedMessage(message: Message): void {
      if (message.data === 'boom') throw new Error('hook failed');
      this.send(message.data);
    }
  },
  'a coroutine that rejects': async (ws: WebSocket) => {
    for await (const message of ws) {
      if (message.data === 'boom') throw new Error('coroutine failed');
      ws.send(message.data);
    }
  },
  'a coroutine that throws synchronously': (ws: WebSocket) => {
    if (ws.request?.url === '/?boom') throw new Error('sync failure');
    return (async () => {
      for await (const message of ws) {
        if (message.data === 'boom') throw new Error('later failure');
        ws.send(message.data);
      }
    })();
  },
  'an observable function whose stream errors': (messages$: Observable<Message>, _ws: WebSocket) =>
    messages$.pipe(mergeMap((m) => (m.data === 'boom' ? throwError(() => new Error('stream failed')) : of(m.data)))),
  'an observable function whose map throws': (messages$: Observable<Message>, _ws: WebSocket) =>
    messages$.pipe(
      map((m) => {
        if (m.data === 'boom') throw new Error('map failed');
        return m.data;
      }),
    ),
  'an observable function that throws when called': (messages$: Observable<Message>, ws: WebSocket) => {
    if (ws.request?.url === '/?boom') throw new Error('setup failed');
    return messages$.pipe(
      map((m) => {
        if (m.data === 'boom') throw new Error('map failed');
        return m.data;
      }),
    );
  },
};

for (const [name, handler] of Object.entries(failing)) {
  test(`${name} closes only its own connection with 1011`, async (t) => {
    const { url } = await serverWith(t, { handler });
    const victim = await client(t, url);
    const bystander = await client(t, url);
    victim.send('boom');
    t.is((await within(victim.finished, PATIENCE)).code, 1011);
    bystander.send('still here');
    t.deepEqual(await within(bystander.receive(), PATIENCE), { type: 'text', data: 'still here' });
    // A handler that fails as the connection opens fails only that connection too.
    if (name.includes('opened') || name.includes('synchronously') || name.includes('when called')) {
      const early = await client(t, `${url}/?boom`);
      t.is((await within(early.finished, PATIENCE)).code, 1011);
    }
    bystander.send('again');
    t.deepEqual(await within(bystander.receive(), PATIENCE), { type: 'text', data: 'again' });
  });
}

test('unhandledError receives the error a hook threw', async (t) => {
  const errors: unknown[] = [];
  class Failing extends WebSocket {
    override receivedMessage(): void {
      throw new Error('bad hook');
    }
    override unhandledError(error: unknown): void {
      errors.push(error);
    }
  }
  const { url } = await serverWith(t, { handler: Failing });
  const ws = await client(t, url);
  ws.send('x');
  t.is((await within(ws.finished, PATIENCE)).code, 1011);
  t.is(errors.length, 1);
  t.is((errors[0] as Error).message, 'bad hook');
});

test('a coroutine that returns closes its connection with 1000', async (t) => {
  const { url } = await serverWith(t, {
    handler: async (ws: WebSocket) => {
      const first = await ws.receive();
      ws.send(`bye ${String(first.data)}`);
    },
  });
  const ws = await client(t, url);
  ws.send('you');
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'bye you' });
  t.deepEqual(await within(ws.finished, PATIENCE), { code: 1000, reason: '', wasClean: true });
});

test('an observable handler that completes closes with 1000 after sending what it emitted', async (t) => {
  const { url } = await serverWith(t, { handler: observe(() => of('one', new Uint8Array([2]), { type: 'text', data: 'three' } as Message)) });
  const ws = await client(t, url);
  const seen: unknown[] = [];
  for await (const message of ws) seen.push(typeof message.data === 'string' ? message.data : [...message.data]);
  t.deepEqual(seen, ['one', [2], 'three']);
  t.deepEqual(await ws.finished, { code: 1000, reason: '', wasClean: true });
});

test('an observable handler returning nothing leaves the connection to the handler', async (t) => {
  const { url } = await serverWith(t, {
    handler: (messages$: Observable<Message>, ws: WebSocket) => {
      messages$.subscribe((m) => ws.send(`got ${String(m.data)}`));
    },
  });
  const ws = await client(t, url);
  ws.send('x');
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'got x' });
});

test('the output of an observable handler is unsubscribed when its connection closes', async (t) => {
  let ticks = 0;
  const { url, accepted } = await serverWith(t, {
    handler: observe(() =>
      interval(5).pipe(
        tap(() => ticks++),
        map((n) => String(n)),
      ),
    ),
  });
  const ws = await client(t, url);
  await within(ws.receive(), PATIENCE);
  const server = await accepted.next();
  await ws.close();
  await within(server.finished, PATIENCE);
  await delay(20);
  const after = ticks;
  await delay(100);
  t.is(ticks, after, 'the interval kept running after the close');
});

test('every server accepts all three shapes side by side on one http server', async (t) => {
  const listening = await wsServer(t, {
    '/hooks': EchoWebSocket,
    '/loop': shapes['a coroutine']!,
    '/observable': shapes['an observable function of two parameters']!,
  });
  for (const path of ['/hooks', '/loop', '/observable']) {
    const ws = await client(t, `${listening.url}${path}`);
    ws.send(path);
    t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: path });
  }
});

test('an echo that loses the race with the peer close is not reported as a handler error', async (t) => {
  const echoes: Record<string, Handler> = {
    '/hooks': class extends EchoWebSocket {
      override unhandledError(error: unknown): void {
        reported.push(error);
      }
    },
    '/loop': shapes['a coroutine']!,
    '/observable': shapes['an observable function of two parameters']!,
  };
  const { url } = await wsServer(t, echoes);
  for (const path of Object.keys(echoes)) {
    for (let i = 0; i < 5; i++) {
      const ws = await client(t, `${url}${path}`);
      // Messages and the close frame leave in one write: the echoes find the connection closing.
      ws.send('a');
      ws.send('b');
      t.deepEqual(await within(ws.close(), PATIENCE), { code: 1000, reason: '', wasClean: true }, path);
    }
  }
  await delay(50);
  t.deepEqual(
    reported.filter((error) => (error as { code?: string }).code === 'WS_ERR_CLOSED'),
    [],
  );
});

test('a peer protocol error coming out of for-await or messages$ is not reported as a handler error', async (t) => {
  const { port } = await wsServer(t, {
    '/loop': shapes['a coroutine']!,
    '/observable': shapes['an observable function of two parameters']!,
  });
  for (const path of ['/loop', '/observable']) {
    const peer = await rawClient(t, port, path);
    peer.socket.write(frame(1, 'not masked', { mask: false }));
    const close = await peer.frames.waitFor((f) => f.opcode === 8);
    t.is(close.payload.readUInt16BE(0), 1002, path);
    await peer.frames.waitEnd();
  }
  await delay(50);
  t.deepEqual(
    reported.filter((error) => (error as { code?: string }).code === 'WS_ERR_UNMASKED_FRAME'),
    [],
  );
});

// A client may send its first frames in the same packet as the upgrade
// request: they reach the server as `head` and are parsed when the
// connection starts. Whatever the handler sets up synchronously must see them.
const earlyShapes: Record<string, Handler> = {
  'an onmessage attribute': (ws: WebSocket) => {
    ws.onmessage = (event) => void ws.send(event.data as string);
  },
  "a 'message' listener": (ws: WebSocket) => {
    ws.addEventListener('message', (event) => void ws.send((event as MessageEvent).data as string));
  },
  'a messages$ subscription': (ws: WebSocket) => {
    ws.messages$.subscribe((message) => void ws.send(message.data));
  },
  'a coroutine': async (ws: WebSocket) => {
    for await (const message of ws) ws.send(message.data);
  },
  'a WebSocket subclass': EchoWebSocket,
};
for (const [name, handler] of Object.entries(earlyShapes)) {
  test(`${name} sees a frame sent in the same packet as the upgrade request`, async (t) => {
    const { port } = await serverWith(t, { handler });
    const socket = await tcp(t, port);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => void (received = Buffer.concat([received, chunk])));
    socket.write(Buffer.concat([Buffer.from(upgradeRequest().text), frame(1, 'early bird')]));
    // The echo is an unmasked text frame: 0x81, length, payload.
    const echo = Buffer.concat([Buffer.of(0x81, 10), Buffer.from('early bird')]);
    await within(until(() => received.includes(echo)), PATIENCE, 'the echo');
    t.true(received.includes(echo), 'the early frame came back as an unmasked text frame');
  });
}
