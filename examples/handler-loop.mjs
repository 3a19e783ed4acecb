// Handler shape 2: one coroutine per connection, a `for await` loop over its messages.
// When the function returns, the connection is closed (1000), as in Python websockets.
// #region loop
import { createServer } from 'node:http';
import { attach } from 'ws4ts';

async function echo(ws) {
  for await (const message of ws) {
    ws.send(message.data);
  }
}

const server = createServer();
attach(server, { '/': echo });
server.listen(Number(process.env.PORT ?? 9000), '127.0.0.1', () => console.log('listening'));
// #endregion loop
