"""Python `websockets` as a peer of ws4ts (fixture of tests/interop/python.test.ts).

    python3 websockets_peer.py server [--no-deflate]
        Echo server on 127.0.0.1, port 0. Prints "PORT <n>" once listening.
        A text message "close <code> <reason>" makes it close with that code;
        when a connection ends it prints "CLOSED <code> <reason>" and the
        extensions it negotiated ("EXTENSIONS <header>").
    python3 websockets_peer.py client <url> [--no-deflate]
        Runs the client script against an echo server at <url> and prints one
        "OK <check>" line per check, "EXTENSIONS <header>", then
        "CLOSED <code> <reason>"; exits 1 with "FAIL <reason>" on a mismatch.

Ends on its own when stdin closes (the test's teardown), so it never outlives
the test run.
"""
import asyncio
import sys

import websockets

MAX = 16 * 1024 * 1024


def compression(args):
    return None if "--no-deflate" in args else "deflate"


def pattern(n):
    return bytes((i * 7 + 3) & 0xFF for i in range(n))


async def stdin_closed():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()


def say(*words):
    print(*words, flush=True)


async def serve(args):
    async def echo(ws, path=None):
        say("EXTENSIONS", ws.response_headers.get("Sec-WebSocket-Extensions", "") or "-")
        try:
            async for message in ws:
                if isinstance(message, str) and message.startswith("close "):
                    _, code, reason = message.split(" ", 2)
                    await ws.close(int(code), reason)
                    break
                await ws.send(message)
        except websockets.ConnectionClosed:
            pass
        await ws.wait_closed()
        say("CLOSED", ws.close_code, ws.close_reason or "-")

    async with websockets.serve(echo, "127.0.0.1", 0, compression=compression(args), max_size=MAX) as server:
        say("PORT", server.sockets[0].getsockname()[1])
        await stdin_closed()


async def client(url, args):
    async with websockets.connect(url, compression=compression(args), max_size=MAX) as ws:
        say("EXTENSIONS", ws.response_headers.get("Sec-WebSocket-Extensions", "") or "-")
        cases = [
            ("text", "hello from python"),
            ("unicode", "ünïcödé ✓ 🎉"),
            ("empty-text", ""),
            ("empty-binary", b""),
            ("binary", pattern(1000)),
            ("1MiB", pattern(1 << 20)),
        ]
        for name, data in cases:
            await ws.send(data)
            reply = await ws.recv()
            if type(reply) is not type(data) or reply != data:
                say("FAIL", name, "echo differs")
                sys.exit(1)
            say("OK", name)
        pong = await ws.ping(b"python ping")
        await asyncio.wait_for(pong, 10)
        say("OK", "ping")
        await ws.close(4001, "python leaves")
        say("CLOSED", ws.close_code, ws.close_reason or "-")


def main():
    mode = sys.argv[1]
    if mode == "server":
        asyncio.run(serve(sys.argv[2:]))
    else:
        asyncio.run(asyncio.wait_for(client(sys.argv[2], sys.argv[3:]), 60))


if __name__ == "__main__":
    main()
