"""A real relay process that a test kills and starts again on the same port."""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

import trio
from trio_websocket import ConnectionClosed

from codec import ClientEnvelope, RelayEnvelope, decode_relay_envelope, encode_envelope
from tests.conftest import free_port, open_relay_process
from tests.relay.clients import open_ws

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from trio_websocket import WebSocketConnection


class RestartableRelay:
    """``python -m relay`` on one fixed loopback port, across restarts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        self._stack: AsyncExitStack | None = None
        self._process: trio.Process | None = None

    async def start(self) -> None:
        stack = AsyncExitStack()
        process, url = await stack.enter_async_context(open_relay_process("--port", str(self.port)))
        assert url == self.url, url
        self._stack, self._process = stack, process

    async def kill(self) -> None:
        """SIGKILL: the relay forgets every room; every connection breaks at once."""
        assert self._process is not None
        assert self._stack is not None
        self._process.kill()
        with trio.fail_after(10):
            await self._process.wait()
        await self._stack.aclose()
        self._stack = self._process = None

    async def aclose(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()


@asynccontextmanager
async def open_restartable_relay() -> AsyncIterator[RestartableRelay]:
    relay = RestartableRelay()
    await relay.start()
    try:
        yield relay
    finally:
        await relay.aclose()


class Stranger:
    """Someone who knows the room id and nothing else, speaking raw envelopes."""

    def __init__(self, ws: WebSocketConnection) -> None:
        self.ws = ws
        self.received: list[RelayEnvelope] = []

    async def send(self, envelope: ClientEnvelope) -> None:
        await self.ws.send_message(encode_envelope(envelope))

    async def listen(self, seconds: float) -> list[RelayEnvelope]:
        """Everything the relay hands us for *seconds*, or until it closes on us."""
        with trio.move_on_after(seconds):
            while True:
                try:
                    data = await self.ws.get_message()
                except ConnectionClosed:
                    break
                assert isinstance(data, bytes)
                self.received.append(decode_relay_envelope(data))
        return self.received


@asynccontextmanager
async def open_stranger(url: str, room: str, hello: ClientEnvelope) -> AsyncIterator[Stranger]:
    async with open_ws(url, room) as ws:
        stranger = Stranger(ws)
        await stranger.send(hello)
        yield stranger
