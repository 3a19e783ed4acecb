import test from 'ava';
import { Shutdown, type ShutdownOwner } from '../../src/server/shutdown.js';
import type { CloseAllOptions } from '../../src/server/manager-options.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import type { WebSocket } from '../../src/websocket.js';
import { delay, within } from '../helpers/loopback.js';

/** A connection stand-in: records close and terminate; leaves the live set when told to (or at once). */
class FakeSocket {
  readonly calls: string[] = [];
  constructor(
    readonly live: Set<FakeSocket>,
    readonly leave: () => void,
    readonly answers = true,
    readonly throws?: unknown,
  ) {
    live.add(this);
  }
  close(code: number, reason: string): Promise<void> {
    this.calls.push(`close ${code} ${reason}`);
    if (this.throws !== undefined) throw this.throws;
    if (this.answers) queueMicrotask(() => this.gone());
    return Promise.resolve();
  }
  terminate(): void {
    this.calls.push('terminate');
    this.gone();
  }
  gone(): void {
    if (this.live.delete(this)) this.leave();
  }
}

/** A Shutdown over a fake live set; the owner forwards to it, recording calls as a manager subclass could see them. */
function setup() {
  const live = new Set<FakeSocket>();
  const owned: string[] = [];
  const owner: ShutdownOwner = {
    closeAll: (code = 1001, reason = '', options: CloseAllOptions = {}) => (owned.push(`closeAll ${code} ${reason}`), shutdown.closeAll(code, reason, options)),
    shutdown: (options = {}) => (owned.push('shutdown'), shutdown.shutdown(options)),
  };
  const shutdown = new Shutdown(owner, live as unknown as ReadonlySet<WebSocket>);
  const socket = (answers = true, throws?: unknown) => new FakeSocket(live, () => shutdown.left(), answers, throws);
  return { live, owned, shutdown, socket };
}

test('closeAll with nothing live resolves at once', async (t) => {
  const { shutdown } = setup();
  t.is(await within(shutdown.closeAll(1001, '', {}), 100, 'closeAll'), undefined);
});

test('closeAll closes every connection with the code and reason and resolves once the last one left', async (t) => {
  const { live, shutdown, socket } = setup();
  const a = socket();
  const b = socket();
  await within(shutdown.closeAll(4000, 'bye', { timeout: 10_000 }), 1000, 'closeAll');
  t.deepEqual(a.calls, ['close 4000 bye']);
  t.deepEqual(b.calls, ['close 4000 bye']);
  t.is(live.size, 0);
});

test('closeAll terminates the connections still there after the timeout', async (t) => {
  const { shutdown, socket } = setup();
  const polite = socket();
  const straggler = socket(false);
  let finished = false;
  const closing = shutdown.closeAll(1001, '', { timeout: 100 }).then(() => (finished = true));
  await delay(30);
  t.false(finished, 'waits for the straggler');
  await within(closing, 2000, 'closeAll');
  t.deepEqual(polite.calls, ['close 1001 ']);
  t.deepEqual(straggler.calls, ['close 1001 ', 'terminate']);
});

test('closeAll rejects a local error (a code that may not be sent); any other close failure terminates that connection', async (t) => {
  const invalid = new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', 'close code 1005 may not be sent', { side: 'local' });
  const a = setup();
  a.socket(true, invalid);
  await t.throwsAsync(a.shutdown.closeAll(1005, '', {}), { is: invalid });
  const b = setup();
  const broken = b.socket(true, new Error('socket gone'));
  await within(b.shutdown.closeAll(1001, '', {}), 1000, 'closeAll');
  t.deepEqual(broken.calls, ['close 1001 ', 'terminate']);
});

test('left() resolves every closeAll waiting, and only once nothing is live', async (t) => {
  const { live, shutdown, socket } = setup();
  const a = socket(false);
  const b = socket(false);
  let resolved = 0;
  const first = shutdown.closeAll(1001, '', { timeout: 10_000 }).then(() => resolved++);
  const second = shutdown.closeAll(1001, '', { timeout: 10_000 }).then(() => resolved++);
  a.gone();
  await delay(10);
  t.is(resolved, 0, 'one connection is still live');
  live.delete(b);
  shutdown.left();
  await within(Promise.all([first, second]), 1000, 'both closeAll');
  t.is(resolved, 2);
});

test('shutdown stops accepting, runs the stop hooks and the owner’s closeAll(1001, reason), then accepts again', async (t) => {
  const { owned, shutdown, socket } = setup();
  const ws = socket();
  const seen: boolean[] = [];
  let hookDone!: () => void;
  const unhook = shutdown.onShutdown(() => {
    seen.push(shutdown.accepting);
    return new Promise<void>((resolve) => (hookDone = resolve));
  });
  const remove = shutdown.onShutdown(() => t.fail('removed hooks do not run'));
  remove();
  t.true(shutdown.accepting);
  let finished = false;
  const stopping = shutdown.shutdown({ reason: 'maintenance' }).then(() => (finished = true));
  t.false(shutdown.accepting);
  t.is(shutdown.reason, 'maintenance');
  await delay(20);
  t.deepEqual(ws.calls, ['close 1001 maintenance']);
  t.false(finished, 'waits for its stop hooks');
  hookDone();
  await within(stopping, 1000, 'shutdown');
  t.deepEqual(seen, [false]);
  t.deepEqual(owned, ['closeAll 1001 maintenance'], 'through the owner, so its override applies');
  t.true(shutdown.accepting);
  unhook();
  await within(shutdown.shutdown({}), 1000, 'a second shutdown');
  t.is(shutdown.reason, 'server shutting down', 'the default reason');
});

test('shutdown accepts again even when a stop hook fails', async (t) => {
  const { shutdown } = setup();
  shutdown.onShutdown(() => Promise.reject(new Error('listener would not close')));
  await t.throwsAsync(shutdown.shutdown({}), { message: 'listener would not close' });
  t.true(shutdown.accepting);
});

test('handleSignals runs the owner’s shutdown on the signal, once, until removed', async (t) => {
  const { owned, shutdown } = setup();
  const remove = shutdown.handleSignals({ signals: ['SIGUSR2'], exit: false });
  process.kill(process.pid, 'SIGUSR2');
  await delay(50);
  t.deepEqual(owned, ['shutdown', 'closeAll 1001 server shutting down']);
  remove();
  const before = process.listenerCount('SIGUSR2');
  const again = shutdown.handleSignals({ signals: ['SIGUSR2'], exit: false });
  t.is(process.listenerCount('SIGUSR2'), before + 1);
  again();
  t.is(process.listenerCount('SIGUSR2'), before);
});
