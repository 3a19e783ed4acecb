/**
 * `EchoWebSocket`, ws4py's ready-made subclass: the smallest example of the
 * hooks style, kept apart from the connection it extends.
 *
 * @module
 */
import type { Message } from '../protocol/message.js';
import { WebSocket } from './websocket.js';

/** A WebSocket that sends every message back, as ws4py's EchoWebSocket. */
export class EchoWebSocket extends WebSocket {
  override receivedMessage(message: Message): void {
    this.send(message.data);
  }
}
