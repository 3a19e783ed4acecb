// reconnect(): a fresh connection each time the previous one ends.
// Self-contained: the server drops the first connection; the loop reconnects.
// #region reconnect
import { reconnect, serve } from 'ws4ts';

let connections = 0;
const server = serve({
  port: 0,
  host: '127.0.0.1',
  handler: async (ws) => {
    connections++;
    ws.send(`you are connection ${connections}`);
    if (connections === 1) setTimeout(() => ws.terminate(), 100); // a network blip
    await ws.finished;
  },
});
await server.listening;
const { port } = server.address();

// Short delays for the demo; the defaults are Python websockets' (≤5 s, ×1.618, ≤90 s).
for await (const ws of reconnect(`ws://127.0.0.1:${port}/`, { initialDelay: 100, minDelay: 100, resetAfter: 0 })) {
  const greeting = await ws.receive().catch(() => undefined);
  console.log(greeting?.data);
  if (connections === 2) {
    await ws.close();
    break;
  }
  await ws.finished; // wait for the drop, then the loop reconnects
}
await server.close();
// #endregion reconnect
