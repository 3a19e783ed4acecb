/**
 * Explicit resource management: `await using` closes connections (1000) and
 * servers at the end of the scope. TypeScript lowers `await using` for our
 * ES2022 target; Node 20 has `Symbol.asyncDispose`.
 */
import test from 'ava';
import { connect } from '../../src/client.js';
import { serve } from '../../src/server/serve.js';
import type { WebSocket } from '../../src/websocket.js';

test('await using closes the connection with 1000 and the server at the end of the scope', async (t) => {
  let serverSide: WebSocket | undefined;
  let address: ReturnType<ReturnType<typeof serve>['address']> = null;
  let client: WebSocket | undefined;
  {
    await using server = serve({ port: 0, handler: async (ws: WebSocket) => {
      serverSide = ws;
      await ws.finished;
    } });
    await server.listening;
    address = server.address();
    {
      await using ws = await connect(`ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`);
      client = ws;
      t.is(ws.readyState, 1);
    }
    t.is(client.readyState, 3, 'closed at the end of the inner scope');
    t.like(await client.finished, { code: 1000, wasClean: true });
    t.like(await serverSide!.finished, { code: 1000 });
  }
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await t.throwsAsync(connect(`ws://127.0.0.1:${port}/`, { timeout: 2000 }), undefined, 'the server is closed after its scope');
});
