/**
 * A real `ws` client for the server tests: opens, records every message and
 * the close code, and is terminated on teardown.
 *
 * @module
 */
import type { ExecutionContext } from 'ava';
import WS, { type ClientOptions } from 'ws';
import { Queue, within } from './loopback.js';

/** A `ws` client with its messages queued and its close recorded. */
export interface WsPeer {
  readonly ws: WS;
  /** Messages as they arrive (text as string, binary as Buffer). */
  readonly messages: Queue<string | Buffer>;
  /** Every message received so far, in order. */
  readonly received: (string | Buffer)[];
  /** Resolves with the close code and reason once the connection is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** Open a `ws` client to `url` (rejects on a refused handshake); terminated on teardown. */
export async function wsPeer(t: ExecutionContext, url: string, options: ClientOptions = {}): Promise<WsPeer> {
  const ws = new WS(url, options);
  t.teardown(() => ws.terminate());
  const messages = new Queue<string | Buffer>();
  const received: (string | Buffer)[] = [];
  ws.on('message', (data, isBinary) => {
    const message = isBinary ? (data as Buffer) : data.toString();
    received.push(message);
    messages.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_request, response) => reject(new Error(`unexpected response ${response.statusCode}`)));
    }),
    5000,
    `opening ${url}`,
  );
  ws.on('error', () => {});
  return { ws, messages, received, closed };
}
