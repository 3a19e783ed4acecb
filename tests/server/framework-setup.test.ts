import test from 'ava';
import { frameworkSetup } from '../../src/server/framework-setup.js';
import { DEFAULT_ROUTING_TIMEOUT } from '../../src/server/framework.js';
import { WebSocketManager } from '../../src/server/manager.js';

test('frameworkSetup splits the acceptor defaults from the integration bounds and makes a manager when none is given', (t) => {
  const setup = frameworkSetup('test()', { maxPayload: 1024, shutdownTimeout: 50, routingTimeout: 70 });
  t.deepEqual(setup.defaults, { maxPayload: 1024 });
  t.is(setup.shutdownTimeout, 50);
  t.is(setup.routingTimeout, 70);
  t.true(setup.manager instanceof WebSocketManager);
  const manager = new WebSocketManager();
  t.is(frameworkSetup('test()', { manager }).manager, manager);
});

test('routingTimeout wins over the deprecated handshakeTimeout, which wins over the default', (t) => {
  t.is(frameworkSetup('test()', {}).routingTimeout, DEFAULT_ROUTING_TIMEOUT);
  t.is(frameworkSetup('test()', { handshakeTimeout: 300 }).routingTimeout, 300);
  t.is(frameworkSetup('test()', { handshakeTimeout: 300, routingTimeout: 200 }).routingTimeout, 200);
  // The deprecated name still reaches the acceptor as its verify bound.
  t.is(frameworkSetup('test()', { handshakeTimeout: 300 }).defaults.handshakeTimeout, 300);
});

test('wrong bounds and acceptor options are TypeErrors or RangeErrors naming the entry', (t) => {
  t.throws(() => frameworkSetup('test()', { routingTimeout: '1s' as unknown as number }), { instanceOf: TypeError, message: /test\(\): options\.routingTimeout/ });
  t.throws(() => frameworkSetup('test()', { shutdownTimeout: -1 }), { instanceOf: RangeError, message: /shutdownTimeout/ });
  t.throws(() => frameworkSetup('test()', { maxPayload: 0 }), { instanceOf: RangeError, message: /maxPayload/ });
});
