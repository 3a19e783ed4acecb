/**
 * Request/response over Node's IPC channel between the benchmark
 * orchestrator and its children (servers, load generator).
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';

/** A command sent to a child. */
export interface IpcRequest {
  readonly id: number;
  readonly cmd: string;
  readonly args?: unknown;
}

/** A child's answer to one {@link IpcRequest}. */
export interface IpcResponse {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** Handlers a child registers, by command name. */
export type IpcHandlers = Record<string, (args: never) => unknown>;

/** In a child: answer requests from the parent with `handlers`. */
export function serveIpc(handlers: IpcHandlers): void {
  if (process.send === undefined) return;
  process.on('message', (message: IpcRequest) => {
    if (typeof message !== 'object' || message === null || typeof message.id !== 'number') return;
    const handler = handlers[message.cmd] as ((args: unknown) => unknown) | undefined;
    const reply = (response: IpcResponse) => process.send?.(response);
    if (handler === undefined) {
      reply({ id: message.id, ok: false, error: `unknown command ${message.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (result) => reply({ id: message.id, ok: true, result }),
        (error: unknown) => reply({ id: message.id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  // Leave when the parent goes away, whatever happens to be pending.
  process.on('disconnect', () => process.exit(0));
}

/** In the parent: send requests to one child and await the answers. */
export class IpcClient {
  #child: ChildProcess;
  #next = 1;
  #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (message: IpcResponse) => {
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(message.error));
    });
    child.on('exit', (code, signal) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`child exited (${code ?? signal})`));
      this.#pending.clear();
    });
  }

  /** Send `cmd` and resolve with the child's result (rejects after `timeoutMs`). */
  request<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${cmd}: no answer after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#child.send({ id, cmd, args } satisfies IpcRequest);
    });
  }
}
