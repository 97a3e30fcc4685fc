"""The peer's one WebSocket to the relay, speaking relay envelopes.

Everything trio-websocket can raise is translated here, once, into
:mod:`peer._errors`; nothing above this module sees a ``ConnectionClosed``.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import trio
import trio_websocket

from codec import (
    DEFAULT_LIMITS,
    ClientEnvelope,
    CreateRoom,
    JoinRoom,
    Kick,
    Limits,
    ProtocolError,
    RelayEnvelope,
    RelayRejected,
    Send,
    Welcome,
    decode_relay_envelope,
    encode_envelope,
    relay_says,
)
from peer._errors import ConnectionLostError, RelayRefusedError, RelayUnreachableError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["CONNECT_TIMEOUT", "RelayConnection", "open_relay_connection", "room_url"]

log = logging.getLogger("helpline.peer")

#: A relay that has not accepted us by then is down or unreachable.
CONNECT_TIMEOUT = 10.0
#: Large receive buffer: trio-websocket's 4 KiB default halves throughput.
RECEIVE_BUFFER = 256 * 1024
#: How often we check that the relay still answers, and how long it may take.
PING_INTERVAL = 15.0
PING_TIMEOUT = 20.0
#: Close handshake budget when leaving; after that the socket is just dropped.
CLOSE_TIMEOUT = 2.0


def room_url(relay: str, room: str) -> str:
    """``ws://host:port[/prefix]`` + ``/s/<room>``: the relay's room address."""
    parts = urlsplit(relay)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise RelayUnreachableError(
            f"{relay!r} is not a relay address; it looks like ws://HOST:PORT or wss://HOST"
        )
    path = parts.path.rstrip("/") + f"/s/{room}"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class RelayConnection:
    def __init__(
        self, ws: trio_websocket.WebSocketConnection, welcome: Welcome, limits: Limits
    ) -> None:
        self._ws = ws
        self.welcome = welcome
        self._limits = limits

    @property
    def id(self) -> int:
        return self.welcome.id

    async def send(self, to: int, payload: bytes) -> None:
        await self._send(Send(to, payload))

    async def kick(self, endpoint: int) -> None:
        await self._send(Kick(endpoint))

    async def keep_alive(self) -> None:
        """Ping the relay now and then; a relay that stops answering is lost.

        The relay pings us too, but only we can notice that *it* went silent
        (a machine that vanished sends no FIN).
        """
        while True:
            await trio.sleep(PING_INTERVAL)
            with trio.move_on_after(PING_TIMEOUT) as scope:
                try:
                    await self._ws.ping()
                except (trio_websocket.ConnectionClosed, trio.BrokenResourceError) as e:
                    raise ConnectionLostError(f"the connection to the relay broke ({e})") from None
            if scope.cancelled_caught:
                raise ConnectionLostError(
                    f"the relay stopped answering (no reply in {PING_TIMEOUT:.0f} s)"
                )

    async def receive(self) -> RelayEnvelope:
        """The next envelope from the relay; a garbled one is skipped and logged."""
        while True:
            try:
                data = await self._ws.get_message()
            except trio_websocket.ConnectionClosed as e:
                raise ConnectionLostError(_closed_reason(e)) from None
            if not isinstance(data, bytes):
                log.warning("relay sent a text message; ignored")
                continue
            try:
                return decode_relay_envelope(data, self._limits)
            except ProtocolError as e:
                log.warning("relay sent a malformed envelope (%s); ignored", e)

    async def _send(self, env: ClientEnvelope) -> None:
        try:
            await self._ws.send_message(encode_envelope(env))
        except (trio_websocket.ConnectionClosed, trio.BrokenResourceError) as e:
            raise ConnectionLostError(f"the connection to the relay broke ({e})") from None


@asynccontextmanager
async def open_relay_connection(
    relay: str, room: str, *, create: bool, limits: Limits = DEFAULT_LIMITS
) -> AsyncIterator[RelayConnection]:
    """Connect to *room* on *relay*, create or join it, and wait for the welcome."""
    url = room_url(relay, room)
    connected = False
    try:
        async with trio_websocket.open_websocket_url(
            url,
            max_message_size=limits.max_envelope_bytes,
            receive_buffer_size=RECEIVE_BUFFER,
            connect_timeout=CONNECT_TIMEOUT,
            disconnect_timeout=CLOSE_TIMEOUT,
        ) as ws:
            connected = True
            yield await _greet(ws, create=create, limits=limits)
    except (OSError, trio_websocket.HandshakeError) as e:
        if connected:
            raise
        raise RelayUnreachableError(f"cannot reach the relay at {relay}: {_describe(e)}") from None


async def _greet(
    ws: trio_websocket.WebSocketConnection, *, create: bool, limits: Limits
) -> RelayConnection:
    hello: ClientEnvelope = CreateRoom() if create else JoinRoom()
    probe = RelayConnection(ws, Welcome(0, 0, ()), limits)
    with trio.fail_after(CONNECT_TIMEOUT):
        await probe._send(hello)
        first = await probe.receive()
    if isinstance(first, RelayRejected):
        # The relay's own words could pose as ours: a fixed text, or attributed.
        raise RelayRefusedError(relay_says(first.reason, first.message), reason=first.reason)
    if not isinstance(first, Welcome):
        raise ConnectionLostError("the relay did not welcome us; is that address a Helpline relay?")
    return RelayConnection(ws, first, limits)


def _closed_reason(e: trio_websocket.ConnectionClosed) -> str:
    reason = e.reason
    if reason is None:
        return "the relay closed the connection"
    detail = f": {reason.reason}" if reason.reason else ""
    return f"the relay closed the connection ({reason.name}{detail})"


def _describe(e: BaseException) -> str:
    if isinstance(e, trio.TooSlowError):
        return "no answer in time"
    if isinstance(e, trio_websocket.ConnectionRejected):
        return f"it refused the WebSocket (HTTP {e.status_code})"
    return str(e) or type(e).__name__
