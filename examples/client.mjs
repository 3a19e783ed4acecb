// The client: connect, send, receive, ping, close.
// #region client
import { connect } from 'ws4ts';

const url = process.argv[2] ?? `ws://127.0.0.1:${process.env.PORT ?? 9000}/`;
const ws = await connect(url);
ws.send('hello');
const reply = await ws.receive();
console.log('received', reply.type, reply.data);
console.log('round trip', (await ws.ping()).toFixed(2), 'ms');
const outcome = await ws.close(1000, 'done');
console.log('closed', outcome);
// #endregion client
