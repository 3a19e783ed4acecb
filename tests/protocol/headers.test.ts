import test from 'ava';
import fc from 'fast-check';
import { WebSocketError } from '../../src/protocol/errors.js';
import type { ExtensionOffer } from '../../src/protocol/extension.js';
import {
  TOKEN_CHARS,
  isToken,
  parseExtensions,
  parseTokenList,
  parseUpgradeList,
  serializeExtensions,
} from '../../src/protocol/headers.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function assertHandshakeError(t: import('ava').ExecutionContext, fn: () => unknown, message?: RegExp): void {
  const error = t.throws(fn, { instanceOf: WebSocketError });
  t.is(error?.code, 'WS_ERR_HANDSHAKE');
  t.is(error?.httpStatus, 400);
  t.is(error?.side, 'remote');
  if (message !== undefined) t.regex(error?.message ?? '', message);
}

// --- token table -----------------------------------------------------------

test('the tchar table holds exactly the 77 token characters of RFC 7230 §3.2.6', (t) => {
  t.is(TOKEN_CHARS.length, 256);
  for (let code = 0; code < 256; code++) {
    t.is(TOKEN_CHARS[code] === 1, TCHARS.includes(String.fromCharCode(code)), `char ${code}`);
  }
});

test('isToken accepts tchar runs and rejects the empty string, separators and non-ASCII', (t) => {
  t.true(isToken('permessage-deflate'));
  t.true(isToken("!#$%&'*+-.^_`|~"));
  t.false(isToken(''));
  for (const bad of ['a b', 'a,b', 'a;b', 'a=b', '"a"', 'a/b', 'a\tb', 'é', 'a\u0100', '(a)', 'a{}', 'a@b']) {
    t.false(isToken(bad), bad);
  }
});

// --- token lists -----------------------------------------------------------

test('parseTokenList splits on commas and strips OWS', (t) => {
  t.deepEqual(parseTokenList('keep-alive, Upgrade'), ['keep-alive', 'Upgrade']);
  t.deepEqual(parseTokenList('chat,superchat'), ['chat', 'superchat']);
  t.deepEqual(parseTokenList(' \tchat \t, superchat\t '), ['chat', 'superchat']);
});

test('parseTokenList ignores empty list elements (RFC 7230 §7)', (t) => {
  t.deepEqual(parseTokenList(',chat,, ,superchat,'), ['chat', 'superchat']);
  t.deepEqual(parseTokenList(''), []);
  t.deepEqual(parseTokenList(' , ,, '), []);
});

test('parseTokenList reads a repeated header given as an array', (t) => {
  t.deepEqual(parseTokenList(['keep-alive', 'Upgrade, foo']), ['keep-alive', 'Upgrade', 'foo']);
  t.deepEqual(parseTokenList([]), []);
});

test('parseTokenList keeps order, case and duplicates', (t) => {
  t.deepEqual(parseTokenList('B, a, B'), ['B', 'a', 'B']);
});

test('parseTokenList rejects characters that are not tchar with a 400', (t) => {
  for (const bad of ['chat superchat', 'a;b', 'a=b', '"chat"', 'a/b', 'chat\r\n', 'x\u00e9', 'a\u0000', '(a)']) {
    assertHandshakeError(t, () => parseTokenList(bad), /Invalid token list header/);
  }
});

test('parseTokenList names the header and the offending index in its message', (t) => {
  assertHandshakeError(t, () => parseTokenList('a, b c', 'Connection'), /Invalid Connection header: .*index 5/);
});

test('parseUpgradeList accepts protocol-name "/" protocol-version elements', (t) => {
  t.deepEqual(parseUpgradeList('HTTP/2.0, websocket'), ['HTTP/2.0', 'websocket']);
  t.deepEqual(parseUpgradeList(['h2c', 'WebSocket']), ['h2c', 'WebSocket']);
  assertHandshakeError(t, () => parseUpgradeList('websocket/'));
  assertHandshakeError(t, () => parseUpgradeList('/13'));
  assertHandshakeError(t, () => parseUpgradeList('a/b/c'));
  assertHandshakeError(t, () => parseUpgradeList('web socket'));
});

// --- Sec-WebSocket-Extensions --------------------------------------------

test('parseExtensions reads names, flags, token values and quoted values in order', (t) => {
  t.deepEqual(parseExtensions('permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo; a="1"'), [
    {
      name: 'permessage-deflate',
      params: [
        { name: 'client_max_window_bits', value: true },
        { name: 'server_max_window_bits', value: '10' },
      ],
    },
    { name: 'x-foo', params: [{ name: 'a', value: '1' }] },
  ]);
});

test('parseExtensions keeps repeated offers and repeated parameters', (t) => {
  t.deepEqual(parseExtensions('a; x=1; x=2; y, a, a; y'), [
    {
      name: 'a',
      params: [
        { name: 'x', value: '1' },
        { name: 'x', value: '2' },
        { name: 'y', value: true },
      ],
    },
    { name: 'a', params: [] },
    { name: 'a', params: [{ name: 'y', value: true }] },
  ]);
});

test('parseExtensions unescapes quoted-pairs inside quoted strings', (t) => {
  t.deepEqual(parseExtensions('x; p3="quoted\\-\\1"'), [{ name: 'x', params: [{ name: 'p3', value: 'quoted-1' }] }]);
  t.deepEqual(parseExtensions('x; p="\\a\\b"'), [{ name: 'x', params: [{ name: 'p', value: 'ab' }] }]);
});

test('parseExtensions tolerates OWS around every separator', (t) => {
  const expected: ExtensionOffer[] = [
    { name: 'a', params: [{ name: 'x', value: '1' }, { name: 'y', value: true }, { name: 'z', value: 'q' }] },
    { name: 'b', params: [] },
  ];
  t.deepEqual(parseExtensions('a;x=1;y;z="q",b'), expected);
  t.deepEqual(parseExtensions(' \ta \t; \tx \t= \t1 \t; y ;\tz = "q"\t , \tb \t'), expected);
});

test('parseExtensions ignores empty list elements', (t) => {
  t.deepEqual(parseExtensions(', a ,, , b ,'), [
    { name: 'a', params: [] },
    { name: 'b', params: [] },
  ]);
});

test('parseExtensions reads a repeated header given as an array', (t) => {
  t.deepEqual(parseExtensions(['a; x', '', 'b']), [
    { name: 'a', params: [{ name: 'x', value: true }] },
    { name: 'b', params: [] },
  ]);
});

test('parseExtensions requires at least one extension', (t) => {
  for (const empty of ['', '   ', ',', ' , ,']) assertHandshakeError(t, () => parseExtensions(empty), /no extension/);
  assertHandshakeError(t, () => parseExtensions([]), /no extension/);
});

test('parseExtensions rejects an unterminated quoted string', (t) => {
  assertHandshakeError(t, () => parseExtensions('a; x="abc'), /unterminated quoted string/);
  assertHandshakeError(t, () => parseExtensions('a; x="abc\\'), /unterminated quoted string/);
  assertHandshakeError(t, () => parseExtensions('a; x="'), /unterminated quoted string/);
});

test('parseExtensions rejects quoted values that are not tokens once unquoted (RFC 6455 §9.1)', (t) => {
  const values = ['a; x=""', 'a; x="a b"', 'a; x="a,b"', 'a; x="a;b"', 'a; x="a\\ b"', 'a; x="a\\"b"', 'a; x="é"'];
  for (const bad of values) {
    assertHandshakeError(t, () => parseExtensions(bad), undefined);
  }
});

test('parseExtensions rejects misplaced separators and bad characters', (t) => {
  const bad = [
    ';',
    'a;',
    'a; ',
    'a;;x',
    'a; =1',
    'a; x=',
    'a; x= ',
    'a; x=,b',
    'a; x==1',
    'a; x=1 2',
    'a b',
    'a; x y',
    'a; x="1"2',
    'a; x="1" "2"',
    '"a"',
    'a=1',
    'a; x=@',
    'a\r\n',
    'a; x=1\u0000',
    'a; x=\u00e9',
    'a\u0100',
    'a, ;x',
  ];
  for (const value of bad) assertHandshakeError(t, () => parseExtensions(value), undefined);
});

test('parseExtensions reports the offending character and index', (t) => {
  const message = /^Invalid Sec-WebSocket-Extensions header: unexpected character "2" at index 7$/;
  assertHandshakeError(t, () => parseExtensions('a; x=1 2'), message);
  assertHandshakeError(t, () => parseExtensions('a;'), /unexpected end of input/);
});

test('serializeExtensions writes flags, values and separators canonically', (t) => {
  t.is(
    serializeExtensions([
      {
        name: 'permessage-deflate',
        params: [
          { name: 'client_max_window_bits', value: true },
          { name: 's', value: '10' },
        ],
      },
      { name: 'x', params: [] },
    ]),
    'permessage-deflate; client_max_window_bits; s=10, x',
  );
  t.is(serializeExtensions([]), '');
});

test('serializeExtensions quotes only values that are not tokens, escaping quotes and backslashes', (t) => {
  t.is(serializeExtensions([{ name: 'x', params: [{ name: 'p', value: 'a b' }] }]), 'x; p="a b"');
  t.is(serializeExtensions([{ name: 'x', params: [{ name: 'p', value: 'a"\\b' }] }]), 'x; p="a\\"\\\\b"');
  t.is(serializeExtensions([{ name: 'x', params: [{ name: 'p', value: '' }] }]), 'x; p=""');
  t.is(serializeExtensions([{ name: 'x', params: [{ name: 'p', value: "a.b-c!~'" }] }]), "x; p=a.b-c!~'");
});

test('serializeExtensions refuses names that are not tokens and values with control characters', (t) => {
  const cases: ExtensionOffer[][] = [
    [{ name: 'a b', params: [] }],
    [{ name: '', params: [] }],
    [{ name: 'x', params: [{ name: 'p=', value: true }] }],
    [{ name: 'x', params: [{ name: 'p', value: 'a\r\nInjected: 1' }] }],
    [{ name: 'x', params: [{ name: 'p', value: 'a\u0000' }] }],
    [{ name: 'x', params: [{ name: 'p', value: '\u0100' }] }],
  ];
  for (const offers of cases) {
    const error = t.throws(() => serializeExtensions(offers), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_INVALID_ARGUMENT');
    t.is(error?.side, 'local');
  }
});

// --- properties --------------------------------------------------------------

const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const param = fc.record({ name: token, value: fc.oneof(fc.constant<true>(true), token) });
const offer = fc.record({ name: token, params: fc.array(param, { maxLength: 5 }) });
const offers = fc.array(offer, { minLength: 1, maxLength: 5 });

test('parseExtensions inverts serializeExtensions for any token names and values', (t) => {
  fc.assert(
    fc.property(offers, (value) => {
      const header = serializeExtensions(value);
      t.deepEqual(parseExtensions(header), value);
      t.is(serializeExtensions(parseExtensions(header)), header);
    }),
    { numRuns: 1000 },
  );
});

test('parseExtensions reads the same offers whatever OWS, quoting and empty elements surround them', (t) => {
  const ows = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });
  const empties = fc.array(ows, { maxLength: 2 }).map((list) => list.map((w) => `${w},`).join(''));
  fc.assert(
    fc.property(offers, fc.infiniteStream(fc.tuple(ows, ows, fc.boolean(), fc.boolean(), empties)), (value, noise) => {
      const it = noise[Symbol.iterator]();
      const next = () => it.next().value as [string, string, boolean, boolean, string];
      let header = '';
      for (const o of value) {
        const [a, b, , , empty] = next();
        header += `${empty}${a}${o.name}${b}`;
        for (const p of o.params) {
          const [c, d, quoted, escaped] = next();
          header += `;${c}${p.name}${d}`;
          if (p.value !== true) {
            const text = escaped ? p.value.replace(/./g, '\\$&') : p.value;
            header += `=${c}${quoted ? `"${text}"` : p.value}${d}`;
          }
        }
        header += ',';
      }
      t.deepEqual(parseExtensions(header), value);
    }),
    { numRuns: 1000 },
  );
});

test('parseTokenList returns the tokens of any list built with OWS and empty elements', (t) => {
  const ows = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 2 });
  fc.assert(
    fc.property(fc.array(fc.tuple(ows, token, ows, fc.nat(2)), { maxLength: 6 }), (items) => {
      const header = items.map(([a, tok, b, extra]) => `${a}${tok}${b}${','.repeat(extra)}`).join(',');
      t.deepEqual(
        parseTokenList(header),
        items.map(([, tok]) => tok),
      );
    }),
    { numRuns: 1000 },
  );
});

const HEADER_NOISE = `${TCHARS.slice(0, 20)} \t,;="\\\r\u00e9`;

test('the header scanners throw only WebSocketError on arbitrary input', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...HEADER_NOISE), maxLength: 30 }), (s) => {
        for (const parse of [parseExtensions, parseTokenList, parseUpgradeList] as const) {
          try {
            parse(s);
          } catch (error) {
            if (!(error instanceof WebSocketError) || error.code !== 'WS_ERR_HANDSHAKE') return false;
          }
        }
        return true;
      }),
      { numRuns: 1000 },
    ),
  );
});
