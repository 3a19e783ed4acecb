/**
 * Frames as RFC 6455 §5.2 defines them: opcodes, header bits, and the frame
 * value handed out by {@link frames}. Length and mask exist only while coding.
 *
 * @module
 */

/** Opcodes (RFC 6455 §5.2, §11.8). */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;
/** A known opcode. */
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** RSV1: claimed by permessage-deflate (RFC 7692 §6). */
export const RSV1 = 0x40;
/** RSV2. */
export const RSV2 = 0x20;
/** RSV3. */
export const RSV3 = 0x10;

/** Largest payload of a control frame (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** True for close, ping and pong. */
export function isControl(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** True for the six opcodes RFC 6455 defines. */
export function isKnownOpcode(opcode: number): opcode is Opcode {
  return opcode <= 2 || (opcode >= 8 && opcode <= 10);
}

/**
 * One frame: what {@link frames} yields and {@link encodeFrame} writes.
 * `rsv` holds the three reserved bits in their wire position (0x70 mask).
 */
export interface Frame {
  readonly opcode: Opcode;
  readonly fin: boolean;
  readonly rsv: number;
  readonly payload: Uint8Array;
}
