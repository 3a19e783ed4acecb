/**
 * A small typed options checker, pure (no I/O), so that every layer can
 * check its public options the same way: a `TypeError` for a wrong type, a
 * `RangeError` for a number out of range, each naming the entry point, the
 * option, the value it got and what is accepted.
 *
 * @module
 */
import { isToken } from './headers.js';

/** What was given, for an error message: the value and, where it helps, its type. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return `${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)} (a string)`;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return `a function${value.name ? ` (${value.name})` : ''}`;
    default:
      if (Array.isArray(value)) return `an array of ${value.length}`;
      return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  }
}

/** A checker bound to one entry point, e.g. `connect()`, and the object holding the options. */
export class OptionsChecker {
  readonly #where: string;
  readonly #options: Readonly<Record<string, unknown>>;
  readonly #prefix: string;

  /**
   * @param where the entry point, for messages (`connect()`)
   * @param options what was passed (checked to be a plain object, or undefined)
   * @param prefix how the options are named in messages (default `options`)
   */
  constructor(where: string, options: unknown, prefix = 'options') {
    this.#where = where;
    this.#prefix = prefix;
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw new TypeError(`${where}: ${prefix} must be an object, got ${describe(options)}`);
    }
    this.#options = (options ?? {}) as Record<string, unknown>;
  }

  /** `connect(): options.timeout`, `serve(): options.routes["/chat"]`: how messages name option `name`. */
  path(name: string): string {
    return `${this.#where}: ${this.#prefix}${/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`}`;
  }

  /** The raw value of `name`. */
  value(name: string): unknown {
    return this.#options[name];
  }

  #fail(Type: typeof TypeError | typeof RangeError, name: string, accepted: string): never {
    throw new Type(`${this.path(name)} must be ${accepted}, got ${describe(this.#options[name])}`);
  }

  /** A number in [min, max] (an integer when `integer`); `Infinity` only if max allows it. */
  number(name: string, accepted: string, { min = -Infinity, max = Infinity, integer = false, exclusiveMin = false } = {}): void {
    const value = this.#options[name];
    if (value === undefined) return;
    if (typeof value !== 'number') this.#fail(TypeError, name, accepted);
    if (Number.isNaN(value) || (integer && !Number.isInteger(value)) || value < min || (exclusiveMin && value === min) || value > max) {
      this.#fail(RangeError, name, accepted);
    }
  }

  /** A duration in ms, > 0 (finite unless `infinite`), or null when `nullable`. */
  duration(name: string, { nullable = false, zero = false, infinite = false } = {}): void {
    if (nullable && this.#options[name] === null) return;
    const accepted = `a number of ms ${zero ? '>= 0' : '> 0'}${infinite ? ' (or Infinity)' : ''}${nullable ? ', or null' : ''}`;
    this.number(name, accepted, { min: 0, exclusiveMin: !zero, max: infinite ? Infinity : Number.MAX_SAFE_INTEGER });
  }

  /** A count or size: an integer >= min (default 1). */
  count(name: string, what = 'bytes', min = 1): void {
    this.number(name, `an integer number of ${what} >= ${min}`, { min, integer: true, max: Number.MAX_SAFE_INTEGER });
  }

  boolean(name: string): void {
    const value = this.#options[name];
    if (value !== undefined && typeof value !== 'boolean') this.#fail(TypeError, name, 'true or false');
  }

  string(name: string, accepted = 'a string'): void {
    const value = this.#options[name];
    if (value !== undefined && typeof value !== 'string') this.#fail(TypeError, name, accepted);
  }

  function(name: string, accepted = 'a function'): void {
    const value = this.#options[name];
    if (value !== undefined && typeof value !== 'function') this.#fail(TypeError, name, accepted);
  }

  /** A non-null, non-array object. */
  object(name: string, accepted = 'an object'): void {
    const value = this.#options[name];
    if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) this.#fail(TypeError, name, accepted);
  }

  /** An instance of `Class`. */
  instance(name: string, Class: abstract new (...args: never[]) => unknown, accepted: string): void {
    const value = this.#options[name];
    if (value !== undefined && !(value instanceof Class)) this.#fail(TypeError, name, accepted);
  }

  /** An array whose every element passes `ok`. */
  array(name: string, ok: (element: unknown) => boolean, accepted: string): void {
    const value = this.#options[name];
    if (value === undefined) return;
    if (!Array.isArray(value)) this.#fail(TypeError, name, accepted);
    const bad = (value as unknown[]).findIndex((element) => !ok(element));
    if (bad !== -1) {
      throw new TypeError(`${this.path(name)}[${bad}] must be ${accepted.replace(/^an array of /, 'a ')}, got ${describe((value as unknown[])[bad])}`);
    }
  }

  /** Subprotocol names: an array of RFC 6455 §4.1 tokens (RFC 7230 `token`), no repeats. */
  protocols(name = 'protocols', { orFunction = false } = {}): void {
    const value = this.#options[name];
    if (orFunction && typeof value === 'function') return;
    const accepted = `an array of subprotocol names (RFC 7230 tokens: letters, digits and !#$%&'*+-.^_\`|~)${orFunction ? ', or a function' : ''}`;
    if (value !== undefined && !Array.isArray(value)) this.#fail(TypeError, name, accepted);
    this.array(name, (element) => typeof element === 'string', accepted);
    const list = (value ?? []) as string[];
    list.forEach((protocol, index) => {
      if (!isToken(protocol)) {
        throw new TypeError(`${this.path(name)}[${index}] is not a valid subprotocol name (RFC 6455 §4.1 wants an RFC 7230 token), got ${describe(protocol)}`);
      }
      if (list.indexOf(protocol) !== index) {
        throw new TypeError(`${this.path(name)} names ${JSON.stringify(protocol)} twice`);
      }
    });
  }

  /** Header fields: an object of string values with token names. */
  headers(name = 'headers'): void {
    const value = this.#options[name];
    if (value === undefined) return;
    const accepted = 'an object of header names to string values';
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Map) this.#fail(TypeError, name, accepted);
    for (const [field, fieldValue] of Object.entries(value as Record<string, unknown>)) {
      if (!isToken(field)) throw new TypeError(`${this.path(name)} has an invalid header name ${JSON.stringify(field)}`);
      if (typeof fieldValue !== 'string') {
        throw new TypeError(`${this.path(name)}[${JSON.stringify(field)}] must be a string, got ${describe(fieldValue)}`);
      }
      if (/[\r\n\0]/.test(fieldValue)) {
        throw new TypeError(`${this.path(name)}[${JSON.stringify(field)}] must not contain CR, LF or NUL`);
      }
    }
  }

  /** One of the given literal values. */
  oneOf(name: string, values: readonly unknown[]): void {
    const value = this.#options[name];
    if (value !== undefined && !values.includes(value)) this.#fail(TypeError, name, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
  }
}

