// Handler shape 1 (ws4py style): subclass WebSocket and override its hooks.
// #region hooks
import { createServer } from 'node:http';
import { attach, WebSocket } from 'ws4ts';

class Echo extends WebSocket {
  opened() {
    console.log('opened', this.remoteAddress);
  }
  receivedMessage(message) {
    this.send(message.data); // text stays text, binary stays binary
  }
  closed(code, reason) {
    console.log('closed', code, reason);
  }
}

const server = createServer();
attach(server, { '/': Echo });
server.listen(Number(process.env.PORT ?? 9000), '127.0.0.1', () => console.log('listening'));
// #endregion hooks
