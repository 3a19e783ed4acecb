// The sans-I/O engine (ws4ts/protocol): bytes in, events out, bytes to send,
// no socket anywhere. Self-contained: feeds it a client's masked text frame.
// #region sans-io
import { Connection, encodeFrame } from 'ws4ts/protocol';

// What a client would send: a masked text frame "hello" (RFC 6455 §5.7).
const bytesFromPeer = encodeFrame({ opcode: 1, fin: true, rsv: 0, payload: new TextEncoder().encode('hello') }, 0x3d21fa37);
const write = (chunks) => chunks.forEach((chunk) => console.log('send', Buffer.from(chunk).toString('hex')));
const endTransport = () => console.log('end of transport');

const conn = new Connection({ role: 'server' });
conn.receive(bytesFromPeer);
for (let event = conn.nextEvent(); event; event = conn.nextEvent()) {
  if (event.type === 'text') conn.send(event.data.toUpperCase());
}
write(conn.bytesToSend()); // send 810548454c4c4f: the unmasked frame "HELLO"
if (conn.shouldCloseTransport) endTransport();
// #endregion sans-io
