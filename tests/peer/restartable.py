"""A real relay process that a test kills and starts again on the same port.

Starting ``python -m relay`` is mostly the interpreter and its imports:
half a second on a quiet machine, up to eight on a loaded one, longer than
the short resume times tests give their sessions. So the next relay is
started ahead, and waits imported for a line on stdin before it listens:
the first start waits for the next to stand by, a later ``kill`` does if
it has not yet, and ``start`` is then the relay's own start (tens of
milliseconds), not the machine's load.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio
from trio_websocket import ConnectionClosed

from codec import (
    ClientEnvelope,
    RelayEnvelope,
    Welcome,
    decode_relay_envelope,
    encode_envelope,
)
from peer._events import Reconnected
from peer._server_process import STARTUP_TIMEOUT, read_line, stop_process
from tests.conftest import LISTENING_PREFIX, free_port
from tests.peer.helpers import next_event
from tests.relay.clients import open_ws

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from trio_websocket import WebSocketConnection

    from peer._session import Session

#: A relay that has imported everything, says so, and starts (``relay.cli.main``)
#: on a line from stdin; end of input first (the test is over) and it exits.
STANDING_BY = """
import sys
from relay.cli import main
print("standing by", flush=True)
if sys.stdin.readline():
    raise SystemExit(main(sys.argv[1:]))
"""
#: Importing the relay on a machine loaded many times over its cores can take
#: this long; a spare that is slower than that is broken.
READY_WITHIN = 60.0


#: Seconds a session may take to come back after a restart, on a loaded machine.
RESTART_WITHIN = 40.0


class RestartableRelay:
    """``python -m relay`` on one fixed loopback port, across restarts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        self._process: trio.Process | None = None
        #: The next relay, and whether it has said it stands by.
        self._spare: trio.Process | None = None
        self._spare_ready = False

    async def start(self) -> None:
        process = await self.standing_by()
        self._spare, self._process = None, process
        assert process.stdin is not None
        assert process.stdout is not None
        await process.stdin.send_all(b"start\n")
        with trio.fail_after(STARTUP_TIMEOUT):
            line = await read_line(process.stdout)
        assert line.strip() == LISTENING_PREFIX + self.url, line
        # It imports while the test goes on; kill() waits for it, not start().
        self._spare, self._spare_ready = await self._spawn(), False

    async def kill(self) -> None:
        """SIGKILL: the relay forgets every room; every connection breaks at once."""
        assert self._process is not None
        await self.standing_by()  # so that start() is the relay's start alone
        self._process.kill()
        with trio.fail_after(10):
            await self._process.wait()
        await stop_process(self._process)
        self._process = None

    async def aclose(self) -> None:
        for process in (self._process, self._spare):
            if process is not None:
                await stop_process(process)
        self._process = self._spare = None

    async def standing_by(self) -> trio.Process:
        """The next relay, once it has imported everything and waits to start."""
        if self._spare is None:
            self._spare, self._spare_ready = await self._spawn(), False
        if not self._spare_ready:
            assert self._spare.stdout is not None
            with trio.fail_after(READY_WITHIN):
                line = await read_line(self._spare.stdout)
            assert line == "standing by\n", line
            self._spare_ready = True
        return self._spare

    async def _spawn(self) -> trio.Process:
        argv = ["--host", "127.0.0.1", "--port", str(self.port)]
        return await trio.lowlevel.open_process(
            [sys.executable, "-c", STANDING_BY, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )


@asynccontextmanager
async def open_restartable_relay() -> AsyncIterator[RestartableRelay]:
    relay = RestartableRelay()
    await relay.start()
    try:
        # Before the test's session starts, so that no kill() mid-activity waits.
        await relay.standing_by()
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


@asynccontextmanager
async def open_stranger_first(
    relay: RestartableRelay, room: str, hello: ClientEnvelope, sessions: Sequence[Session]
) -> AsyncIterator[Stranger]:
    """A stranger re-creating *room* on a relay that just restarted, before its rep.

    When the rep wins that race (a loaded machine), *sessions* come back and
    the relay restarts again, up to five times.
    """
    for _ in range(5):
        async with open_stranger(relay.url, room, hello) as stranger:
            data = await stranger.ws.get_message()
            assert isinstance(data, bytes)
            if isinstance(decode_relay_envelope(data), Welcome):
                yield stranger
                return
        for session in sessions:
            await next_event(session, Reconnected, within=RESTART_WITHIN)
        await relay.kill()
        await relay.start()
    raise AssertionError("the rep re-created its room before the stranger every time")
