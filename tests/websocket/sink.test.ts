/**
 * src/websocket/sink.ts: the transport talks to a Sink, which forwards each
 * event to the WebSocket's symbol-keyed method, never to a public name.
 */
import test from 'ava';
import { Sink, kClose, kData, kDrain, kEnd, type SinkTarget } from '../../src/websocket/sink.js';
import { EchoWebSocket } from '../../src/websocket.js';
import { within, PATIENCE } from '../helpers/loopback.js';
import { memoryPair } from './shared.js';

test('a Sink forwards data, end, drain and close to its target’s symbol-keyed methods, with their arguments, in order', (t) => {
  const calls: unknown[][] = [];
  const target: SinkTarget = {
    [kData]: (chunk) => void calls.push(['data', [...chunk]]),
    [kEnd]: () => void calls.push(['end']),
    [kDrain]: () => void calls.push(['drain']),
    [kClose]: (error) => void calls.push(['close', error?.message]),
  };
  const sink = new Sink(target);
  t.is(sink.ws, target);
  sink.onData(new Uint8Array([1, 2]));
  sink.onDrain();
  sink.onData(new Uint8Array([3]));
  sink.onEnd();
  sink.onClose(new Error('reset'));
  t.deepEqual(calls, [['data', [1, 2]], ['drain'], ['data', [3]], ['end'], ['close', 'reset']]);
});

test('a WebSocket subclass with methods named onData, onEnd and onClose still gets its transport’s events through the sink', async (t) => {
  const called: string[] = [];
  class Shadowing extends EchoWebSocket {
    onData(): void {
      called.push('onData');
    }
    onEnd(): void {
      called.push('onEnd');
    }
    onClose(): void {
      called.push('onClose');
    }
  }
  const { server, client } = memoryPair(t, { server: Shadowing });
  client.send('through the sink');
  t.deepEqual(await within(client.receive(), PATIENCE), { type: 'text', data: 'through the sink' });
  t.deepEqual(await within(client.close(4000, 'done'), PATIENCE), { code: 4000, reason: 'done', wasClean: true });
  t.deepEqual(await within(server.finished, PATIENCE), { code: 4000, reason: 'done', wasClean: true });
  t.deepEqual(called, [], 'the subclass methods are never called by the transport');
});
