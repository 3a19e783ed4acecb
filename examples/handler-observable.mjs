// Handler shape 3: observables in, observables out. Whatever the returned
// observable emits is sent back; a two-parameter function is recognised as this shape.
// #region observable
import { createServer } from 'node:http';
import { map } from 'rxjs';
import { attach } from 'ws4ts';

const echo = (messages$, ws) => messages$.pipe(map((message) => message.data));

const server = createServer();
attach(server, { '/': echo });
server.listen(Number(process.env.PORT ?? 9000), '127.0.0.1', () => console.log('listening'));
// #endregion observable
