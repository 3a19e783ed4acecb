import type { Handler } from '../../src/handler.js';
declare function take(h: Handler): void;
take(async (ws) => { for await (const m of ws) ws.send(m.data); });
take((messages$, ws) => { ws.send('x'); return messages$; });
declare function take2(...args: [...((a: string, b: number) => void)[], Handler]): void;
take2((a, b) => {}, async (ws) => { ws.send('x'); });
take2(async (ws) => { ws.send('x'); });
