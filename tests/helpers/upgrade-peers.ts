/**
 * Clients for the framework integration tests: what a real `ws` client sees
 * when a server refuses its upgrade (ws's `'unexpected-response'`), and a
 * raw client that sends its first frame in the same write as the upgrade
 * request.
 *
 * @module
 */
import type { ExecutionContext } from 'ava';
import WS, { type ClientOptions } from 'ws';
import { FrameReader, PATIENCE, accept, frame, tcp, upgradeRequest, within } from './loopback.js';

/** A refused handshake as the client saw it. */
export interface Refusal {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Try to open `url`; resolve with the HTTP answer that was not a 101 (reject if it opens). */
export async function wsRefusal(t: ExecutionContext, url: string, options: ClientOptions = {}): Promise<Refusal> {
  const ws = new WS(url, options);
  ws.on('error', () => {});
  t.teardown(() => ws.terminate());
  return within(
    new Promise<Refusal>((resolve, reject) => {
      ws.once('open', () => reject(new Error(`${url} opened; a refusal was expected`)));
      ws.once('unexpected-response', (request, response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() });
          request.destroy();
        });
      });
    }),
    PATIENCE,
    `refusal from ${url}`,
  );
}

/**
 * Send an upgrade request for `path` and a masked text frame in one write,
 * so the frame travels as the upgrade's "head" bytes. Resolves with the
 * status line's code and a reader of the frames that follow.
 */
export async function upgradeWithEarlyFrame(t: ExecutionContext, port: number, path: string, text: string): Promise<{ status: number; frames: FrameReader }> {
  const socket = await tcp(t, port);
  const { text: request, key } = upgradeRequest(path);
  let buffered = Buffer.alloc(0);
  const answered = new Promise<{ status: number; frames: FrameReader }>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const head = buffered.subarray(0, end).toString('latin1');
      const status = Number(head.split(' ')[1]);
      if (status === 101 && !head.includes(accept(key))) reject(new Error('wrong Sec-WebSocket-Accept'));
      const frames = new FrameReader(socket);
      if (buffered.length > end + 4) frames.push(buffered.subarray(end + 4));
      resolve({ status, frames });
    };
    socket.on('data', onData);
  });
  socket.write(Buffer.concat([Buffer.from(request), frame(0x1, text)]));
  return within(answered, PATIENCE, 'upgrade answer');
}
