/**
 * What a README snippet may use without declaring it: the names the prose
 * around it introduces (a server, a connection, a port…) and the ws4ts API
 * (snippets that continue an earlier one do not repeat its imports). A
 * snippet that declares or imports one of these shadows it. Used by
 * tests/types/readme.test.ts only.
 */
declare const server: import('node:http').Server;
declare const ws: import('../../src/index.js').WebSocket;
declare const port: number;
declare const url: string;
declare const handler: import('../../src/index.js').Handler;
declare const bytesFromPeer: Uint8Array;
declare function write(chunks: readonly Uint8Array[]): void;
declare function endTransport(): void;
declare const attach: typeof import('../../src/index.js').attach;
declare const serve: typeof import('../../src/index.js').serve;
declare const connect: typeof import('../../src/index.js').connect;
declare const observe: typeof import('../../src/index.js').observe;
declare const WebSocketManager: typeof import('../../src/index.js').WebSocketManager;
type WebSocketManager = import('../../src/index.js').WebSocketManager;
declare const EchoWebSocket: typeof import('../../src/index.js').EchoWebSocket;
