/**
 * The octets HTTP's grammar is written in (RFC 5234 core rules and the
 * delimiters of RFC 9110 §5.6), for the scanners of the opening handshake:
 * the header-list parsers (`headers.ts`) and the standalone server's request
 * head parser (`server/http-request.ts`). Not part of `ws4ts/protocol`.
 *
 * One object, which each scanner destructures into constants of its own at
 * load time: its loops then never read through an import (in the CommonJS
 * build every such read is a getter call, measured 5× slower on a head).
 *
 * @module
 */
export const OCTETS = Object.freeze({
  HTAB: 0x09,
  LF: 0x0a,
  CR: 0x0d,
  SP: 0x20,
  DQUOTE: 0x22,
  COMMA: 0x2c,
  SLASH: 0x2f,
  COLON: 0x3a,
  SEMICOLON: 0x3b,
  EQUALS: 0x3d,
  BACKSLASH: 0x5c,
});
