/**
 * The demo's chat: rooms are topics on the manager. One JSON object per text
 * message each way; anything malformed is answered with an `error` object,
 * never a crash. The server pings every chat connection and tells it the
 * round-trip time (browsers cannot ping).
 *
 * | client → server | server → client |
 * | --- | --- |
 * | `{"type":"join","room":"lobby","name":"ann"}` | `{"type":"joined","room","name","members"}` |
 * | `{"type":"say","text":"hi"}` | `{"type":"message","room","name","text","at"}` to the room |
 * | `{"type":"leave"}` | `{"type":"presence","room","event":"join"/"leave","name","members"}` to the room |
 * | | `{"type":"rtt","ms"}` every few seconds; `{"type":"error","reason"}` |
 *
 * @module
 */
import type { ConnectionHandler, WebSocket, WebSocketManager } from '../index.js';

const ROOM = /^[\w-]{1,32}$/;
const MAX_NAME = 32;
const MAX_TEXT = 2000;
const RTT_EVERY = 2_000;

interface Member {
  room: string | undefined;
  name: string;
}

function send(ws: WebSocket, value: object): void {
  ws.send(JSON.stringify(value));
}

/** Rooms and how many are in each, for the stats endpoint. */
export class Rooms {
  readonly #manager: WebSocketManager;
  readonly #counts = new Map<string, number>();

  constructor(manager: WebSocketManager) {
    this.#manager = manager;
  }

  /** `{ lobby: 2 }`, busiest first. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [room, count] of [...this.#counts].sort((a, b) => b[1] - a[1]).slice(0, 50)) out[room] = count;
    return out;
  }

  join(ws: WebSocket, member: Member, room: string): void {
    if (member.room === room) return;
    this.leave(ws, member);
    member.room = room;
    this.#manager.subscribe(ws, room);
    const members = (this.#counts.get(room) ?? 0) + 1;
    this.#counts.set(room, members);
    send(ws, { type: 'joined', room, name: member.name, members });
    this.#publish(room, { type: 'presence', room, event: 'join', name: member.name, members });
  }

  leave(ws: WebSocket, member: Member): void {
    const room = member.room;
    if (room === undefined) return;
    member.room = undefined;
    this.#manager.unsubscribe(ws, room);
    const members = (this.#counts.get(room) ?? 1) - 1;
    if (members <= 0) this.#counts.delete(room);
    else this.#counts.set(room, members);
    this.#publish(room, { type: 'presence', room, event: 'leave', name: member.name, members });
  }

  say(member: Member, text: string): void {
    if (member.room === undefined) return;
    this.#publish(member.room, { type: 'message', room: member.room, name: member.name, text, at: Date.now() });
  }

  #publish(room: string, value: object): void {
    const published = this.#manager.publish(room, JSON.stringify(value));
    if (published instanceof Promise) published.catch(() => {});
  }
}

function parseCommand(data: string | Uint8Array): Record<string, unknown> | string {
  if (typeof data !== 'string') return 'send JSON text, not binary';
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'send a JSON object';
  return value as Record<string, unknown>;
}

/** The `/chat` handler: a coroutine per connection. */
export function chatHandler(rooms: Rooms): ConnectionHandler {
  return async (ws) => {
    const member: Member = { room: undefined, name: 'anonymous' };
    const measure = (): void => {
      ws.ping().then(
        (ms) => send(ws, { type: 'rtt', ms: Math.round(ms * 100) / 100 }),
        () => {},
      );
    };
    measure();
    const timer = setInterval(measure, RTT_EVERY);
    timer.unref();
    try {
      for await (const message of ws) {
        const command = parseCommand(message.data);
        if (typeof command === 'string') {
          send(ws, { type: 'error', reason: command });
          continue;
        }
        if (command.type === 'join') {
          const { room, name } = command;
          if (typeof room !== 'string' || !ROOM.test(room)) {
            send(ws, { type: 'error', reason: 'a room is 1 to 32 letters, digits, - or _' });
            continue;
          }
          if (typeof name === 'string' && name.trim() !== '') member.name = name.trim().slice(0, MAX_NAME);
          rooms.join(ws, member, room);
        } else if (command.type === 'say') {
          if (typeof command.text !== 'string' || command.text.length > MAX_TEXT) {
            send(ws, { type: 'error', reason: `text is a string of at most ${MAX_TEXT} characters` });
          } else if (member.room === undefined) {
            send(ws, { type: 'error', reason: 'join a room first' });
          } else rooms.say(member, command.text);
        } else if (command.type === 'leave') {
          rooms.leave(ws, member);
        } else {
          send(ws, { type: 'error', reason: 'unknown type: use join, say or leave' });
        }
      }
    } finally {
      clearInterval(timer);
      rooms.leave(ws, member);
    }
  };
}
