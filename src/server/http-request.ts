/**
 * The HTTP/1.1 request-head parser of the standalone server (RFC 9112 §2–§5).
 *
 * `serve()` does not use `node:http`, so it reads the WebSocket upgrade
 * request itself with {@link RequestHeadParser}: a strict, incremental,
 * pure parser (no sockets, no timers) in the manner of h11 and llhttp's
 * strict mode. Bytes go in with `push(chunk)`; once the blank line that ends
 * the head has arrived, `push` returns the {@link ParsedRequest} and the bytes
 * after the head (the client's first WebSocket frames, if it pipelined them)
 * wait in `trailing`.
 *
 * It runs in linear time however the head is split: the parser remembers how
 * far it has searched for the end of the head (h11's `_receivebuffer.py`
 * idea), copies each byte once into a buffer that grows geometrically up to
 * `maxHeaderBytes`, and parses the lines once, when the head is complete.
 * Framing errors that can be seen byte by byte (bare CR, bare LF, NUL, size,
 * header count) are raised as soon as the offending byte arrives.
 *
 * Every rejection is a remote {@link WebSocketError} with code
 * `WS_ERR_HANDSHAKE`, an `status` (400; 431 for a head over the limits;
 * 505 for an HTTP major version other than 1) and a short reason, ready for
 * `error.httpResponse()`.
 *
 * @module
 */
import type { RequestInfo } from '../websocket/options.js';
import { WebSocketError, localError } from '../protocol/errors.js';
import { checkFraming, headError, isAbsoluteForm } from './http-framing.js';
import { TOKEN_CHARS } from '../protocol/headers.js';
import { OCTETS } from '../protocol/octets.js';

/** Size limits of a request head, each checked as soon as it is exceeded (431). */
export interface RequestHeadLimits {
  /**
   * Largest head in bytes: request line, header lines, leading empty lines
   * and the final blank line, CRLFs included. Default 16 KiB, the default of
   * node's `--max-http-header-size`; an upgrade request needs far less.
   */
  readonly maxHeaderBytes: number;
  /** Most header fields (lines) accepted. Default 100, as node:http's `maxHeadersCount`. */
  readonly maxHeaderCount: number;
}

/** The defaults of {@link RequestHeadLimits}. */
export const DEFAULT_REQUEST_HEAD_LIMITS: Readonly<RequestHeadLimits> = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
});

/**
 * A parsed request head, shaped like node:http's `IncomingMessage` fields.
 *
 * `headers` has lower-case names and inherits no properties (a header named
 * `__proto__` or `constructor` is just a header). A field that appears once maps to its
 * value; a field that appears more than once maps to the array of all its
 * values in order of arrival, so the caller can see, and reject, a repeated
 * `Sec-WebSocket-Key`. `set-cookie` is always an array, as in node.
 * Values are decoded as Latin-1 (obs-text bytes survive unchanged) and
 * trimmed of optional whitespace.
 */
export interface ParsedRequest extends RequestInfo {
  /** The method token, case preserved (`GET`). */
  method: string;
  /** The request-target as received: origin-form (`/chat?x=1`) or absolute-form (`http://host/chat`). */
  url: string;
  /** `"1.1"`, or `"1.0"`: see {@link RequestHeadParser} for what is left to the caller. */
  httpVersion: string;
  /** Always 1 (other majors are rejected with 505). */
  httpVersionMajor: number;
  /** Minor version digit. */
  httpVersionMinor: number;
  /** Header fields by lower-case name; repeated fields as `string[]` (see above). */
  headers: Record<string, string | string[]>;
  /** `[name, value, name, value, …]` in order of arrival, names with their original case. */
  rawHeaders: string[];
}

// Byte classes, looked up in one table (ws's validation.js idea: no regex on the hot path).
const TCHAR = 1; // RFC 9110 §5.6.2 token character
const VALUE = 2; // RFC 9110 §5.5 field-vchar / SP / HTAB (obs-text included)
const TARGET = 4; // visible ASCII except '#': a fragment never travels in a request-target
const CLASS = new Uint8Array(256);
for (let b = 0x21; b < 0x7f; b++) CLASS[b] = VALUE | TARGET;
for (let b = 0x80; b < 0x100; b++) CLASS[b] = VALUE;
CLASS[0x20] = VALUE;
CLASS[0x09] = VALUE;
CLASS[0x23] &= ~TARGET;
for (let b = 0; b < 256; b++) if (TOKEN_CHARS[b] === 1) CLASS[b] |= TCHAR; // one tchar definition, in protocol/headers.ts
const { COLON, CR, HTAB, LF, SP } = OCTETS; // own constants for the loops: see octets.ts

/**
 * Empty lines ignored before the request line. RFC 9112 §2.2 asks servers to
 * ignore at least one (left over after a previous body); more is noise.
 */
const MAX_LEADING_EMPTY_LINES = 4;
/** First buffer size; it doubles as needed, up to `maxHeaderBytes`. */
const INITIAL_CAPACITY = 1024;
const EMPTY = new Uint8Array(0);

/**
 * Constructor of header dictionaries without inherited properties, so that
 * `__proto__` or `constructor` are ordinary field names. Node's querystring
 * trick: its instances stay fast objects, where `Object.create(null)` makes a
 * slow dictionary (measured: about 0.3 µs more per six-field head).
 */
const HeaderFields = function HeaderFields(): void {} as unknown as new () => Record<string, string | string[]>;
HeaderFields.prototype = Object.create(null);

/**
 * Strict, incremental HTTP/1.1 request-head parser.
 *
 * What it rejects (RFC 9112; 400 unless told):
 * - a line that ends in a bare LF or contains a bare CR; a NUL byte anywhere;
 * - a request line other than `method SP request-target SP HTTP/x.y` with a
 *   token method, single spaces, a non-empty target of visible ASCII without
 *   `#`; a target that is neither origin-form (`/…`) nor absolute-form
 *   (`http://`, `https://`, `ws://` or `wss://` plus an authority);
 *   asterisk-form and authority-form never ask for an upgrade;
 * - an HTTP major version other than 1 (505); `HTTP/1.0` is returned, not
 *   rejected, so the upgrade acceptor answers it with its own reason
 *   (RFC 6455 §4.1 requires HTTP/1.1 or higher);
 * - a header line without a colon, with an empty or non-token name, with
 *   whitespace before the colon (a request smuggling vector), starting with
 *   whitespace (obs-fold, RFC 9112 §5.2), or with a control character other
 *   than HTAB in its value;
 * - more than `maxHeaderBytes` bytes before the end of the head, or more than
 *   `maxHeaderCount` header fields (431), as soon as the limit is passed;
 * - more than 4 empty lines before the request line;
 * - for HTTP/1.1 and later, a missing or repeated `Host` (RFC 9112 §3.2 MUST);
 * - request smuggling: a repeated or non-numeric `Content-Length`, both
 *   `Transfer-Encoding` and `Content-Length`, `Transfer-Encoding` on
 *   HTTP/1.0; and, on a request that asks for an upgrade (an `Upgrade`
 *   field, or `upgrade` among the `Connection` options), any
 *   `Transfer-Encoding` or a `Content-Length` other than 0, because the bytes
 *   after an upgrade request's head belong to the new protocol: it must not
 *   have a body.
 *
 * After a rejection the parser rethrows the same error on every push.
 *
 * @example
 * ```ts
 * const parser = new RequestHeadParser({ maxHeaderBytes: 8192 });
 * socket.on('data', (chunk) => {
 *   let request;
 *   try { request = parser.push(chunk); }
 *   catch (error) { socket.end((error as WebSocketError).httpResponse()); return; }
 *   if (request) accept(request, parser.trailing);
 * });
 * ```
 */
export class RequestHeadParser {
  #maxBytes: number;
  #maxCount: number;

  // Bytes of an incomplete head, copied once each; allocated when a head spans chunks.
  #buf: Uint8Array = EMPTY;
  #len = 0;
  // The scan state, so that no byte is examined twice across pushes.
  #scan = 0; // next byte to examine
  #lineStart = 0; // first byte of the line being scanned
  #start = 0; // first byte of the request line (after ignored empty lines)
  #leading = 0; // empty lines ignored so far
  #lines = 0; // non-empty lines so far (request line + header lines)
  #examined = 0;

  #done = false;
  #failure: WebSocketError | undefined;
  #trailing: Uint8Array = EMPTY;

  constructor(limits: Partial<RequestHeadLimits> = {}) {
    const maxBytes = limits.maxHeaderBytes ?? DEFAULT_REQUEST_HEAD_LIMITS.maxHeaderBytes;
    const maxCount = limits.maxHeaderCount ?? DEFAULT_REQUEST_HEAD_LIMITS.maxHeaderCount;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw localError('WS_ERR_INVALID_ARGUMENT', 'maxHeaderBytes must be a positive integer');
    }
    if (!Number.isSafeInteger(maxCount) || maxCount < 0) {
      throw localError('WS_ERR_INVALID_ARGUMENT', 'maxHeaderCount must be a non-negative integer');
    }
    this.#maxBytes = maxBytes;
    this.#maxCount = maxCount;
  }

  /**
   * Bytes received after the head: the start of the WebSocket stream. Empty
   * until `push` has returned a request; then a view into the last chunk
   * pushed (not a copy).
   */
  get trailing(): Uint8Array {
    return this.#trailing;
  }

  /**
   * Diagnostic for tests: how many byte positions the parser has examined so
   * far, searching and parsing. It stays within twice the head size however
   * the head is split, which is what makes a byte-at-a-time feed linear.
   */
  get bytesExamined(): number {
    return this.#examined;
  }

  /**
   * Feed bytes. Returns undefined while the head is incomplete, and the
   * parsed request once the blank line that ends it has arrived.
   *
   * @throws {@link WebSocketError} `WS_ERR_HANDSHAKE` (remote, `status`
   * 400, 431 or 505) for a bad head; `WS_ERR_INVALID_STATE` (local) when
   * called again after a request was returned.
   */
  push(chunk: Uint8Array): ParsedRequest | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#done) throw localError('WS_ERR_INVALID_STATE', 'the request head was already parsed');
    try {
      return this.#push(chunk);
    } catch (error) {
      if (error instanceof WebSocketError) this.#failure = error;
      throw error;
    }
  }

  #push(chunk: Uint8Array): ParsedRequest | undefined {
    const before = this.#len;
    // Bytes beyond maxHeaderBytes can only be part of an oversized head or
    // of the trailing data, which is taken from the chunk itself: never copy them.
    const take = Math.min(chunk.length, this.#maxBytes - before);
    if (before === 0) {
      // Nothing buffered (the usual case: the whole head in one chunk): scan
      // the chunk in place and copy it only if the head goes on.
      const end = this.#search(chunk, take);
      if (end >= 0) return this.#finish(chunk, end, chunk.subarray(end));
      this.#append(chunk, take);
    } else {
      this.#append(chunk, take);
      const end = this.#search(this.#buf, this.#len);
      if (end >= 0) return this.#finish(this.#buf, end, chunk.subarray(end - before));
    }
    if (this.#len === this.#maxBytes) throw headError(431, `request head larger than ${this.#maxBytes} bytes`);
    return undefined;
  }

  /** Copy `chunk[0..take)` after the buffered bytes, growing the buffer geometrically. */
  #append(chunk: Uint8Array, take: number): void {
    const before = this.#len;
    if (before + take > this.#buf.length) {
      const capacity = Math.max(before + take, this.#buf.length * 2, INITIAL_CAPACITY);
      const grown = new Uint8Array(Math.min(this.#maxBytes, capacity));
      grown.set(this.#buf.subarray(0, before));
      this.#buf = grown;
    }
    this.#buf.set(take === chunk.length ? chunk : chunk.subarray(0, take), before);
    this.#len = before + take;
  }

  /** The head is `buf[0..end)`: parse it and keep what followed it. */
  #finish(buf: Uint8Array, end: number, trailing: Uint8Array): ParsedRequest {
    const request = this.#parse(buf, end);
    this.#done = true;
    this.#buf = EMPTY;
    this.#trailing = trailing;
    return request;
  }

  /**
   * Scan the bytes not examined yet for the end of the head. Returns the
   * index just past the final CRLF, or -1. Checks line endings, NUL and the
   * header count on the way.
   */
  #search(buf: Uint8Array, len: number): number {
    const from = this.#scan;
    let lineStart = this.#lineStart;
    let end = -1;
    let i = from;
    let prev = from > 0 ? buf[from - 1] : 0;
    for (; i < len; prev = buf[i++]) {
      const b = buf[i];
      if (b === LF) {
        if (prev !== CR) throw headError(400, 'bare LF line ending');
        if (i - 1 === lineStart) {
          if (this.#lines > 0) {
            end = i + 1;
            break;
          }
          if (++this.#leading > MAX_LEADING_EMPTY_LINES) throw headError(400, 'too many empty lines before the request line');
          this.#start = i + 1;
        } else if (++this.#lines - 1 > this.#maxCount) {
          throw headError(431, `more than ${this.#maxCount} header fields`);
        }
        lineStart = i + 1;
      } else if (prev === CR) {
        throw headError(400, 'bare CR in request head');
      } else if (b === 0) {
        throw headError(400, 'NUL byte in request head');
      }
    }
    this.#examined += (end < 0 ? i : i + 1) - from;
    this.#scan = i;
    this.#lineStart = lineStart;
    return end;
  }

  /** Parse the complete head `buf[start..end)`; every line is known to end in CRLF. */
  #parse(buf: Uint8Array, end: number): ParsedRequest {
    const start = this.#start;
    // One decoding for the whole head; names and values are slices of it.
    const text = Buffer.from(buf.buffer, buf.byteOffset, end).toString('latin1', start, end);
    this.#examined += end - start;

    // Request line (RFC 9112 §3): method SP request-target SP HTTP-version.
    const lineEnd = buf.indexOf(CR, start);
    let p = start;
    while (p < lineEnd && (CLASS[buf[p]] & TCHAR) !== 0) p++;
    if (p === start || buf[p] !== SP) throw headError(400, 'malformed request line: bad method');
    const method = text.slice(0, p - start);
    const targetStart = ++p;
    while (p < lineEnd && (CLASS[buf[p]] & TARGET) !== 0) p++;
    if (p === targetStart) throw headError(400, 'malformed request line: empty request-target');
    if (p === lineEnd || buf[p] !== SP) throw headError(400, 'malformed request line: bad request-target');
    const targetEnd = p++;
    // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive, and nothing after it.
    if (
      lineEnd - p !== 8 ||
      buf[p] !== 0x48 || buf[p + 1] !== 0x54 || buf[p + 2] !== 0x54 || buf[p + 3] !== 0x50 || buf[p + 4] !== 0x2f ||
      !isDigit(buf[p + 5]) || buf[p + 6] !== 0x2e || !isDigit(buf[p + 7])
    ) {
      throw headError(400, 'malformed request line: bad HTTP version');
    }
    const major = buf[p + 5] - 0x30;
    const minor = buf[p + 7] - 0x30;
    // Checked before the target form, so an HTTP/2 preface (`PRI * HTTP/2.0`) gets 505.
    if (major !== 1) throw headError(505, `HTTP/${major}.${minor} is not supported`);
    const url = text.slice(targetStart - start, targetEnd - start);
    if (buf[targetStart] !== 0x2f && !isAbsoluteForm(url)) {
      throw headError(400, 'request-target is neither origin-form nor absolute-form');
    }

    // Header fields (RFC 9112 §5): field-name ":" OWS field-value OWS.
    const headers = new HeaderFields();
    const rawHeaders: string[] = [];
    let ls = lineEnd + 2;
    for (let le = buf.indexOf(CR, ls); le !== ls; ls = le + 2, le = buf.indexOf(CR, ls)) {
      const first = buf[ls];
      if (first === SP || first === HTAB) {
        throw headError(400, rawHeaders.length === 0 ? 'whitespace before the first header field' : 'obsolete line folding');
      }
      p = ls;
      while (p < le && (CLASS[buf[p]] & TCHAR) !== 0) p++;
      if (p === le) throw headError(400, 'header field without a colon');
      const c = buf[p];
      if (c !== COLON) {
        throw headError(400, c === SP || c === HTAB ? 'whitespace between header name and colon' : 'invalid character in header name');
      }
      if (p === ls) throw headError(400, 'empty header name');
      let vs = p + 1;
      let ve = le;
      while (vs < ve && (buf[vs] === SP || buf[vs] === HTAB)) vs++;
      while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
      for (let q = vs; q < ve; q++) {
        if ((CLASS[buf[q]] & VALUE) === 0) throw headError(400, 'invalid character in header value');
      }
      const name = text.slice(ls - start, p - start);
      const value = text.slice(vs - start, ve - start);
      rawHeaders.push(name, value);
      const key = name.toLowerCase();
      const previous = headers[key];
      if (previous === undefined) headers[key] = key === 'set-cookie' ? [value] : value;
      else if (typeof previous === 'string') headers[key] = [previous, value];
      else previous.push(value);
    }

    checkFraming(headers, minor);
    return { method, url, httpVersion: `${major}.${minor}`, httpVersionMajor: major, httpVersionMinor: minor, headers, rawHeaders };
  }
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}
