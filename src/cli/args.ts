/**
 * Argument parsing for the CLI: `node:util`'s `parseArgs`, with its errors
 * turned into one-line {@link UsageError}s (the entry point prints the line
 * and the command's usage, and exits with status 2: never a stack trace).
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A wrong command line: one line for the user, then the usage of `command`. */
export class UsageError extends Error {
  readonly command: string;
  constructor(message: string, command: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
/** What `parse` returns for these options. */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/** Parse `argv` for `command`; throws {@link UsageError} for unknown or malformed options. */
export function parse<O extends Options>(command: string, argv: readonly string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describe(error), command);
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // parseArgs explains in a paragraph ("… To specify a positional argument …"): keep the first sentence.
  const first = message.split(/\.\s|\n/)[0] ?? message;
  return first.replace(/\.$/, '');
}

/** An integer option within [min, max], or a UsageError naming it. */
export function integer(command: string, name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--${name} must be a whole number, not ${JSON.stringify(value)}`, command);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, not ${value}`, command);
  return n;
}

/** A TCP port (0 for any free port). */
export function port(command: string, value: string | undefined, fallback: number, name = 'port'): number {
  return integer(command, name, value, fallback, 0, 65535);
}

/** One of `choices`, or a UsageError. */
export function choice<T extends string>(command: string, name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`unknown --${name} ${value}: use ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`, command);
}
