"""Autobahn|Python (asyncio) as a peer of ws4ts (fixture of tests/interop/python.test.ts).

Same modes and output as websockets_peer.py:

    python3 autobahn_peer.py server [--no-deflate]   prints "PORT <n>", then per connection
                                                     "EXTENSIONS <names>" and "CLOSED <code> <reason>"
    python3 autobahn_peer.py client <url> [--no-deflate]

Ends on its own when stdin closes (the test's teardown).
"""
import asyncio
import sys
from urllib.parse import urlparse

from autobahn.asyncio.websocket import (
    WebSocketClientFactory,
    WebSocketClientProtocol,
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from autobahn.websocket.compress import (
    PerMessageDeflateOffer,
    PerMessageDeflateOfferAccept,
    PerMessageDeflateResponse,
    PerMessageDeflateResponseAccept,
)


def say(*words):
    print(*words, flush=True)


def pattern(n):
    return bytes((i * 7 + 3) & 0xFF for i in range(n))


def extensions_in_use(protocol):
    names = [e.EXTENSION_NAME for e in (protocol.websocket_extensions_in_use or [])]
    return ",".join(names) or "-"


async def stdin_closed():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()


class EchoServer(WebSocketServerProtocol):
    def onOpen(self):
        say("EXTENSIONS", extensions_in_use(self))

    def onMessage(self, payload, isBinary):
        if not isBinary and payload.startswith(b"close "):
            _, code, reason = payload.decode().split(" ", 2)
            self.sendClose(int(code), reason)
            return
        self.sendMessage(payload, isBinary)

    def onClose(self, wasClean, code, reason):
        if self.state is not None and code is not None:
            say("CLOSED", code, reason or "-")


CASES = [
    ("text", "hello from autobahn".encode(), False),
    ("unicode", "ünïcödé ✓ 🎉".encode(), False),
    ("empty-text", b"", False),
    ("empty-binary", b"", True),
    ("binary", pattern(1000), True),
    ("1MiB", pattern(1 << 20), True),
]


class ScriptClient(WebSocketClientProtocol):
    step = 0

    def onOpen(self):
        say("EXTENSIONS", extensions_in_use(self))
        self.next_case()

    def next_case(self):
        if self.step < len(CASES):
            _, data, binary = CASES[self.step]
            self.sendMessage(data, binary)
        else:
            self.sendPing(b"autobahn ping")

    def onMessage(self, payload, isBinary):
        name, data, binary = CASES[self.step]
        if payload != data or isBinary != binary:
            say("FAIL", name, "echo differs")
            self.factory.done.set_result(1)
            return
        say("OK", name)
        self.step += 1
        self.next_case()

    def onPong(self, payload):
        if payload == b"autobahn ping":
            say("OK", "ping")
            self.sendClose(4001, "autobahn leaves")

    def onClose(self, wasClean, code, reason):
        say("CLOSED", code, reason or "-")
        if not self.factory.done.done():
            self.factory.done.set_result(0 if wasClean else 1)


async def serve(args):
    factory = WebSocketServerFactory()
    factory.protocol = EchoServer
    # Echo the close code and reason we receive, as ws4ts and Python websockets do
    # (autobahn answers 1000 by default; RFC 6455 §5.5.1 allows either).
    factory.setProtocolOptions(maxMessagePayloadSize=0, maxFramePayloadSize=0, echoCloseCodeReason=True)
    if "--no-deflate" not in args:

        def accept(offers):
            for offer in offers:
                if isinstance(offer, PerMessageDeflateOffer):
                    return PerMessageDeflateOfferAccept(offer)
            return None

        factory.setProtocolOptions(perMessageCompressionAccept=accept)
    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
    say("PORT", server.sockets[0].getsockname()[1])
    await stdin_closed()
    server.close()


async def client(url, args):
    loop = asyncio.get_running_loop()
    factory = WebSocketClientFactory(url)
    factory.protocol = ScriptClient
    factory.done = loop.create_future()
    if "--no-deflate" not in args:

        def accept(response):
            if isinstance(response, PerMessageDeflateResponse):
                return PerMessageDeflateResponseAccept(response)
            return None

        factory.setProtocolOptions(
            perMessageCompressionOffers=[PerMessageDeflateOffer()],
            perMessageCompressionAccept=accept,
        )
    parsed = urlparse(url)
    await loop.create_connection(factory, parsed.hostname, parsed.port)
    return await factory.done


def main():
    if sys.argv[1] == "server":
        asyncio.run(serve(sys.argv[2:]))
    else:
        sys.exit(asyncio.run(asyncio.wait_for(client(sys.argv[2], sys.argv[3:]), 60)))


if __name__ == "__main__":
    main()
