/**
 * permessage-deflate (RFC 7692): options and negotiation for both roles.
 *
 * `permessageDeflate(options)` returns an {@link ExtensionFactory}. On a
 * server its `accept(offers)` takes the first acceptable offer (§5.1: a server
 * declines an offer with an unknown, repeated or invalid parameter, and tries
 * the next); on a client `offer()` builds the request and `complete(response)`
 * checks the server's answer (§7.1: fail the connection on anything not
 * offered or out of range). The agreed parameters go to a
 * {@link PerMessageDeflate}, which does the compressing.
 *
 * Parameters (§7.1), seen from each side:
 *
 * | parameter                    | in an offer (client)                  | in a response (server)                      |
 * | ---------------------------- | ------------------------------------- | ------------------------------------------- |
 * | `server_no_context_takeover` | asks the server not to keep context   | the server will not (it may say so unasked) |
 * | `client_no_context_takeover` | the client will not keep context      | the client must not (may be sent unasked)   |
 * | `server_max_window_bits=N`   | server window ≤ N; must be answered   | server window ≤ N (may be sent unasked)     |
 * | `client_max_window_bits[=N]` | the client supports the parameter     | client window ≤ N; only if offered          |
 *
 * @module
 */
import { WebSocketError } from '../protocol/errors.js';
import type { Extension, ExtensionFactory, ExtensionOffer, ExtensionParam } from '../protocol/extension.js';
import { PerMessageDeflate } from './deflate-codec.js';
import { ZlibPool, sharedZlibPool } from './zlib-pool.js';
import { checkDeflateOptions } from './deflate-options.js';

const NAME = 'permessage-deflate';

/** Options of {@link permessageDeflate}, each with its default and reason. */
export interface DeflateOptions {
  /**
   * Server: always tell clients that the server compresses each message on
   * its own (no memory kept between messages; lower ratio). Client: ask the
   * server for that, and refuse an answer that does not agree. Default false.
   */
  readonly serverNoContextTakeover?: boolean;
  /**
   * Server: require clients to compress each message on its own (lets the
   * server keep no window per connection). Client: promise it in the offer
   * and honour it. Default false.
   */
  readonly clientNoContextTakeover?: boolean;
  /**
   * Largest LZ77 window the server compresses with, 8..15 (2^N bytes).
   * Server: the cap it announces; client: the cap it asks for (15 asks
   * nothing). Default 15: the best ratio. See `memLevel` for what the
   * window costs in memory.
   */
  readonly serverMaxWindowBits?: number;
  /**
   * Largest window the client compresses with, 8..15, or `true`. Client:
   * `true` offers `client_max_window_bits` without a value (lets the server
   * choose), a number offers that cap. Server: a number caps clients that
   * offered the parameter, `true` leaves them free. Default `true`.
   */
  readonly clientMaxWindowBits?: number | true;
  /**
   * zlib compression level, 0..9 (or -1 for zlib's default, 6). Default 1:
   * on JSON-like traffic it is 2–4× faster than 6 for messages of 16 KiB and
   * more and costs ~20 % in ratio (0.29 vs 0.23 with context takeover);
   * below 16 KiB the time goes to setup, not to the level. ws and
   * python-websockets use 6.
   */
  readonly level?: number;
  /**
   * zlib memLevel, 1..9. A deflate context takes 2^(windowBits+2) +
   * 2^(memLevel+9) bytes (zlib's formula): 256 KiB at 15/8, 144 KiB at
   * 12/8, 32 KiB at 12/5, plus ~6 KiB. Default 8 (zlib's); python-websockets
   * servers use window 12 and memLevel 5 to save memory.
   */
  readonly memLevel?: number;
  /**
   * Messages shorter than this many bytes are sent uncompressed (RSV1 clear):
   * deflate's setup costs more than it saves on them. Default 1024, as ws.
   */
  readonly threshold?: number;
  /**
   * Asynchronous zlib operations at once. Default: a pool of 10 shared by the
   * whole process, as ws. A number gives this factory a pool of its own,
   * shared by all its connections.
   */
  readonly concurrency?: number;
  /**
   * With context takeover, release a connection's deflate context after this
   * many ms without sending a compressed message (the next message starts a
   * fresh context: still valid, a little less compressed). Default 10,000.
   * `Infinity` keeps contexts for the connection's lifetime, as ws does.
   */
  readonly contextIdleTimeout?: number;
}

/** The checked options with defaults applied. */
interface Resolved {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number | true;
  readonly level: number;
  readonly memLevel: number;
  readonly threshold: number;
  readonly idleTimeout: number;
  readonly pool: ZlibPool;
}

/** Parameters as found in an offer or a response; `true` for client_max_window_bits without a value. */
interface Parsed {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | true | undefined;
}

function invalidOption(message: string): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_ARGUMENT', `permessage-deflate: ${message}`, { side: 'local', closeCode: 1011 });
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function resolve(options: DeflateOptions): Resolved {
  const clientBits = options.clientMaxWindowBits ?? true;
  const threshold = options.threshold ?? 1024;
  if (!(threshold >= 0)) throw invalidOption(`threshold must be >= 0, got ${String(threshold)}`);
  const idleTimeout = options.contextIdleTimeout ?? 10_000;
  if (!(idleTimeout > 0)) throw invalidOption(`contextIdleTimeout must be > 0, got ${String(idleTimeout)}`);
  return {
    serverNoContextTakeover: options.serverNoContextTakeover ?? false,
    clientNoContextTakeover: options.clientNoContextTakeover ?? false,
    serverMaxWindowBits: checkInteger('serverMaxWindowBits', options.serverMaxWindowBits ?? 15, 8, 15),
    clientMaxWindowBits: clientBits === true ? true : checkInteger('clientMaxWindowBits', clientBits, 8, 15),
    level: checkInteger('level', options.level ?? 1, -1, 9),
    memLevel: checkInteger('memLevel', options.memLevel ?? 8, 1, 9),
    threshold,
    idleTimeout,
    pool: options.concurrency === undefined ? sharedZlibPool() : new ZlibPool({ concurrency: options.concurrency }),
  };
}

/** "8".."15" with no sign, space or leading zero (RFC 7692 §7.1.2.1: `1*DIGIT`, 8 to 15). */
function windowBits(value: string | true): number | undefined {
  if (value === true) return undefined;
  if (value.length === 1) return value === '8' || value === '9' ? Number(value) : undefined;
  if (value.length === 2 && value[0] === '1' && value[1]! >= '0' && value[1]! <= '5') return Number(value);
  return undefined;
}

/**
 * Parse the parameters of one offer (`offer: true`) or response. Returns an
 * error message for an unknown, repeated or invalid parameter (RFC 7692 §7:
 * the server declines such an offer; the client fails the connection).
 */
function parse(params: readonly ExtensionParam[], offer: boolean): Parsed | string {
  const parsed: Parsed = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const { name, value } of params) {
    if (seen.has(name)) return `duplicate parameter ${name}`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return `parameter ${name} takes no value`;
        if (name === 'server_no_context_takeover') parsed.serverNoContextTakeover = true;
        else parsed.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        const bits = windowBits(value);
        if (bits === undefined) return `invalid value of server_max_window_bits`;
        parsed.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        // Only an offer may carry it without a value (§7.1.2.2).
        if (value === true && offer) {
          parsed.clientMaxWindowBits = true;
          break;
        }
        const bits = windowBits(value);
        if (bits === undefined) return `invalid value of client_max_window_bits`;
        parsed.clientMaxWindowBits = bits;
        break;
      }
      default:
        return `unknown parameter ${name}`;
    }
  }
  return parsed;
}

function param(name: string, value: string | true = true): ExtensionParam {
  return { name, value };
}

function handshakeFailed(message: string): WebSocketError {
  return new WebSocketError('WS_ERR_HANDSHAKE', `permessage-deflate: ${message}`, { side: 'remote' });
}

/** Server side (RFC 7692 §7.1): the response to one valid offer, and the codec it implies. */
function acceptOffer(options: Resolved, offer: Parsed): { response: ExtensionOffer; extension: Extension } {
  const params: ExtensionParam[] = [];
  // We can always honour a request not to keep context; echoing the client's
  // own promise lets us keep no window for it.
  const serverNoContext = options.serverNoContextTakeover || offer.serverNoContextTakeover;
  const clientNoContext = options.clientNoContextTakeover || offer.clientNoContextTakeover;
  if (serverNoContext) params.push(param('server_no_context_takeover'));
  if (clientNoContext) params.push(param('client_no_context_takeover'));

  // An offered server_max_window_bits must be answered with that value or less (§7.1.2.1).
  let serverBits = options.serverMaxWindowBits;
  if (offer.serverMaxWindowBits !== undefined) serverBits = Math.min(serverBits, offer.serverMaxWindowBits);
  if (serverBits < 15 || offer.serverMaxWindowBits !== undefined) params.push(param('server_max_window_bits', String(serverBits)));

  // client_max_window_bits may be answered only if offered (§7.1.2.2).
  let clientBits = 15;
  if (offer.clientMaxWindowBits !== undefined) {
    const offered = offer.clientMaxWindowBits === true ? 15 : offer.clientMaxWindowBits;
    const limit = options.clientMaxWindowBits === true ? 15 : options.clientMaxWindowBits;
    clientBits = Math.min(offered, limit);
    if (clientBits < 15 || offer.clientMaxWindowBits !== true) params.push(param('client_max_window_bits', String(clientBits)));
  }

  const extension = new PerMessageDeflate({
    params,
    localNoContextTakeover: serverNoContext,
    remoteNoContextTakeover: clientNoContext,
    localMaxWindowBits: serverBits,
    remoteMaxWindowBits: clientBits,
    level: options.level,
    memLevel: options.memLevel,
    threshold: options.threshold,
    idleTimeout: options.idleTimeout,
    pool: options.pool,
  });
  return { response: { name: NAME, params }, extension };
}

/** Client side: the one offer we send. */
function buildOffer(options: Resolved): ExtensionOffer {
  const params: ExtensionParam[] = [];
  if (options.serverNoContextTakeover) params.push(param('server_no_context_takeover'));
  if (options.clientNoContextTakeover) params.push(param('client_no_context_takeover'));
  if (options.serverMaxWindowBits < 15) params.push(param('server_max_window_bits', String(options.serverMaxWindowBits)));
  const clientBits = options.clientMaxWindowBits;
  params.push(clientBits === true ? param('client_max_window_bits') : param('client_max_window_bits', String(clientBits)));
  return { name: NAME, params };
}

/** Client side (RFC 7692 §7.1): check the server's answer to {@link buildOffer}. */
function completeResponse(options: Resolved, response: ExtensionOffer): Extension {
  if (response.name !== NAME) throw handshakeFailed(`unexpected extension ${response.name}`);
  const answer = parse(response.params, false);
  if (typeof answer === 'string') throw handshakeFailed(answer);
  if (options.serverNoContextTakeover && !answer.serverNoContextTakeover) {
    throw handshakeFailed('the server did not accept server_no_context_takeover');
  }
  const askedServerBits = options.serverMaxWindowBits < 15 ? options.serverMaxWindowBits : undefined;
  if (askedServerBits !== undefined) {
    if (answer.serverMaxWindowBits === undefined) throw handshakeFailed('the server did not answer server_max_window_bits');
    if (answer.serverMaxWindowBits > askedServerBits) throw handshakeFailed('server_max_window_bits above the offered value');
  }
  // We always offer client_max_window_bits, so the server may answer any valid value up to ours.
  const offeredClientBits = options.clientMaxWindowBits === true ? 15 : options.clientMaxWindowBits;
  if (answer.clientMaxWindowBits !== undefined && answer.clientMaxWindowBits !== true && answer.clientMaxWindowBits > offeredClientBits) {
    throw handshakeFailed('client_max_window_bits above the offered value');
  }
  const clientBits = typeof answer.clientMaxWindowBits === 'number' ? answer.clientMaxWindowBits : offeredClientBits;
  return new PerMessageDeflate({
    params: response.params,
    // Having offered client_no_context_takeover, we keep that promise whatever the answer.
    localNoContextTakeover: options.clientNoContextTakeover || answer.clientNoContextTakeover,
    remoteNoContextTakeover: answer.serverNoContextTakeover,
    localMaxWindowBits: clientBits,
    remoteMaxWindowBits: answer.serverMaxWindowBits ?? 15,
    level: options.level,
    memLevel: options.memLevel,
    threshold: options.threshold,
    idleTimeout: options.idleTimeout,
    pool: options.pool,
  });
}

/**
 * The permessage-deflate extension (RFC 7692) for servers and clients.
 *
 * @throws {WebSocketError} `WS_ERR_INVALID_ARGUMENT` (local) for an option out of range.
 *
 * @example
 * ```ts
 * import { attach, connect } from 'ws4ts';
 * import { permessageDeflate } from 'ws4ts/extensions';
 *
 * // server
 * attach(server, { '/chat': { handler: Chat, extensions: [permessageDeflate()] } });
 * // client
 * const ws = await connect('ws://127.0.0.1:9000/chat', { extensions: [permessageDeflate()] });
 * ```
 */
export function permessageDeflate(options: DeflateOptions = {}): ExtensionFactory {
  checkDeflateOptions('permessageDeflate()', options);
  const resolved = resolve(options);
  return {
    name: NAME,
    offer: () => [buildOffer(resolved)],
    accept(offers) {
      for (const offer of offers) {
        if (offer.name !== NAME) continue;
        const parsed = parse(offer.params, true);
        if (typeof parsed === 'string') continue; // decline this offer, try the next (§7)
        return acceptOffer(resolved, parsed);
      }
      return undefined;
    },
    complete: (response) => completeResponse(resolved, response),
  };
}
