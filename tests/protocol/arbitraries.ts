/**
 * Shared fast-check arbitraries, helpers and properties of the protocol
 * engine, used by the ava tests (tests/protocol/*.test.ts) and by the fuzz
 * script (tests/fuzz/parser.fuzz.ts). Not a test file itself: ava only runs
 * `*.test.ts`.
 *
 * The three properties:
 * - (a) {@link splitProperty}: any split of an encoded stream gives the same
 *   frames and the same connection events (and the same bytes out);
 * - (b) {@link roundTripProperty}: encodeFrame → parse gives the frame back,
 *   for every opcode, FIN, RSV, mask and length form;
 * - (c) {@link garbageProperty}: arbitrary bytes (alone, after a valid
 *   prefix, or as a mutated valid stream) never make `receive()` throw; a
 *   violation becomes one 'error' event with close code 1002, 1007 or 1009
 *   and a queued close frame carrying that code.
 *
 * @module
 */
import fc from 'fast-check';
import { Connection, type ConnectionEvent, type Role } from '../../src/protocol/connection.js';
import { encodeFrame } from '../../src/protocol/encoder.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { FrameParser, type FrameSink } from '../../src/protocol/parser.js';
import { applyMask } from '../../src/protocol/mask.js';
import type { Frame, Opcode } from '../../src/protocol/frame.js';

// ─── bytes ──────────────────────────────────────────────────────────────────

/** Bytes from a hex string; spaces and newlines are ignored: `hex('81 05 48 65 6c 6c 6f')`. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${text}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex of `bytes`, bytes separated by spaces. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Concatenate byte arrays into one new Uint8Array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `length` pseudo-random bytes from `seed` (xorshift): cheap large payloads. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
  }
  return out;
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

// ─── splitting ──────────────────────────────────────────────────────────────

/** How to cut a stream into chunks. */
export type SplitSpec =
  | { readonly kind: 'whole' }
  | { readonly kind: 'bytes' }
  | { readonly kind: 'size'; readonly size: number }
  | { readonly kind: 'cuts'; readonly cuts: readonly number[] };

/** Splits from 1-byte chunks to one chunk, fixed sizes, and random cut points. */
export const splitArb: fc.Arbitrary<SplitSpec> = fc.oneof(
  fc.constant<SplitSpec>({ kind: 'whole' }),
  fc.constant<SplitSpec>({ kind: 'bytes' }),
  fc.integer({ min: 1, max: 17 }).map((size): SplitSpec => ({ kind: 'size', size })),
  fc.array(fc.nat(), { maxLength: 12 }).map((cuts): SplitSpec => ({ kind: 'cuts', cuts })),
);

/**
 * Cut `bytes` into chunks as `spec` says. Every chunk is a fresh copy, since
 * the parser unmasks masked payloads in place.
 */
export function split(bytes: Uint8Array, spec: SplitSpec): Uint8Array[] {
  const length = bytes.length;
  let points: number[];
  switch (spec.kind) {
    case 'whole':
      return [bytes.slice()];
    case 'bytes':
      points = Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1);
      break;
    case 'size':
      points = [];
      for (let at = spec.size; at < length; at += spec.size) points.push(at);
      break;
    case 'cuts':
      points = [...new Set(spec.cuts.map((c) => (length === 0 ? 0 : c % length)))].filter((c) => c > 0).sort((a, b) => a - b);
      break;
  }
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.slice(start, point));
    start = point;
  }
  chunks.push(bytes.slice(start));
  return chunks;
}

// ─── collecting frames ──────────────────────────────────────────────────────

/** A frame as the tests compare it: payload as hex. */
export interface PlainFrame {
  readonly opcode: number;
  readonly fin: boolean;
  readonly rsv: number;
  readonly payload: string;
}

/** A {@link FrameSink} that collects whole frames, unmasking copies (never the input). */
export class CollectingSink implements FrameSink {
  readonly frames: PlainFrame[] = [];
  #head: { fin: boolean; rsv: number; opcode: number; length: number } | undefined;
  #pieces: Uint8Array[] = [];

  onFrameHeader(fin: boolean, rsv: number, opcode: number, length: number): void {
    this.#head = { fin, rsv, opcode, length };
    this.#pieces = [];
  }

  onFramePayload(chunk: Uint8Array, start: number, end: number, key: number, phase: number): void {
    const piece = chunk.slice(start, end);
    applyMask(piece, key, phase);
    this.#pieces.push(piece);
  }

  onFrameEnd(): void {
    const head = this.#head!;
    const payload = concat(this.#pieces);
    if (payload.length !== head.length) throw new Error(`frame of ${head.length} bytes delivered ${payload.length}`);
    this.frames.push({ opcode: head.opcode, fin: head.fin, rsv: head.rsv, payload: toHex(payload) });
  }
}

/** Parse `chunks` with a fresh parser; returns the frames and the error thrown, if any. */
export function parseChunks(
  chunks: readonly Uint8Array[],
  options: { role: Role; maxPayload?: number; rsvAllowed?: number },
): { frames: PlainFrame[]; error: unknown } {
  const sink = new CollectingSink();
  const parser = new FrameParser({ maxPayload: 64 * 1024 * 1024, ...options }, sink);
  try {
    for (const chunk of chunks) parser.push(chunk);
  } catch (error) {
    return { frames: sink.frames, error };
  }
  return { frames: sink.frames, error: undefined };
}

/** A frame as {@link PlainFrame}. */
export function plain(frame: Frame): PlainFrame {
  return { opcode: frame.opcode, fin: frame.fin, rsv: frame.rsv, payload: toHex(frame.payload) };
}

// ─── running a connection ───────────────────────────────────────────────────

/** A connection event as the tests compare it: bytes as hex, errors by code. */
export type PlainEvent =
  | { readonly type: 'text'; readonly data: string }
  | { readonly type: 'binary' | 'ping' | 'pong'; readonly data: string }
  | { readonly type: 'close'; readonly code: number; readonly reason: string }
  | { readonly type: 'error'; readonly code: string; readonly closeCode: number };

/** {@link PlainEvent} of `event`. */
export function plainEvent(event: ConnectionEvent): PlainEvent {
  switch (event.type) {
    case 'text':
      return { type: 'text', data: event.data };
    case 'binary':
    case 'ping':
    case 'pong':
      return { type: event.type, data: toHex(event.data) };
    case 'close':
      return { type: 'close', code: event.code, reason: event.reason };
    case 'error':
      return { type: 'error', code: event.error.code, closeCode: event.error.closeCode };
  }
}

/** Drain every ready event of `connection`. */
export function drainEvents(connection: Connection): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  for (let event = connection.nextEvent(); event !== undefined; event = connection.nextEvent()) events.push(event);
  return events;
}

/** Drain the connection's outgoing bytes into one array. */
export function drainBytes(connection: Connection): Uint8Array {
  return concat(connection.bytesToSend());
}

/** The mask key of RFC 6455 §5.7's examples (37 fa 21 3d), packed as mask.ts packs keys. */
export const RFC_KEY = 0x3d21fa37;

/** Result of {@link runConnection}. */
export interface ConnectionRun {
  readonly events: PlainEvent[];
  readonly out: Uint8Array;
  readonly connection: Connection;
  /** Anything `receive()` threw (must stay undefined). */
  readonly thrown: unknown;
}

/**
 * Feed `chunks` to a new connection, draining events after every chunk.
 * The client role masks with {@link RFC_KEY} so its output is deterministic.
 */
export function runConnection(
  chunks: readonly Uint8Array[],
  options: { role: Role; maxPayload?: number; maxFragments?: number },
): ConnectionRun {
  const connection = new Connection({ ...options, maskKey: () => RFC_KEY });
  const events: PlainEvent[] = [];
  const out: Uint8Array[] = [];
  let thrown: unknown;
  try {
    for (const chunk of chunks) {
      connection.receive(chunk);
      for (const event of drainEvents(connection)) events.push(plainEvent(event));
      out.push(...connection.bytesToSend());
    }
  } catch (error) {
    thrown = error;
  }
  return { events, out: concat(out), connection, thrown };
}

// ─── generating valid streams ───────────────────────────────────────────────

/** A stream of frames plus what a connection must report for it. */
export interface Script {
  /** The frames in wire order (unmasked form). */
  readonly frames: Frame[];
  /** The events a connection must emit (nothing after the close). */
  readonly events: PlainEvent[];
  /** The frames a connection must answer with: pongs and the close echo. */
  readonly replies: Frame[];
  /** How many frames come before the close frame (all of them when there is none). */
  readonly openFrames: number;
}

const controlArb = fc.record({
  opcode: fc.constantFrom<Opcode>(0x9, 0xa),
  payload: fc.uint8Array({ maxLength: 125 }),
});

const dataArb = fc.record({
  text: fc.boolean(),
  string: fc.string({ unit: 'binary', maxLength: 60 }),
  bytes: fc.oneof(
    { weight: 16, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    // The 16-bit and 64-bit length forms (kept rare: 1-byte splits of 64 KiB are slow).
    { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 126, max: 1200 }), fc.nat()).map(([n, seed]) => pattern(n, seed)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 65_534, max: 65_540 }), fc.nat()).map(([n, seed]) => pattern(n, seed)) },
  ),
  // Byte positions where the payload is cut into fragments (may cut a code point).
  cuts: fc.array(fc.nat(), { maxLength: 4 }),
  // Control frames between fragments: [after which fragment, frame].
  controls: fc.array(fc.tuple(fc.nat(), controlArb), { maxLength: 3 }),
});

const closeArb = fc.option(
  fc.record({
    code: fc.constantFrom(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999),
    reason: fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => utf8.encode(s).length <= 123),
    empty: fc.boolean(),
  }),
);

/** Valid frame streams: data messages (fragmented, controls interleaved), pings, pongs, an optional close, and frames after it. */
export const scriptArb: fc.Arbitrary<Script> = fc
  .record({
    items: fc.array(fc.oneof({ weight: 3, arbitrary: dataArb.map((d) => ({ data: d })) }, { weight: 1, arbitrary: controlArb.map((c) => ({ control: c })) }), {
      maxLength: 6,
    }),
    close: closeArb,
    trailing: fc.array(fc.uint8Array({ maxLength: 10 }), { maxLength: 2 }),
  })
  .map(({ items, close, trailing }) => buildScript(items, close, trailing));

type DataItem = { text: boolean; string: string; bytes: Uint8Array; cuts: number[]; controls: [number, { opcode: Opcode; payload: Uint8Array }][] };
type ControlItem = { opcode: Opcode; payload: Uint8Array };

function buildScript(
  items: ({ data: DataItem } | { control: ControlItem })[],
  close: { code: number; reason: string; empty: boolean } | null,
  trailing: Uint8Array[],
): Script {
  const frames: Frame[] = [];
  const events: PlainEvent[] = [];
  const replies: Frame[] = [];
  const control = (c: ControlItem): void => {
    frames.push({ opcode: c.opcode, fin: true, rsv: 0, payload: c.payload });
    events.push({ type: c.opcode === 0x9 ? 'ping' : 'pong', data: toHex(c.payload) });
    if (c.opcode === 0x9) replies.push({ opcode: 0xa, fin: true, rsv: 0, payload: c.payload });
  };
  for (const item of items) {
    if ('control' in item) {
      control(item.control);
      continue;
    }
    const d = item.data;
    const payload = d.text ? utf8.encode(d.string) : d.bytes;
    const points = [...new Set(d.cuts.map((c) => c % (payload.length + 1)))].sort((a, b) => a - b);
    const pieces: Uint8Array[] = [];
    let start = 0;
    for (const point of points) {
      pieces.push(payload.subarray(start, point));
      start = point;
    }
    pieces.push(payload.subarray(start));
    const between = new Map<number, ControlItem[]>();
    for (const [after, c] of d.controls) {
      const at = pieces.length > 1 ? after % (pieces.length - 1) : 0;
      between.set(at, [...(between.get(at) ?? []), c]);
    }
    pieces.forEach((piece, i) => {
      const opcode: Opcode = i === 0 ? (d.text ? 0x1 : 0x2) : 0x0;
      frames.push({ opcode, fin: i === pieces.length - 1, rsv: 0, payload: piece });
      if (i < pieces.length - 1) for (const c of between.get(i) ?? []) control(c);
    });
    events.push(d.text ? { type: 'text', data: d.string } : { type: 'binary', data: toHex(payload) });
    // A lone fragment's controls come after the message.
    if (pieces.length === 1) for (const c of between.get(0) ?? []) control(c);
  }
  const openFrames = frames.length;
  if (close !== null) {
    const payload = close.empty ? new Uint8Array(0) : concat([Uint8Array.of(close.code >> 8, close.code & 0xff), utf8.encode(close.reason)]);
    frames.push({ opcode: 0x8, fin: true, rsv: 0, payload });
    const code = close.empty ? 1005 : close.code;
    events.push({ type: 'close', code, reason: close.empty ? '' : close.reason });
    // §5.5.1: the code and reason are echoed; no code is answered with an empty close frame.
    replies.push({ opcode: 0x8, fin: true, rsv: 0, payload });
    // Anything after the close frame is ignored, even garbage.
    for (const junk of trailing) frames.push({ opcode: 0x2, fin: true, rsv: 0, payload: junk });
  }
  return { frames, events, replies, openFrames };
}

/** Mask key of frame `i` from `seed`; every 7th frame uses a zero key (mask bit set, nothing to unmask). */
export function keyFor(seed: number, i: number): number {
  return i % 7 === 3 ? 0 : Math.imul((seed ^ (i * 0x9e3779b1)) >>> 0, 0x85ebca6b) >>> 0;
}

/** The wire bytes of `frames` as `role`'s peer sends them: masked towards a server. */
export function encodeStream(frames: readonly Frame[], readerRole: Role, seed: number): Uint8Array {
  return concat(frames.map((frame, i) => (readerRole === 'server' ? encodeFrame(frame, keyFor(seed, i)) : encodeFrame(frame))));
}

const roleArb = fc.constantFrom<Role>('client', 'server');

// ─── property (a): any split gives the same frames and events ───────────────

/** Check (a) for one case; throws with a description on failure. */
export function checkSplit(script: Script, role: Role, seed: number, spec: SplitSpec): void {
  const stream = encodeStream(script.frames, role, seed);
  // Frames: every frame, including those after a close (the parser alone does not stop there).
  const expectedFrames = script.frames.map(plain);
  const parsed = parseChunks(split(stream, spec), { role });
  if (parsed.error !== undefined) throw new Error(`parser threw ${String(parsed.error)}`);
  assertEqual(parsed.frames, expectedFrames, 'frames');
  // Events and replies.
  const run = runConnection(split(stream, spec), { role });
  if (run.thrown !== undefined) throw new Error(`receive() threw ${String(run.thrown)}`);
  assertEqual(run.events, script.events, 'events');
  const expectedOut = concat(script.replies.map((f) => (role === 'client' ? encodeFrame(f, RFC_KEY) : encodeFrame(f))));
  assertEqual(toHex(run.out), toHex(expectedOut), 'bytes sent');
}

/** Property (a). */
export function splitProperty(): fc.IPropertyWithHooks<[Script, Role, number, SplitSpec]> {
  return fc.property(scriptArb, roleArb, fc.nat(), splitArb, (script, role, seed, spec) => {
    checkSplit(script, role, seed, spec);
  });
}

// ─── property (b): encodeFrame → parse round-trips ──────────────────────────

/** A frame to encode and the mask key (undefined: unmasked). */
export interface RoundTripCase {
  readonly frame: Frame;
  readonly key: number | undefined;
}

const payloadArb = fc.oneof(
  { weight: 12, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  // Every length form at and around its boundaries (7-bit, 16-bit, 64-bit).
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(125, 126, 127, 65_535, 65_536, 65_537), fc.nat()).map(([n, seed]) => pattern(n, seed)) },
);

const keyArb = fc.option(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff_ffff })), { nil: undefined });

/** Frames of every opcode, FIN and RSV legal for it, any payload and key. */
export const roundTripArb: fc.Arbitrary<RoundTripCase> = fc.oneof(
  fc.record({
    frame: fc.record({
      opcode: fc.constantFrom<Opcode>(0x0, 0x1, 0x2),
      fin: fc.boolean(),
      rsv: fc.constantFrom(0, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70),
      payload: payloadArb,
    }),
    key: keyArb,
  }),
  fc.record({
    frame: fc.record({
      opcode: fc.constantFrom<Opcode>(0x8, 0x9, 0xa),
      fin: fc.constant(true),
      rsv: fc.constant(0),
      payload: fc.uint8Array({ maxLength: 125 }),
    }),
    key: keyArb,
  }),
);

/** Check (b) for one case. */
export function checkRoundTrip({ frame, key }: RoundTripCase, spec: SplitSpec): void {
  const bytes = encodeFrame(frame, key);
  const length = frame.payload.length;
  const head = (length < 126 ? 2 : length < 65_536 ? 4 : 10) + (key === undefined ? 0 : 4);
  if (bytes.length !== head + length) throw new Error(`encoded ${bytes.length} bytes, expected ${head + length}`);
  const before = toHex(frame.payload);
  const role: Role = key === undefined ? 'client' : 'server';
  // Big payloads are split coarsely: 65,536 one-byte pushes add nothing but time.
  const chunking = length > 1000 && spec.kind === 'bytes' ? ({ kind: 'size', size: 4093 } as const) : spec;
  const { frames, error } = parseChunks(split(bytes, chunking), { role, rsvAllowed: frame.rsv });
  if (error !== undefined) throw new Error(`parser threw ${String(error)}`);
  assertEqual(frames, [plain(frame)], 'round trip');
  if (toHex(frame.payload) !== before) throw new Error('encodeFrame mutated the payload');
}

/** Property (b). */
export function roundTripProperty(): fc.IPropertyWithHooks<[RoundTripCase, SplitSpec]> {
  return fc.property(roundTripArb, splitArb, (c, spec) => checkRoundTrip(c, spec));
}

// ─── property (c): garbage never escapes as anything but a WebSocketError ───

/** Input for (c): the bytes, the reader's role, limits and a split. */
export interface GarbageCase {
  readonly bytes: Uint8Array;
  readonly role: Role;
  readonly maxPayload: number | undefined;
  readonly maxFragments: number | undefined;
  readonly spec: SplitSpec;
}

const limitsArb = fc.record({
  maxPayload: fc.constantFrom(undefined, undefined, undefined, 16, 300, 70_000),
  maxFragments: fc.constantFrom(undefined, undefined, undefined, undefined, 1, 3),
});

/**
 * Well-formed frames with a random first byte (any FIN, RSV, opcode) and
 * payload, masked as the reader expects (mostly): they pass the length
 * parsing and reach the rules behind it (close payloads, fragmentation).
 */
const rawFramesArb = (role: Role): fc.Arbitrary<Uint8Array> =>
  fc
    .array(
      fc.record({
        b0: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x88, 0x80, 0x00, 0x01, 0x81)),
        payload: fc.oneof(fc.uint8Array({ maxLength: 130 }), fc.tuple(fc.integer({ min: 0, max: 4999 }), fc.uint8Array({ maxLength: 20 })).map(([code, rest]) => concat([Uint8Array.of(code >> 8, code & 0xff), rest]))),
        masked: fc.oneof({ weight: 9, arbitrary: fc.constant(role === 'server') }, { weight: 1, arbitrary: fc.boolean() }),
        key: fc.integer({ min: 0, max: 0xffff_ffff }),
      }),
      { minLength: 1, maxLength: 4 },
    )
    .map((frames) =>
      concat(
        frames.map(({ b0, payload, masked, key }) => {
          const bytes = encodeFrame({ opcode: (b0 & 0x0f) as Opcode, fin: (b0 & 0x80) !== 0, rsv: b0 & 0x70, payload }, masked ? key : undefined);
          bytes[0] = b0;
          return bytes;
        }),
      ),
    );

/** Arbitrary bytes, bytes after a valid prefix, and valid streams with a few bytes overwritten. */
export const garbageArb: fc.Arbitrary<GarbageCase> = roleArb
  .chain((role) =>
    fc.tuple(
      fc.constant(role),
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ prefix: undefined, bytes, edits: [] as [number, number][] })),
        fc.record({
          prefix: scriptArb,
          bytes: fc.oneof(fc.uint8Array({ maxLength: 100 }), rawFramesArb(role)),
          edits: fc.constant([] as [number, number][]),
        }),
        fc.record({
          prefix: scriptArb,
          bytes: fc.constant(new Uint8Array(0)),
          edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        }),
      ),
      fc.nat(),
      limitsArb,
      splitArb,
    ),
  )
  .map(([role, { prefix, bytes, edits }, seed, limits, spec]) => {
    let stream = bytes;
    if (prefix !== undefined) {
      // The prefix stops before its close frame so that the garbage is read.
      const head = encodeStream(prefix.frames.slice(0, prefix.openFrames), role, seed);
      stream = concat([head, bytes]);
      for (const [at, value] of edits) if (stream.length > 0) stream[at % stream.length] = value;
    }
    return { bytes: stream, role, maxPayload: limits.maxPayload, maxFragments: limits.maxFragments, spec };
  });

/** Check (c) for one case. */
export function checkGarbage(c: GarbageCase): void {
  const options = { role: c.role, maxPayload: c.maxPayload, maxFragments: c.maxFragments };
  const run = runConnection(split(c.bytes, c.spec), options);
  if (run.thrown !== undefined) throw new Error(`receive() threw ${String(run.thrown)}`);
  const connection = run.connection;
  const errors = run.events.filter((e) => e.type === 'error');
  const error = connection.error;
  if (error === undefined) {
    if (errors.length !== 0) throw new Error('error event without connection.error');
    return;
  }
  if (!(error instanceof WebSocketError)) throw new Error(`error is not a WebSocketError: ${String(error)}`);
  if (errors.length !== 1 || run.events.at(-1)?.type !== 'error') throw new Error(`expected one final error event, got ${JSON.stringify(run.events)}`);
  if (error.side !== 'remote') throw new Error(`error side ${error.side}`);
  if (![1002, 1007, 1009].includes(error.closeCode)) throw new Error(`close code ${error.closeCode} (${error.code})`);
  if (!connection.shouldCloseTransport) throw new Error('shouldCloseTransport is false after an error');
  // Our own frames: unmasked from a server (read them as a client), masked from a client.
  const sent = parseChunks([run.out], { role: c.role === 'server' ? 'client' : 'server' });
  if (sent.error !== undefined) throw new Error(`our own output does not parse: ${String(sent.error)}`);
  const close = sent.frames.at(-1);
  if (close === undefined || close.opcode !== 0x8) throw new Error('no close frame queued after an error');
  const code = Number.parseInt(close.payload.slice(0, 5).replace(' ', ''), 16);
  if (code !== error.closeCode) throw new Error(`close frame carries ${code}, error says ${error.closeCode}`);
  // Parsing stopped: more input changes nothing.
  connection.receive(Uint8Array.of(0x89, 0x80, 0, 0, 0, 0, 0x89, 0x00));
  if (connection.nextEvent() !== undefined || connection.bytesToSend().length !== 0) throw new Error('input accepted after an error');
}

/** Property (c). */
export function garbageProperty(): fc.IPropertyWithHooks<[GarbageCase]> {
  return fc.property(garbageArb, (c) => checkGarbage(c));
}

// ─── assertions without ava (shared with the fuzz script) ───────────────────

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what} differ:\n  actual   ${truncate(a)}\n  expected ${truncate(e)}`);
}

function truncate(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
