/**
 * The Bun peer: `Bun.serve` with its built-in WebSocket server (uWebSockets
 * inside), echoing every message as Bun documents it. Runs under the Bun
 * binary of the dev dependency `@oven/bun-linux-x64`, not under Node, so it
 * cannot use Node's IPC channel: the control commands the other servers
 * answer over IPC (bench/servers/control.ts) are answered here over HTTP on
 * the same port, at `/__control/<cmd>` (JSON in the query string `?args=`,
 * JSON out), which bench/lib/procs.ts's `HttpControl` speaks.
 *
 * Broadcast mode `loop`: `for (const ws of sockets) ws.send(data)`.
 *
 * @module
 */

/** The slice of Bun's API this file uses (Bun's own types are not installed). */
interface BunSocket {
  send(data: string | Uint8Array): number;
}
interface BunServer {
  readonly port: number;
  upgrade(request: Request): boolean;
}
interface BunApi {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: BunServer): Response | Promise<Response> | undefined;
    websocket: {
      open(ws: BunSocket): void;
      message(ws: BunSocket, message: string | Uint8Array): void;
      close(ws: BunSocket): void;
      perMessageDeflate?: boolean;
    };
  }): BunServer;
  gc(force: boolean): void;
}

const Bun = (globalThis as unknown as { Bun: BunApi }).Bun;
const sockets = new Set<BunSocket>();

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function control(cmd: string, args: Record<string, unknown>): Promise<unknown> {
  switch (cmd) {
    case 'stats': {
      for (let i = 0; i < 3; i++) {
        Bun.gc(true);
        await nextTurn();
      }
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers ?? 0, gc: true, connections: sockets.size };
    }
    case 'connections':
      return sockets.size;
    case 'broadcast': {
      if (args['mode'] !== 'loop') throw new Error(`broadcast mode ${String(args['mode'])} not supported`);
      const data = new Uint8Array(Number(args['size'])).fill(0x61);
      for (let i = 0; i < Number(args['count']); i++) {
        for (const ws of sockets) ws.send(data);
        await nextTurn();
      }
      return sockets.size;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(request, server) {
    const url = new URL(request.url);
    if (url.pathname.startsWith('/__control/')) {
      const args = JSON.parse(url.searchParams.get('args') ?? '{}') as Record<string, unknown>;
      return control(url.pathname.slice('/__control/'.length), args).then(
        (result) => Response.json({ ok: true, result }),
        (error: unknown) => Response.json({ ok: false, error: String(error) }),
      );
    }
    if (server.upgrade(request)) return undefined;
    return new Response('WebSocket echo: connect with ws://\n', { status: 426 });
  },
  websocket: {
    // Like the ws peers: no permessage-deflate (the load generator offers none anyway).
    perMessageDeflate: false,
    open(ws) {
      sockets.add(ws);
    },
    message(ws, message) {
      ws.send(message);
    },
    close(ws) {
      sockets.delete(ws);
    },
  },
});

process.on('SIGTERM', () => process.exit(0));
// bench/lib/procs.ts reads the port from this line.
console.log(`bun echo server listening on 127.0.0.1:${server.port}`);
