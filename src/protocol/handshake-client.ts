/**
 * The client's side of the opening handshake (RFC 6455 §4.1): the key
 * ({@link generateKey}, in `handshake.ts`), build the request, validate the
 * response.
 *
 * {@link validateResponse} returns `{ ok: true, … }` or `{ ok: false, error }`
 * (the convention of `handshake.ts`).
 *
 * @module
 */
import { WebSocketError } from './errors.js';
import type { Extension, ExtensionFactory, ExtensionOffer } from './extension.js';
import { type HttpHeaders, isToken, parseExtensions, parseTokenList } from './headers.js';
import { acceptKey, checkProtocols, checkValue, extraHeaders, invalidArgument, isValidKey, single, upgradeProblem } from './handshake.js';

/** Result of {@link validateResponse}: what the server agreed to, or why its answer is refused. */
export type ResponseCheck =
  | {
      readonly ok: true;
      /** The subprotocol the server selected, if any. */
      readonly protocol: string | undefined;
      /** The negotiated extensions, built by their factories, in the server's order. */
      readonly extensions: Extension[];
    }
  | { readonly ok: false; readonly error: WebSocketError };

// Header names a caller may not pass in `headers`: the handshake writes them itself.
const RESERVED_REQUEST = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'origin',
]);

/**
 * The client's opening handshake request head (RFC 6455 §4.1), ending with
 * the blank line.
 *
 * @param options.host The `Host` value (`host` or `host:port`).
 * @param options.path The request target (`/path?query`), starting with `/`.
 * @param options.key From {@link generateKey}.
 * @param options.protocols Subprotocols to offer: tokens, no duplicates.
 * @param options.extensions A `Sec-WebSocket-Extensions` value (see {@link serializeExtensions}).
 * @throws {WebSocketError} `WS_ERR_INVALID_ARGUMENT` (local) for an invalid key, path,
 *   subprotocol or header value.
 *
 * @example
 * ```ts
 * const key = generateKey();
 * socket.write(buildRequest({ host: 'example.com', path: '/chat', key, protocols: ['chat'] }));
 * ```
 */
export function buildRequest(options: {
  host: string;
  path: string;
  key: string;
  protocols?: readonly string[];
  extensions?: string;
  origin?: string;
  headers?: Record<string, string>;
}): string {
  const { path, key, protocols } = options;
  if (path.length === 0 || path.charCodeAt(0) !== 0x2f) throw invalidArgument('The request path must start with "/"');
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    // A request-target has no whitespace or control characters (RFC 7230 §5.3).
    if (code <= 0x20 || code === 0x7f) throw invalidArgument('Invalid character in the request path');
  }
  if (!isValidKey(key)) throw invalidArgument('Invalid Sec-WebSocket-Key');
  if (options.host.length === 0) throw invalidArgument('Missing host');

  let head =
    `GET ${path} HTTP/1.1\r\nHost: ${checkValue('Host', options.host)}\r\n` +
    `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
  if (protocols !== undefined && protocols.length > 0) {
    checkProtocols(protocols);
    head += `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n`;
  }
  if (options.extensions !== undefined) {
    head += `Sec-WebSocket-Extensions: ${checkValue('Sec-WebSocket-Extensions', options.extensions)}\r\n`;
  }
  if (options.origin !== undefined) head += `Origin: ${checkValue('Origin', options.origin)}\r\n`;
  return `${head}${extraHeaders(options.headers, RESERVED_REQUEST)}\r\n`;
}

/** A bad answer from the server: a remote handshake error. */
function responseError(message: string, cause?: unknown): WebSocketError {
  return new WebSocketError('WS_ERR_HANDSHAKE', message, {
    side: 'remote',
    ...(cause === undefined ? {} : { cause }),
  });
}

function refused(message: string, cause?: unknown): ResponseCheck {
  return { ok: false, error: responseError(message, cause) };
}

/**
 * Check the server's answer to our opening handshake (RFC 6455 §4.1, client
 * steps 1–6) and build the negotiated extensions with each factory's
 * `complete()`. A `Sec-WebSocket-Protocol` the server leaves out means no
 * subprotocol (as browsers and python-websockets read it).
 *
 * @returns `{ ok: true, protocol, extensions }`, or `{ ok: false, error }` with
 *   a remote `WS_ERR_HANDSHAKE` {@link WebSocketError} when the status is not
 *   101, `Upgrade`/`Connection` are wrong, `Sec-WebSocket-Accept` does not
 *   match, or the subprotocol or an extension was not offered (also for an
 *   extension named twice or two extensions claiming the same RSV bit).
 *
 * @example
 * ```ts
 * const check = validateResponse(
 *   { status: res.statusCode, headers: res.headers },
 *   { key, protocols: ['chat'], extensions: [deflate] },
 * );
 * if (!check.ok) throw check.error;
 * const { protocol, extensions } = check;
 * ```
 */
export function validateResponse(
  response: { status: number; headers: HttpHeaders },
  expected: { key: string; protocols: readonly string[]; extensions: readonly ExtensionFactory[] },
): ResponseCheck {
  const { headers } = response;
  if (response.status !== 101) return refused(`Unexpected server response: ${response.status}`);

  const upgrade = upgradeProblem(headers);
  if (upgrade !== undefined) return refused(upgrade.message, upgrade.cause);

  const accept = single(headers, 'sec-websocket-accept');
  if (accept === null) return refused('Repeated Sec-WebSocket-Accept header');
  if (accept === undefined) return refused('Missing Sec-WebSocket-Accept header');
  if (accept !== acceptKey(expected.key)) return refused('Invalid Sec-WebSocket-Accept header');

  return checkAnswers(headers, expected);
}

/**
 * @internal
 * The server's answers to our offers, shared by HTTP/1.1 and RFC 8441: at
 * most one subprotocol, among those offered (RFC 6455 §4.1 client step 6),
 * only offered extensions, each once, no RSV bit claimed twice (step 5),
 * built by their factories. On a refusal the extensions built so far are
 * disposed (they may hold zlib state nobody else would release).
 */
export function checkAnswers(headers: HttpHeaders, expected: { protocols: readonly string[]; extensions: readonly ExtensionFactory[] }): ResponseCheck {
  let protocol: string | undefined;
  const protocolHeader = headers['sec-websocket-protocol'];
  if (protocolHeader !== undefined) {
    let protocols: string[];
    try {
      protocols = parseTokenList(protocolHeader, 'Sec-WebSocket-Protocol');
    } catch (error) {
      return refused('Invalid Sec-WebSocket-Protocol header', error);
    }
    if (protocols.length !== 1) return refused('Invalid Sec-WebSocket-Protocol header');
    protocol = protocols[0];
    if (!expected.protocols.includes(protocol)) {
      return refused(`Server sent a subprotocol that was not offered: ${protocol}`);
    }
  }

  const extensions: Extension[] = [];
  const extensionHeader = headers['sec-websocket-extensions'];
  if (extensionHeader !== undefined) {
    let answers: ExtensionOffer[];
    try {
      answers = parseExtensions(extensionHeader);
    } catch (error) {
      return refused('Invalid Sec-WebSocket-Extensions header', error);
    }
    try {
      let usedRsv = 0;
      const seen = new Set<string>();
      for (const answer of answers) {
        const factory = expected.extensions.find((f) => f.name === answer.name);
        if (factory === undefined) throw responseError(`Server sent an extension that was not offered: ${answer.name}`);
        if (seen.has(answer.name)) throw responseError(`Server sent the ${answer.name} extension twice`);
        seen.add(answer.name);
        const extension = factory.complete(answer);
        extensions.push(extension);
        if ((extension.rsvMask & usedRsv) !== 0) throw responseError(`Extensions claim the same RSV bit: ${answer.name}`);
        usedRsv |= extension.rsvMask;
      }
    } catch (error) {
      for (const extension of extensions) extension.dispose();
      // A factory refusing the answer throws a WebSocketError; anything else is wrapped.
      return { ok: false, error: error instanceof WebSocketError ? error : responseError(String(error), error) };
    }
  }
  return { ok: true, protocol, extensions };
}
