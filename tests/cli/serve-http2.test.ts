/**
 * `ws4ts serve --http2`: a self-signed certificate is made when none is
 * given; the page and WebSockets go over HTTP/2, HTTP/1.1 upgrades still work.
 */
import test from 'ava';
import { once } from 'node:events';
import { connect as http2Connect } from 'node:http2';
import { connect } from '../../src/client.js';
import { ensureBuilt, startServer } from '../helpers/cli.js';
import { until, within, PATIENCE } from '../helpers/loopback.js';

test.before(ensureBuilt);

const insecure = { rejectUnauthorized: false };

test.serial('serve --http2 serves the page over HTTP/2 and WebSockets over RFC 8441 and HTTP/1.1 on one port', async (t) => {
  const served = await startServer(t, ['serve', '--http2', '--port', '0', '--quiet']);
  t.true(served.url.startsWith('wss://'));
  // The HTTP/2 line follows the listening line: wait for it rather than race it.
  await until(() => /HTTP\/2/.test(served.output()), PATIENCE, 'the HTTP/2 line');
  t.regex(served.output(), /HTTP\/2/);
  const session = http2Connect(served.http, insecure);
  session.on('error', () => {});
  t.teardown(() => session.destroy());
  await within(once(session, 'remoteSettings'), PATIENCE);
  t.true(session.remoteSettings.enableConnectProtocol);
  const stream = session.request({ ':path': '/' });
  const [headers] = (await within(once(stream, 'response'), PATIENCE)) as [Record<string, unknown>];
  let body = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (body += chunk));
  await within(once(stream, 'end'), PATIENCE);
  t.is(headers[':status'], 200);
  t.regex(String(headers['content-type']), /text\/html/);
  t.regex(body, /<html|<!doctype/i);

  const h2 = await connect(`${served.url}echo`, { http2: true, tls: insecure });
  const h1 = await connect(`${served.url}echo`, { tls: insecure });
  t.is(h2.response?.status, 200);
  t.is(h1.response?.status, 101);
  h2.send('over h2');
  h1.send('over 1.1');
  t.is((await within(h2.receive(), PATIENCE)).data, 'over h2');
  t.is((await within(h1.receive(), PATIENCE)).data, 'over 1.1');
  await Promise.all([h2.close(), h1.close()]);
});
