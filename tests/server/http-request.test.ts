import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { WebSocketError } from '../../src/protocol/errors.js';
import { RequestHeadParser, type ParsedRequest, type RequestHeadLimits } from '../../src/server/http-request.js';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

const UPGRADE =
  'GET /chat?room=1 HTTP/1.1\r\n' +
  'Host: example.com:8080\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  'Origin: http://example.com\r\n' +
  '\r\n';

interface Outcome {
  request?: ParsedRequest;
  trailing?: number[];
  status?: number;
  message?: string;
}

/** Push `data` cut at `cuts`; the request (headers as a plain object) and trailing bytes, or the rejection. */
function run(data: Uint8Array, cuts: readonly number[] = [], limits?: Partial<RequestHeadLimits>): Outcome {
  const parser = new RequestHeadParser(limits);
  const points = [...new Set(cuts.filter((c) => c > 0 && c < data.length))].sort((a, b) => a - b);
  points.push(data.length);
  let from = 0;
  try {
    for (const to of points) {
      const request = parser.push(data.subarray(from, to));
      from = to;
      if (request !== undefined) {
        // Everything not consumed by the head is trailing data, including the chunks we did not push.
        const trailing = [...parser.trailing, ...data.subarray(from)];
        return { request: { ...request, headers: { ...request.headers } }, trailing };
      }
    }
    return {};
  } catch (error) {
    if (!(error instanceof WebSocketError)) throw error;
    return { status: error.httpStatus, message: error.message };
  }
}

function everyByte(length: number): number[] {
  return Array.from({ length }, (_, i) => i);
}

function rejects(t: ExecutionContext, head: string | Uint8Array, status: number, reason?: RegExp): void {
  const data = typeof head === 'string' ? bytes(head) : head;
  const whole = run(data);
  t.is(whole.status, status, `whole head: ${whole.message ?? 'accepted'}`);
  if (reason !== undefined) t.regex(whole.message ?? '', reason);
  t.deepEqual(run(data, everyByte(data.length)), whole, 'a byte-at-a-time feed fails the same way');
}

test('a WebSocket upgrade request is parsed like node:http would', (t) => {
  const frame = [0x81, 0x85, 1, 2, 3, 4, 0x69, 0x67, 0x6f, 0x68, 0x6e];
  const data = new Uint8Array([...bytes(UPGRADE), ...frame]);
  const outcome = run(data);
  t.deepEqual(outcome.request, {
    method: 'GET',
    url: '/chat?room=1',
    httpVersion: '1.1',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    headers: {
      host: 'example.com:8080',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
      origin: 'http://example.com',
    },
    rawHeaders: [
      'Host', 'example.com:8080', 'Upgrade', 'websocket', 'Connection', 'Upgrade',
      'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version', '13', 'Origin', 'http://example.com',
    ],
  });
  t.deepEqual(outcome.trailing, frame);
});

test('splitting the bytes at every position gives the same result', (t) => {
  const data = new Uint8Array([...bytes('\r\n' + UPGRADE), 0x88, 0x80, 9, 9, 9, 9]);
  const whole = run(data);
  t.truthy(whole.request);
  for (let i = 0; i <= data.length; i++) t.deepEqual(run(data, [i]), whole, `split at ${i}`);
  t.deepEqual(run(data, everyByte(data.length)), whole, 'one byte at a time');
});

test('push returns undefined until the blank line, and trailing stays empty until then', (t) => {
  const parser = new RequestHeadParser();
  const data = bytes(UPGRADE);
  t.is(parser.push(data.subarray(0, data.length - 1)), undefined);
  t.is(parser.trailing.length, 0);
  t.truthy(parser.push(data.subarray(data.length - 1)));
  t.is(parser.trailing.length, 0);
});

test('repeated fields keep every value in order; set-cookie is always an array', (t) => {
  const head =
    'GET / HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: a\r\nX-Once: 1\r\nsec-websocket-key: b\r\n' +
    'Set-Cookie: c=1\r\nSEC-WEBSOCKET-KEY:c\r\n\r\n';
  const { request } = run(bytes(head));
  t.deepEqual(request?.headers, { host: 'h', 'sec-websocket-key': ['a', 'b', 'c'], 'x-once': '1', 'set-cookie': ['c=1'] });
  t.deepEqual(request?.rawHeaders.filter((_, i) => i % 2 === 0), ['Host', 'Sec-WebSocket-Key', 'X-Once', 'sec-websocket-key', 'Set-Cookie', 'SEC-WEBSOCKET-KEY']);
});

test('a header named __proto__ or constructor is an ordinary header; nothing is inherited', (t) => {
  const parser = new RequestHeadParser();
  const request = parser.push(bytes('GET / HTTP/1.1\r\nHost: h\r\n__proto__: x\r\nconstructor: y\r\n\r\n'));
  const headers = request?.headers ?? {};
  t.is(headers['__proto__'], 'x');
  t.is(headers['constructor'], 'y');
  t.deepEqual(Object.keys(headers), ['host', '__proto__', 'constructor']);
  t.false('toString' in headers);
  t.false('hasOwnProperty' in headers);
  t.is(new RequestHeadParser().push(bytes('GET / HTTP/1.1\r\nHost: h\r\n\r\n'))?.headers['constructor'], undefined);
});

test('values are trimmed of optional whitespace and keep inner whitespace and obs-text', (t) => {
  const { request } = run(bytes('GET / HTTP/1.1\r\nHost:h\r\nX-A: \t a \t b\t \r\nX-B:\r\nX-C: caf\xe9\r\n\r\n'));
  t.deepEqual(request?.headers, { host: 'h', 'x-a': 'a \t b', 'x-b': '', 'x-c': 'café' });
});

test('RFC 9112 §2.2: a few empty lines before the request line are ignored, more are rejected', (t) => {
  t.is(run(bytes('\r\n\r\n\r\n\r\n' + UPGRADE)).request?.url, '/chat?room=1');
  rejects(t, '\r\n\r\n\r\n\r\n\r\n' + UPGRADE, 400, /empty lines/);
});

test('HTTP/1.0 is returned for the caller to reject; later 1.x minors are accepted', (t) => {
  const old = run(bytes('GET / HTTP/1.0\r\n\r\n')).request;
  t.is(old?.httpVersion, '1.0');
  t.is(old?.httpVersionMinor, 0);
  t.is(run(bytes('GET / HTTP/1.2\r\nHost: h\r\n\r\n')).request?.httpVersion, '1.2');
});

test('an absolute-form target is accepted', (t) => {
  for (const url of ['http://example.com/chat', 'HTTPS://example.com', 'ws://h:1/x?y', 'wss://h?q']) {
    t.is(run(bytes(`GET ${url} HTTP/1.1\r\nHost: h\r\n\r\n`)).request?.url, url);
  }
});

test('a head exactly at the limits is accepted', (t) => {
  const fields = Array.from({ length: 10 }, (_, i) => `X-${i}: v\r\n`).join('');
  const head = `GET / HTTP/1.1\r\nHost: h\r\n${fields}\r\n`;
  const limits = { maxHeaderBytes: head.length, maxHeaderCount: 11 };
  t.truthy(run(bytes(head), [], limits).request);
  t.truthy(run(bytes(head), everyByte(head.length), limits).request);
  t.is(run(bytes(head), [], { ...limits, maxHeaderCount: 10 }).status, 431);
  t.is(run(bytes(head), [], { ...limits, maxHeaderBytes: head.length - 1 }).status, 431);
});

test('an oversized head is rejected with 431 as soon as the limit is passed', (t) => {
  const parser = new RequestHeadParser({ maxHeaderBytes: 64 });
  const data = bytes('GET / HTTP/1.1\r\nHost: h\r\nX-Long: ' + 'a'.repeat(200));
  for (let i = 0; i < 63; i++) t.is(parser.push(data.subarray(i, i + 1)), undefined);
  const error = t.throws(() => parser.push(data.subarray(63, 64)), { instanceOf: WebSocketError });
  t.is(error?.httpStatus, 431);
  t.is(t.throws(() => parser.push(data.subarray(64, 65))), error, 'the parser stays failed');
});

test('too many header fields are rejected with 431 as soon as the limit is passed', (t) => {
  const parser = new RequestHeadParser({ maxHeaderCount: 3 });
  const error = t.throws(() => parser.push(bytes('GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n')), {
    instanceOf: WebSocketError,
  });
  t.is(error?.httpStatus, 431);
  t.is(error?.code, 'WS_ERR_HANDSHAKE');
  t.is(error?.side, 'remote');
});

// [title, head, status, reason]
const malformed: ReadonlyArray<[string, string, number, RegExp]> = [
  ['a request line with two spaces', 'GET  / HTTP/1.1\r\nHost: h\r\n\r\n', 400, /request-target/],
  ['a request line without a version', 'GET /\r\nHost: h\r\n\r\n', 400, /request-target/],
  ['a request line with a trailing space', 'GET / HTTP/1.1 \r\nHost: h\r\n\r\n', 400, /version/],
  ['a lower-case protocol name', 'GET / http/1.1\r\nHost: h\r\n\r\n', 400, /version/],
  ['a two-digit version', 'GET / HTTP/1.10\r\nHost: h\r\n\r\n', 400, /version/],
  ['a method that is not a token', 'G(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400, /method/],
  ['a tab between method and target', 'GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n', 400, /method/],
  ['a target with a control character', 'GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n', 400, /request-target/],
  ['a target with a non-ASCII byte', 'GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n', 400, /request-target/],
  ['a target with a fragment', 'GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n', 400, /request-target/],
  ['an asterisk-form target', 'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n', 400, /form/],
  ['an authority-form target', 'CONNECT example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n', 400, /form/],
  ['an absolute-form target without authority', 'GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n', 400, /form/],
  ['an absolute-form target with another scheme', 'GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n', 400, /form/],
  ['HTTP/2.0 in a text head', 'GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505, /HTTP\/2\.0/],
  ['the HTTP/2 connection preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505, /HTTP\/2\.0/],
  ['HTTP/0.9', 'GET / HTTP/0.9\r\nHost: h\r\n\r\n', 505, /not supported/],
  ['a header without a colon', 'GET / HTTP/1.1\r\nHost: h\r\nX-Broken\r\n\r\n', 400, /colon/],
  ['a space before the colon', 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\n', 400, /between header name and colon/],
  ['a tab before the colon', 'GET / HTTP/1.1\r\nHost\t: h\r\n\r\n', 400, /between header name and colon/],
  ['an empty header name', 'GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n', 400, /empty header name/],
  ['a header name that is not a token', 'GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n', 400, /header name/],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n', 400, /folding/],
  ['obs-fold with a tab', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n', 400, /folding/],
  ['whitespace before the first header', 'GET / HTTP/1.1\r\n Host: h\r\n\r\n', 400, /first header/],
  ['a control character in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n', 400, /header value/],
  ['DEL in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7fb\r\n\r\n', 400, /header value/],
  ['NUL in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n', 400, /NUL/],
  ['NUL in the request line', 'GET /\x00 HTTP/1.1\r\nHost: h\r\n\r\n', 400, /NUL/],
  ['bare LF line endings', 'GET / HTTP/1.1\nHost: h\n\n', 400, /bare LF/],
  ['a bare LF ending one header', 'GET / HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n', 400, /bare LF/],
  ['a bare LF ending the head', 'GET / HTTP/1.1\r\nHost: h\r\n\n', 400, /bare LF/],
  ['a bare CR inside a value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n', 400, /bare CR/],
  ['a bare CR as line ending', 'GET / HTTP/1.1\rHost: h\r\n\r\n', 400, /bare CR/],
  ['a missing Host in HTTP/1.1', 'GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n', 400, /missing Host/],
  ['a repeated Host', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, /duplicate Host/],
  ['Transfer-Encoding on an upgrade', 'GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nTransfer-Encoding: chunked\r\n\r\n', 400, /must not have a body/],
  ['Transfer-Encoding with Connection: upgrade', 'GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nTransfer-Encoding: chunked\r\n\r\n', 400, /must not have a body/],
  ['Content-Length: 5 on an upgrade', 'GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 5\r\n\r\n', 400, /must not have a body/],
  ['a duplicated Content-Length', 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n', 400, /duplicate Content-Length/],
  ['a Content-Length list', 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n', 400, /invalid Content-Length/],
  ['a signed Content-Length', 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n', 400, /invalid Content-Length/],
  ['Transfer-Encoding with Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n', 400, /both/],
  ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 400, /HTTP\/1\.0/],
];

for (const [title, head, status, reason] of malformed) {
  test(`${title} is rejected with ${status}`, (t) => rejects(t, head, status, reason));
}

test('a Content-Length of 0 on an upgrade and a body on a plain request are accepted', (t) => {
  t.truthy(run(bytes('GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n')).request);
  const post = run(bytes('POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc'));
  t.is(post.request?.method, 'POST');
  t.deepEqual(post.trailing, [0x61, 0x62, 0x63]);
});

test('rejections are remote WS_ERR_HANDSHAKE errors that render an HTTP response', (t) => {
  const parser = new RequestHeadParser();
  const error = t.throws(() => parser.push(bytes('GET / HTTP/1.1\nHost: h\n\n')), { instanceOf: WebSocketError });
  t.is(error?.code, 'WS_ERR_HANDSHAKE');
  t.is(error?.side, 'remote');
  t.regex(error?.httpResponse() ?? '', /^HTTP\/1\.1 400 Bad Request\r\n[^]*\r\n\r\nbare LF line ending\n$/);
});

test('pushing after the request was returned is a local error', (t) => {
  const parser = new RequestHeadParser();
  t.truthy(parser.push(bytes(UPGRADE)));
  const error = t.throws(() => parser.push(new Uint8Array([1])), { instanceOf: WebSocketError });
  t.is(error?.code, 'WS_ERR_INVALID_STATE');
  t.is(error?.side, 'local');
});

test('invalid limits are refused', (t) => {
  t.throws(() => new RequestHeadParser({ maxHeaderBytes: 0 }), { instanceOf: WebSocketError });
  t.throws(() => new RequestHeadParser({ maxHeaderCount: -1 }), { instanceOf: WebSocketError });
  t.throws(() => new RequestHeadParser({ maxHeaderBytes: 1.5 }), { instanceOf: WebSocketError });
});

function bigHead(size: number): Uint8Array {
  const prefix = 'GET /big HTTP/1.1\r\nHost: h\r\n';
  const fields: string[] = [];
  let length = prefix.length + 2;
  for (let i = 0; length < size; i++) {
    const field = `X-Field-${i}: ${'v'.repeat(Math.min(250, size - length))}\r\n`;
    fields.push(field);
    length += field.length;
  }
  return bytes(prefix + fields.join('') + '\r\n');
}

test('a 16 KiB head fed one byte at a time examines each byte a bounded number of times', (t) => {
  const data = bigHead(16 * 1024 - 64);
  const parser = new RequestHeadParser();
  let request: ParsedRequest | undefined;
  let examined = 0;
  for (let i = 0; i < data.length; i++) {
    request = parser.push(data.subarray(i, i + 1));
    t.true(parser.bytesExamined >= examined, 'the search position only moves forward');
    if (i < data.length - 1 && parser.bytesExamined !== i + 1) t.fail(`byte ${i} examined more than once`);
    examined = parser.bytesExamined;
  }
  t.truthy(request);
  t.true(examined <= 2 * data.length, `${examined} examinations for ${data.length} bytes`);
});

test('a 1 MiB head fed one byte at a time stays linear', (t) => {
  const data = bigHead(1024 * 1024);
  const parser = new RequestHeadParser({ maxHeaderBytes: 2 * 1024 * 1024, maxHeaderCount: 10_000 });
  let request: ParsedRequest | undefined;
  for (let i = 0; i < data.length; i++) request = parser.push(data.subarray(i, i + 1));
  t.is(request?.url, '/big');
  t.true(parser.bytesExamined <= 2 * data.length);
});

// ---------------------------------------------------------------- properties

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('');
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const targetChar = fc.integer({ min: 0x21, max: 0x7e }).filter((c) => c !== 0x23).map((c) => String.fromCharCode(c));
const valueChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0x80, max: 0xff }),
  fc.constant(0x09),
).map((c) => String.fromCharCode(c));
const FORBIDDEN = new Set(['host', 'content-length', 'transfer-encoding']);
const fieldName = fc
  .oneof(token, fc.constantFrom('Sec-WebSocket-Key', 'sec-websocket-key', 'Set-Cookie', 'Upgrade', 'Connection', 'X-Dup', '__proto__', 'constructor'))
  .filter((name) => !FORBIDDEN.has(name.toLowerCase()));
const field = fc.tuple(fieldName, fc.string({ unit: valueChar, maxLength: 30 }));

const validHead = fc
  .record({
    leading: fc.integer({ min: 0, max: 4 }),
    method: token,
    url: fc.string({ unit: targetChar, maxLength: 30 }).map((path) => '/' + path),
    minor: fc.integer({ min: 1, max: 9 }),
    fields: fc.array(field, { maxLength: 20 }),
    host: fc.tuple(fc.constantFrom('Host', 'host', 'HOST'), fc.string({ unit: valueChar, maxLength: 20 })),
    hostAt: fc.nat(),
    trailing: fc.uint8Array({ maxLength: 40 }),
  })
  .map(({ leading, method, url, minor, fields, host, hostAt, trailing }) => {
    const all = [...fields];
    all.splice(hostAt % (fields.length + 1), 0, host);
    const head =
      '\r\n'.repeat(leading) + `${method} ${url} HTTP/1.${minor}\r\n` + all.map(([n, v]) => `${n}:${v}\r\n`).join('') + '\r\n';
    // The model: what the parser must return.
    const headers: Record<string, string | string[]> = Object.create(null);
    const rawHeaders: string[] = [];
    for (const [name, raw] of all) {
      const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
      rawHeaders.push(name, value);
      const key = name.toLowerCase();
      const previous = headers[key];
      if (previous === undefined) headers[key] = key === 'set-cookie' ? [value] : value;
      else headers[key] = typeof previous === 'string' ? [previous, value] : [...previous, value];
    }
    const request: ParsedRequest = {
      method, url, httpVersion: `1.${minor}`, httpVersionMajor: 1, httpVersionMinor: minor, headers: { ...headers }, rawHeaders,
    };
    return { data: new Uint8Array([...bytes(head), ...trailing]), request, trailing: [...trailing] };
  });

const cuts = fc.array(fc.nat({ max: 2000 }), { maxLength: 30 });

test('property: any chunking of a valid head gives the modelled request and trailing bytes', (t) => {
  fc.assert(
    fc.property(validHead, cuts, fc.boolean(), ({ data, request, trailing }, points, bytewise) => {
      const outcome = run(data, bytewise ? everyByte(data.length) : points.map((p) => p % (data.length + 1)));
      t.deepEqual(outcome, { request, trailing });
    }),
    { numRuns: 1000 },
  );
});

function checkOutcome(data: Uint8Array, points: number[]): boolean {
  const whole = run(data); // throws anything but a WebSocketError, which fails the property
  if (whole.status !== undefined && ![400, 431, 505].includes(whole.status)) return false;
  const split = run(data, points.map((p) => p % (data.length + 1)));
  return JSON.stringify(split) === JSON.stringify(whole);
}

test('property: arbitrary bytes only ever raise a WebSocketError, the same for any chunking', (t) => {
  const prefix = fc.constantFrom('', 'GET / HTTP/1.1\r\n', 'GET / HTTP/1.1\r\nHost: h\r\n').map(bytes);
  t.notThrows(() =>
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 300 }), cuts, (head, tail, points) => {
        return checkOutcome(new Uint8Array([...head, ...tail]), points);
      }),
      { numRuns: 1000 },
    ),
  );
});

test('property: a valid head with random bytes changed only ever raises a WebSocketError', (t) => {
  const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()), { minLength: 1, maxLength: 4 });
  t.notThrows(() =>
    fc.assert(
      fc.property(validHead, edits, cuts, ({ data }, changes, points) => {
        const mutated = [...data];
        for (const [at, byte, insert] of changes) mutated.splice(at % (mutated.length + 1), insert ? 0 : 1, byte);
        return checkOutcome(new Uint8Array(mutated), points);
      }),
      { numRuns: 1000 },
    ),
  );
});

test('property: small limits are enforced for any chunking', (t) => {
  fc.assert(
    fc.property(validHead, fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 25 }), cuts, ({ data }, maxHeaderBytes, maxHeaderCount, points) => {
      const limits = { maxHeaderBytes, maxHeaderCount };
      const whole = run(data, [], limits);
      t.deepEqual(run(data, points.map((p) => p % (data.length + 1)), limits), whole);
      if (whole.status !== undefined) t.is(whole.status, 431);
    }),
    { numRuns: 1000 },
  );
});
