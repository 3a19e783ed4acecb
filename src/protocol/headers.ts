/**
 * Header grammar of the opening handshake: token lists (`Connection`,
 * `Upgrade`, `Sec-WebSocket-Protocol`) and the `Sec-WebSocket-Extensions`
 * header (RFC 6455 §9.1, §11.3.2, §11.3.4), built on RFC 7230's `token`,
 * `quoted-string` and `#rule` (§3.2.6, §7).
 *
 * Every scanner here is a single pass over the characters with a 256-entry
 * lookup table for `tchar` (ws's idea): no regular expressions, no splitting
 * then re-checking. A syntax error is a remote {@link WebSocketError}
 * `WS_ERR_HANDSHAKE` with HTTP status 400, naming the offending index.
 *
 * @module
 */
import { WebSocketError } from './errors.js';
import type { ExtensionOffer, ExtensionParam } from './extension.js';
import { OCTETS } from './octets.js';

/**
 * Request or response headers in node:http's `IncomingHttpHeaders` shape:
 * lower-case names; a repeated header appears either as a `string[]` or as
 * one string joined with `", "`.
 */
export type HttpHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * `tchar` of RFC 7230 §3.2.6 as a lookup table indexed by char code (1 = token character):
 * `!#$%&'*+-.^_`|~`, digits and letters.
 */
export const TOKEN_CHARS: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (const c of "!#$%&'*+-.^_`|~") table[c.charCodeAt(0)] = 1;
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  return table;
})();

const { BACKSLASH, COMMA, DQUOTE, EQUALS, HTAB, SEMICOLON, SLASH, SP } = OCTETS; // own constants for the loops: see octets.ts

// Char codes above 0xff index past the table and read `undefined`, i.e. not a token char.
function isTchar(code: number): boolean {
  return TOKEN_CHARS[code] === 1;
}

function isOws(code: number): boolean {
  return code === SP || code === HTAB;
}

/**
 * True when `value` is an RFC 7230 `token` (one or more `tchar`).
 *
 * @example
 * ```ts
 * isToken('chat.v2'); // true
 * isToken('a b');     // false
 * ```
 */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isTchar(value.charCodeAt(i))) return false;
  return true;
}

function syntaxError(header: string, message: string): WebSocketError {
  return new WebSocketError('WS_ERR_HANDSHAKE', `Invalid ${header} header: ${message}`, {
    status: 400,
    side: 'remote',
  });
}

function unexpected(header: string, value: string, index: number): WebSocketError {
  if (index >= value.length) return syntaxError(header, 'unexpected end of input');
  return syntaxError(header, `unexpected character ${JSON.stringify(value[index])} at index ${index}`);
}

/**
 * Scan one field value of a `#token` (or, with `allowVersion`, `#protocol`
 * = `token ["/" token]`) list into `out`. Empty elements and OWS around commas
 * are skipped, as RFC 7230 §7 asks of recipients.
 */
function scanList(value: string, out: string[], allowVersion: boolean, header: string): void {
  const n = value.length;
  let i = 0;
  while (i < n) {
    let code = value.charCodeAt(i);
    if (isOws(code) || code === COMMA) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isTchar(value.charCodeAt(i))) i++;
    if (i === start) throw unexpected(header, value, i);
    if (allowVersion && i < n && value.charCodeAt(i) === SLASH) {
      const versionStart = ++i;
      while (i < n && isTchar(value.charCodeAt(i))) i++;
      if (i === versionStart) throw unexpected(header, value, i);
    }
    out.push(value.slice(start, i));
    while (i < n && isOws(value.charCodeAt(i))) i++;
    if (i < n) {
      code = value.charCodeAt(i);
      if (code !== COMMA) throw unexpected(header, value, i);
      i++;
    }
  }
}

/**
 * Parse a comma-separated token list (`Connection`, `Sec-WebSocket-Protocol`;
 * RFC 7230 §7 `#token`). OWS and empty elements are ignored, so an empty value
 * gives `[]`; the caller decides whether at least one element is required.
 * Elements keep their order, case and duplicates.
 *
 * @param value One field value, or several (a repeated header).
 * @param header Header name used in error messages.
 * @throws {WebSocketError} `WS_ERR_HANDSHAKE` (HTTP 400) for a character that is not `tchar`.
 *
 * @example
 * ```ts
 * parseTokenList('keep-alive, Upgrade'); // ['keep-alive', 'Upgrade']
 * parseTokenList(' chat ,, superchat ');  // ['chat', 'superchat']
 * ```
 */
export function parseTokenList(value: string | readonly string[], header = 'token list'): string[] {
  const out: string[] = [];
  if (typeof value === 'string') scanList(value, out, false, header);
  else for (const v of value) scanList(v, out, false, header);
  return out;
}

/**
 * Parse an `Upgrade` field value (RFC 7230 §6.7): a list of `protocol-name
 * ["/" protocol-version]`, e.g. `websocket` or `h2c, HTTP/2.0`.
 *
 * @throws {WebSocketError} `WS_ERR_HANDSHAKE` (HTTP 400) on a syntax error.
 *
 * @example
 * ```ts
 * parseUpgradeList('HTTP/2.0, websocket'); // ['HTTP/2.0', 'websocket']
 * ```
 */
export function parseUpgradeList(value: string | readonly string[]): string[] {
  const out: string[] = [];
  if (typeof value === 'string') scanList(value, out, true, 'Upgrade');
  else for (const v of value) scanList(v, out, true, 'Upgrade');
  return out;
}

const EXTENSIONS = 'Sec-WebSocket-Extensions';

/** Scan one `Sec-WebSocket-Extensions` field value into `out` (RFC 6455 §9.1). */
function scanExtensions(value: string, out: ExtensionOffer[]): void {
  const n = value.length;
  let i = 0;
  for (;;) {
    // Empty list elements and OWS before an element (RFC 7230 §7).
    while (i < n && (isOws(value.charCodeAt(i)) || value.charCodeAt(i) === COMMA)) i++;
    if (i === n) return;

    const nameStart = i;
    while (i < n && isTchar(value.charCodeAt(i))) i++;
    if (i === nameStart) throw unexpected(EXTENSIONS, value, i);
    const name = value.slice(nameStart, i);
    const params: ExtensionParam[] = [];
    while (i < n && isOws(value.charCodeAt(i))) i++;

    while (i < n && value.charCodeAt(i) === SEMICOLON) {
      i++;
      while (i < n && isOws(value.charCodeAt(i))) i++;
      const paramStart = i;
      while (i < n && isTchar(value.charCodeAt(i))) i++;
      if (i === paramStart) throw unexpected(EXTENSIONS, value, i);
      const paramName = value.slice(paramStart, i);
      // BWS around "=" is tolerated, as python-websockets does.
      while (i < n && isOws(value.charCodeAt(i))) i++;
      if (i < n && value.charCodeAt(i) === EQUALS) {
        i++;
        while (i < n && isOws(value.charCodeAt(i))) i++;
        let paramValue: string;
        if (i < n && value.charCodeAt(i) === DQUOTE) {
          // quoted-string whose unescaped content must be a token (RFC 6455 §9.1), so
          // only tchar may appear, plain or escaped; anything else is an error.
          i++;
          paramValue = '';
          let run = i;
          for (;;) {
            if (i === n) throw syntaxError(EXTENSIONS, 'unterminated quoted string');
            const code = value.charCodeAt(i);
            if (code === DQUOTE) break;
            if (code === BACKSLASH) {
              paramValue += value.slice(run, i);
              i++;
              if (i === n) throw syntaxError(EXTENSIONS, 'unterminated quoted string');
              if (!isTchar(value.charCodeAt(i))) throw unexpected(EXTENSIONS, value, i);
              run = i;
            } else if (!isTchar(code)) {
              throw unexpected(EXTENSIONS, value, i);
            }
            i++;
          }
          paramValue += value.slice(run, i);
          i++; // closing quote
          if (paramValue.length === 0) {
            throw syntaxError(EXTENSIONS, `empty quoted value of parameter ${paramName}`);
          }
        } else {
          const valueStart = i;
          while (i < n && isTchar(value.charCodeAt(i))) i++;
          if (i === valueStart) throw unexpected(EXTENSIONS, value, i);
          paramValue = value.slice(valueStart, i);
        }
        params.push({ name: paramName, value: paramValue });
        while (i < n && isOws(value.charCodeAt(i))) i++;
      } else {
        params.push({ name: paramName, value: true });
      }
    }

    if (i < n && value.charCodeAt(i) !== COMMA) throw unexpected(EXTENSIONS, value, i);
    out.push({ name, params });
  }
}

/**
 * Parse a `Sec-WebSocket-Extensions` header (RFC 6455 §9.1):
 * `name; p1; p2=token; p3="quoted"` elements separated by commas. Offers keep
 * the header's order; parameters keep their order and duplicates, so an
 * extension can see (and decline) a repeated parameter. Quoted values are
 * unescaped and must be tokens afterwards.
 *
 * @param value One field value, or several (a repeated header).
 * @throws {WebSocketError} `WS_ERR_HANDSHAKE` (HTTP 400) on any syntax error,
 *   including a header with no element at all (`1#extension`).
 *
 * @example
 * ```ts
 * parseExtensions('permessage-deflate; client_max_window_bits, x-foo; a="1"');
 * // [{ name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true }] },
 * //  { name: 'x-foo', params: [{ name: 'a', value: '1' }] }]
 * ```
 */
export function parseExtensions(value: string | readonly string[]): ExtensionOffer[] {
  const out: ExtensionOffer[] = [];
  if (typeof value === 'string') scanExtensions(value, out);
  else for (const v of value) scanExtensions(v, out);
  if (out.length === 0) throw syntaxError(EXTENSIONS, 'no extension');
  return out;
}

function invalidArgument(message: string): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_ARGUMENT', message, { side: 'local', closeCode: 1011 });
}

/** Quote `value` as an RFC 7230 quoted-string, escaping `"` and `\`. */
function quote(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // qdtext / quoted-pair allow HTAB, SP, VCHAR and obs-text: no other control character.
    if ((code < SP && code !== HTAB) || code === 0x7f || code > 0xff) {
      throw invalidArgument(`Extension parameter value ${JSON.stringify(value)} cannot be quoted`);
    }
    out += code === DQUOTE || code === BACKSLASH ? `\\${value[i]}` : value[i];
  }
  return `${out}"`;
}

/**
 * Serialize extension offers or responses as a `Sec-WebSocket-Extensions`
 * value: `name; flag; key=value`, elements joined by `", "`. A value is quoted
 * only when it is not a token. Round-trips with {@link parseExtensions}.
 *
 * @throws {WebSocketError} `WS_ERR_INVALID_ARGUMENT` (local) for a name that is
 *   not a token or a value with control characters.
 *
 * @example
 * ```ts
 * serializeExtensions([{ name: 'permessage-deflate', params: [{ name: 'server_max_window_bits', value: '10' }] }]);
 * // 'permessage-deflate; server_max_window_bits=10'
 * ```
 */
export function serializeExtensions(offers: readonly ExtensionOffer[]): string {
  let out = '';
  for (let k = 0; k < offers.length; k++) {
    const offer = offers[k];
    if (!isToken(offer.name)) throw invalidArgument(`Extension name ${JSON.stringify(offer.name)} is not a token`);
    if (k > 0) out += ', ';
    out += offer.name;
    for (const param of offer.params) {
      if (!isToken(param.name)) {
        throw invalidArgument(`Extension parameter name ${JSON.stringify(param.name)} is not a token`);
      }
      out += `; ${param.name}`;
      if (param.value !== true) out += `=${isToken(param.value) ? param.value : quote(param.value)}`;
    }
  }
  return out;
}
