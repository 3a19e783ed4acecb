// Observability through node:diagnostics_channel: nothing is published, and
// nothing costs, until somebody subscribes. Self-contained: one connection.
// #region diagnostics
import diagnostics from 'node:diagnostics_channel';

diagnostics.subscribe('ws4ts:close', (message) => {
  const { role, code, duration } = Object(message); // channel messages are typed `unknown`
  console.log(`${role} connection closed with ${code} after ${duration} ms`);
});
// Time every handshake: `start`, then `end` (decided at once) or `asyncEnd` (decided later).
const started = new WeakMap();
const decided = (context = Object()) => {
  if (context.outcome === undefined || !started.has(context)) return; // `end` of a handshake still pending
  const ms = performance.now() - started.get(context);
  started.delete(context);
  console.log(`${context.role} handshake ${context.outcome} (${context.status}) in ${ms.toFixed(1)} ms`);
};
diagnostics.tracingChannel('ws4ts:handshake').subscribe({
  start: (context) => started.set(context, performance.now()),
  end: decided,
  asyncStart() {},
  asyncEnd: decided,
  error() {},
});
// #endregion diagnostics

const { serve, connect, EchoWebSocket } = await import('ws4ts');
const server = serve({ port: 0, host: '127.0.0.1', handler: EchoWebSocket });
await server.listening;
const ws = await connect(`ws://127.0.0.1:${server.address().port}/`);
await ws.close(1000);
await server.close();
