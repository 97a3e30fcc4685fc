"""A man in the middle for tests: a WebSocket proxy in front of the real relay.

It sees exactly what the relay sees (whole WebSocket messages, unmasked),
records every one, and can rewrite the traffic toward a chosen endpoint to
play the hostile relay: drop, replay, reorder or alter messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import trio
import trio_websocket

from codec import (
    Delivered,
    PayloadKind,
    ProtocolError,
    Send,
    decode_client_envelope,
    decode_relay_envelope,
    encode_envelope,
)
from tests.relay.clients import open_ws

#: Rewrites one relay->peer message into the messages to deliver instead.
Tamper = Callable[[bytes], list[bytes]]


@dataclass
class Wiretap:
    url: str = ""
    recorded: list[bytes] = field(default_factory=list)
    #: Applied to relay->peer messages on connections whose path ends with a marker.
    tamper: Tamper | None = None
    connections: int = 0

    def saw(self, needle: bytes) -> bool:
        return any(needle in message for message in self.recorded)


def sealed_delivery(data: bytes) -> Delivered | None:
    """The Delivered envelope in *data* if it carries a sealed (encrypted) frame."""
    try:
        env = decode_relay_envelope(data)
    except ProtocolError:
        return None
    if isinstance(env, Delivered) and env.payload[:1] == bytes([PayloadKind.SEALED]):
        return env
    return None


def sealed_sends_to(tap: Wiretap, endpoint: int) -> int:
    """How many sealed frames any peer asked the relay to carry to *endpoint*."""
    return len(sealed_sent_to(tap, endpoint))


SEALED = bytes([PayloadKind.SEALED])


def sealed_sent_to(tap: Wiretap, endpoint: int) -> list[bytes]:
    """The sealed frames any peer asked the relay to carry to *endpoint*, in order."""
    frames = []
    for message in tap.recorded:
        try:
            env = decode_client_envelope(message)
        except ProtocolError:
            continue
        if isinstance(env, Send) and env.to == endpoint and env.payload[:1] == SEALED:
            frames.append(env.payload)
    return frames


def rewrite_payload(env: Delivered, payload: bytes | memoryview) -> bytes:
    return encode_envelope(Delivered(env.sender, payload))


@asynccontextmanager
async def open_wiretap(relay_url: str, *, tamper_nth: int | None = None) -> AsyncIterator[Wiretap]:
    """Proxy on a free loopback port; ``tamper_nth`` (1-based) picks which
    connection's incoming traffic ``Wiretap.tamper`` rewrites."""
    tap = Wiretap()

    async def handler(request: trio_websocket.WebSocketRequest) -> None:
        tap.connections += 1
        tampered = tamper_nth == tap.connections
        peer_ws = await request.accept()
        try:
            # Not trio-websocket's own client: it leaves its socket open when
            # the relay dies during the handshake (a restart test kills it).
            async with open_ws(relay_url, request.path.removeprefix("/s/")) as relay_ws:
                async with trio.open_nursery() as nursery:

                    async def upstream() -> None:
                        while True:
                            message = await peer_ws.get_message()
                            assert isinstance(message, bytes)
                            tap.recorded.append(message)
                            await relay_ws.send_message(message)

                    async def downstream() -> None:
                        while True:
                            message = await relay_ws.get_message()
                            assert isinstance(message, bytes)
                            tap.recorded.append(message)
                            out = [message]
                            if tampered and tap.tamper is not None:
                                out = tap.tamper(message)
                            for item in out:
                                await peer_ws.send_message(item)

                    async def run(fn: Callable[[], Awaitable[None]]) -> None:
                        with suppress(trio_websocket.ConnectionClosed, trio.BrokenResourceError):
                            await fn()
                        nursery.cancel_scope.cancel()

                    nursery.start_soon(run, upstream)
                    nursery.start_soon(run, downstream)
        except* (
            trio_websocket.ConnectionClosed,
            trio_websocket.HandshakeError,  # the relay is down (a restart test)
            trio.BrokenResourceError,
            trio.TooSlowError,
            OSError,
        ):
            pass
        finally:
            await peer_ws.aclose()

    async with trio.open_nursery() as nursery:
        server = await nursery.start(trio_websocket.serve_websocket, handler, "127.0.0.1", 0, None)
        tap.url = f"ws://127.0.0.1:{server.port}"
        yield tap
        nursery.cancel_scope.cancel()
