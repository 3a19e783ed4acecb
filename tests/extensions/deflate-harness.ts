/**
 * Test harness for permessage-deflate: negotiate a client and a server
 * extension through the real header grammar, wire them into two sans-I/O
 * Connections, and move bytes between them (cut at chosen points) until the
 * expected events arrived, however asynchronous the transforms are.
 *
 * @module
 */
import { Connection, type ConnectionEvent } from '../../src/protocol/connection.js';
import { parseExtensions, serializeExtensions } from '../../src/protocol/headers.js';
import type { Extension } from '../../src/protocol/extension.js';
import { permessageDeflate, type DeflateOptions } from '../../src/extensions/permessage-deflate.js';

/** Client and server extensions agreed by a full offer → response → complete round, via header text. */
export function negotiate(clientOptions: DeflateOptions = {}, serverOptions: DeflateOptions = {}): { client: Extension; server: Extension; response: string } {
  const clientFactory = permessageDeflate(clientOptions);
  const offers = parseExtensions(serializeExtensions(clientFactory.offer()));
  const accepted = permessageDeflate(serverOptions).accept(offers);
  if (accepted === undefined) throw new Error('the server declined the offer');
  const response = serializeExtensions([accepted.response]);
  const client = clientFactory.complete(parseExtensions(response)[0]!);
  return { client, server: accepted.extension, response };
}

/** Where to cut a byte stream: random cut points, or a chunk size (capped at 2,000 chunks). */
export type Cut = { readonly kind: 'whole' } | { readonly kind: 'size'; readonly size: number } | { readonly kind: 'cuts'; readonly cuts: readonly number[] };

/** Cut `bytes` into fresh copies (the parser unmasks in place). */
export function cut(bytes: Uint8Array, spec: Cut): Uint8Array[] {
  const length = bytes.length;
  let points: number[] = [];
  if (spec.kind === 'size') {
    const size = Math.max(spec.size, Math.ceil(length / 2000));
    for (let at = size; at < length; at += size) points.push(at);
  } else if (spec.kind === 'cuts' && length > 0) {
    points = [...new Set(spec.cuts.map((c) => c % length))].filter((c) => c > 0).sort((a, b) => a - b);
  }
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.slice(start, point));
    start = point;
  }
  chunks.push(bytes.slice(start));
  return chunks;
}

/** Two connections joined by the harness. */
export interface Pair {
  readonly client: Connection;
  readonly server: Connection;
  /** Events received so far by each side. */
  readonly clientEvents: ConnectionEvent[];
  readonly serverEvents: ConnectionEvent[];
  /**
   * Move bytes both ways (cut as `spec` says) until `done()` holds or either
   * side reports an error event; reject after `ms`.
   */
  run(done: () => boolean, spec?: Cut, ms?: number): Promise<void>;
  /** Dispose both extensions. */
  dispose(): void;
}

/** Join a client and a server Connection carrying the given extensions. */
export function pair(clientExtension: Extension, serverExtension: Extension, options: { maxPayload?: number } = {}): Pair {
  let wake: (() => void) | undefined;
  const onAsyncReady = (): void => wake?.();
  let seed = 0x2545f491;
  const client = new Connection({
    role: 'client',
    extensions: [clientExtension],
    onAsyncReady,
    maskKey: () => (seed = (Math.imul(seed, 1103515245) + 12345) | 0),
    ...options,
  });
  const server = new Connection({ role: 'server', extensions: [serverExtension], onAsyncReady, ...options });
  const clientEvents: ConnectionEvent[] = [];
  const serverEvents: ConnectionEvent[] = [];
  const step = (spec: Cut): void => {
    for (let moved = true; moved; ) {
      moved = false;
      for (const [from, to] of [
        [client, server],
        [server, client],
      ] as const) {
        const bytes = from.bytesToSend();
        if (bytes.length === 0) continue;
        moved = true;
        for (const chunk of cut(Buffer.concat(bytes), spec)) to.receive(chunk);
      }
      for (let e = server.nextEvent(); e !== undefined; e = server.nextEvent()) serverEvents.push(e);
      for (let e = client.nextEvent(); e !== undefined; e = client.nextEvent()) clientEvents.push(e);
    }
  };
  const failed = (): boolean => [...clientEvents, ...serverEvents].some((e) => e.type === 'error');
  return {
    client,
    server,
    clientEvents,
    serverEvents,
    run(done, spec = { kind: 'whole' }, ms = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          wake = undefined;
          reject(new Error(`exchange did not finish within ${ms} ms (client ${clientEvents.length} events, server ${serverEvents.length})`));
        }, ms);
        wake = () => {
          try {
            step(spec);
          } catch (error) {
            clearTimeout(timer);
            wake = undefined;
            reject(error);
            return;
          }
          if (done() || failed()) {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
        };
        wake();
      });
    },
    dispose() {
      clientExtension.dispose();
      serverExtension.dispose();
    },
  };
}

/** True when `event` is the message `expected` (text for strings, binary for bytes). */
export function sameMessage(event: ConnectionEvent | undefined, expected: string | Uint8Array): boolean {
  if (event === undefined) return false;
  if (typeof expected === 'string') return event.type === 'text' && event.data === expected;
  return event.type === 'binary' && Buffer.from(event.data).equals(Buffer.from(expected));
}
