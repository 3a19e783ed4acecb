import test from 'ava';
import { isObservable, map, Observable } from 'rxjs';
import { guardedObservable } from '../../src/websocket/guarded-observable.js';

test('guardedObservable: an Observable of the RxJS users import (instanceof, isObservable)', (t) => {
  const source = guardedObservable<number>(() => {}, (subscriber) => subscriber.next(1));
  t.true(source instanceof Observable);
  t.true(isObservable(source));
  t.true(source.pipe(map((n) => n)) instanceof Observable);
});

test('guardedObservable: a throwing subscribe callback goes to fail, not to RxJS', (t) => {
  const failures: unknown[] = [];
  const source = guardedObservable<number>((e) => void failures.push(e), (subscriber) => {
    subscriber.next(1);
    subscriber.next(2);
  });
  source.subscribe(() => {
    throw new Error('in next');
  });
  t.is(failures.length, 2);
  // Through operators too, and an operator's own exception arrives as an error.
  source.pipe(map((n) => n * 2)).subscribe((n) => {
    if (n === 4) throw new Error('in piped next');
  });
  source.pipe(map(() => {
    throw new Error('in map');
  })).subscribe(() => {});
  t.deepEqual(failures.slice(2).map((e) => (e as Error).message), ['in piped next', 'in map']);
});

test('guardedObservable: an unhandled error goes to fail; a handled one to its handler', (t) => {
  const failures: unknown[] = [];
  const boom = new Error('peer');
  const source = guardedObservable<number>((e) => void failures.push(e), (subscriber) => subscriber.error(boom));
  source.subscribe(() => {});
  t.deepEqual(failures, [boom]);
  let handled: unknown;
  source.subscribe({ error: (e) => (handled = e) });
  t.is(handled, boom);
  t.is(failures.length, 1);
});
