/**
 * The control channel every benchmark server answers on (Node IPC): memory
 * statistics after a full GC, the number of open connections, and paced
 * broadcasts for the fan-out benchmark.
 *
 * @module
 */
import { setImmediate as tick } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';
import { serveIpc } from '../lib/ipc.js';

/** What a server tells its control channel about itself. */
export interface ServerControl {
  /** Open WebSocket (or upgraded raw) connections. */
  connections(): number;
  /** Broadcast modes this server supports, by name. */
  readonly broadcasts?: Readonly<Record<string, (data: Uint8Array) => void>>;
}

/** Memory after GC, as the `stats` command answers. */
export interface ServerStats {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly connections: number;
  /** False when the server runs without `--expose-gc` (figures then include garbage). */
  readonly gc: boolean;
}

/** Arguments of the `broadcast` command. */
export interface BroadcastArgs {
  readonly mode: string;
  readonly size: number;
  /** Broadcasts to make, each in its own macrotask (as if each were triggered by an event). */
  readonly count: number;
}

async function collect(): Promise<boolean> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return false;
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
  return true;
}

/** Serve the control channel for `control`, and tell the parent our port. */
export function startControl(control: ServerControl, port: number): void {
  serveIpc({
    stats: async (): Promise<ServerStats> => {
      const gc = await collect();
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, gc, connections: control.connections() };
    },
    connections: () => control.connections(),
    // For scripts/heap-summary.mjs: where the per-connection heap goes.
    snapshot: async (args: { path: string }) => {
      await collect();
      return writeHeapSnapshot(args.path);
    },
    broadcast: async (args: BroadcastArgs) => {
      const send = control.broadcasts?.[args.mode];
      if (send === undefined) throw new Error(`broadcast mode ${args.mode} not supported`);
      const data = Buffer.alloc(args.size, 0x61);
      for (let i = 0; i < args.count; i++) {
        send(data);
        await tick();
      }
      return control.connections();
    },
  });
  // Exit normally on SIGTERM so that `--cpu-prof` writes its profile.
  process.on('SIGTERM', () => process.exit(0));
  process.send?.({ type: 'listening', port });
  console.log(`listening on port ${port}`);
}
