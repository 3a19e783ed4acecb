/**
 * src/websocket/rare.ts: the state most connections never need, created on
 * first use; `finished` made before or after the outcome is known.
 */
import test from 'ava';
import { Rare } from '../../src/websocket/rare.js';
import type { CloseOutcome } from '../../src/protocol/connection.js';
import { within, PATIENCE } from '../helpers/loopback.js';
import { memoryPair } from './shared.js';

test('whenFinished() asked before the outcome waits for resolveFinished; asked after, it is already settled', async (t) => {
  const early = new Rare();
  const waiting = early.whenFinished();
  t.is(early.whenFinished(), waiting, 'one promise, made once');
  let settled = false;
  void waiting.then(() => (settled = true));
  await Promise.resolve();
  t.false(settled);
  const outcome: CloseOutcome = { code: 1000, reason: 'done', wasClean: true };
  early.outcome = outcome;
  early.resolveFinished!(outcome);
  t.is(await waiting, outcome);

  const late = new Rare();
  late.outcome = { code: 1006, reason: '', wasClean: false };
  t.is(late.resolveFinished, undefined);
  t.deepEqual(await late.whenFinished(), { code: 1006, reason: '', wasClean: false });
});

test('ws.finished asked before the close waits for it; asked first after the close, it is already settled with the outcome', async (t) => {
  const { server, client } = memoryPair(t);
  const before = client.finished;
  t.is(client.finished, before);
  await within(server.close(4001, 'later'), PATIENCE);
  t.deepEqual(await within(before, PATIENCE), { code: 4001, reason: 'later', wasClean: true });
  // Nobody asked for this one's finished before it closed: the outcome was recorded, the promise is made from it.
  const other = memoryPair(t);
  other.client.terminate();
  t.is(other.client.readyState, 3);
  t.deepEqual(await within(other.client.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });
});
