"""Test clients for the relay.

:class:`Member` is a well-behaved endpoint on trio-websocket. :class:`RawClient`
speaks WebSocket by hand (wsproto over a bare TCP stream) so a test can
misbehave: never answer pings, stop reading, send garbage, vanish.
"""

from __future__ import annotations

import socket
import struct
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import trio
import wsproto
import wsproto.events
from trio_websocket import CloseReason, ConnectionClosed, WebSocketConnection, wrap_client_stream

from codec import (
    ClientEnvelope,
    CreateRoom,
    JoinRoom,
    RelayEnvelope,
    RelayRejected,
    Welcome,
    decode_relay_envelope,
    encode_envelope,
)
from relay import RunningRelay, serve_relay
from tests.conftest import free_relay_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

#: Long enough for a loaded 2-core machine, short enough to fail fast.
WAIT = 5.0


class Member:
    """One endpoint in a room (after its Welcome)."""

    def __init__(self, ws: WebSocketConnection, welcome: Welcome) -> None:
        self.ws = ws
        self.welcome = welcome
        self.id = welcome.id

    async def send(self, envelope: ClientEnvelope) -> None:
        await self.ws.send_message(encode_envelope(envelope))

    async def receive(self) -> RelayEnvelope:
        with trio.fail_after(WAIT):
            data = await self.ws.get_message()
        assert isinstance(data, bytes)
        return decode_relay_envelope(data)

    async def closed(self) -> tuple[list[RelayEnvelope], CloseReason]:
        """Read until the relay closes us; return what came first and the close reason."""
        seen: list[RelayEnvelope] = []
        with trio.fail_after(WAIT):
            while True:
                try:
                    data = await self.ws.get_message()
                except ConnectionClosed as exc:
                    reason = exc.reason
                    break
                assert isinstance(data, bytes)
                seen.append(decode_relay_envelope(data))
        assert reason is not None
        return seen, reason


@asynccontextmanager
async def open_ws(url: str, room: str) -> AsyncIterator[WebSocketConnection]:
    """A client WebSocket to ``/s/<room>``.

    Built from its own TCP stream, which is closed on exit: trio-websocket's
    client leaves its socket open when the *server* closes first.
    """
    host, port = host_port(url)
    with trio.fail_after(WAIT):
        stream = await trio.open_tcp_stream(host, port)
    try:
        async with trio.open_nursery() as nursery:
            with trio.fail_after(WAIT):
                ws = await wrap_client_stream(
                    nursery,
                    stream,
                    host,
                    f"/s/{room}",
                    max_message_size=16 * 1024 * 1024,
                    receive_buffer_size=256 * 1024,
                )
            try:
                yield ws
            finally:
                with trio.CancelScope(shield=True) as scope:
                    scope.deadline = trio.current_time() + WAIT
                    await ws.aclose()
                nursery.cancel_scope.cancel()
    finally:
        await trio.aclose_forcefully(stream)


@asynccontextmanager
async def open_member(
    url: str, room: str, *, create: bool = False, hello: ClientEnvelope | None = None
) -> AsyncIterator[Member]:
    """Connect to *room*, create or join it (or send *hello*), and yield the welcomed member."""
    async with open_ws(url, room) as ws:
        first = hello or (CreateRoom() if create else JoinRoom())
        await ws.send_message(encode_envelope(first))
        with trio.fail_after(WAIT):
            data = await ws.get_message()
        assert isinstance(data, bytes)
        welcome = decode_relay_envelope(data)
        assert isinstance(welcome, Welcome), welcome
        yield Member(ws, welcome)


async def refused(ws: WebSocketConnection, envelope: ClientEnvelope) -> tuple[RelayRejected, int]:
    """Send *envelope*; expect one fatal rejection then a close. Return both."""
    await ws.send_message(encode_envelope(envelope))
    return await rejected(ws)


async def rejected(ws: WebSocketConnection) -> tuple[RelayRejected, int]:
    """Expect one fatal rejection, then a close; return both."""
    seen: list[RelayEnvelope] = []
    with trio.fail_after(WAIT):
        while True:
            try:
                data = await ws.get_message()
            except ConnectionClosed as exc:
                reason = exc.reason
                break
            assert isinstance(data, bytes)
            seen.append(decode_relay_envelope(data))
    assert reason is not None
    assert len(seen) == 1, seen
    assert isinstance(seen[0], RelayRejected), seen
    assert seen[0].fatal
    return seen[0], reason.code


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("ws://").rsplit(":", 1)
    return host, int(port)


class RawClient:
    """WebSocket by hand, for tests that need a client to misbehave."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
        self.events: list[wsproto.events.Event] = []

    @classmethod
    async def connect(
        cls,
        url: str,
        room: str,
        *,
        rcvbuf: int | None = None,
        sndbuf: int | None = None,
        headers: list[tuple[bytes, str]] | None = None,
    ) -> RawClient:
        host, port = host_port(url)
        sock = trio.socket.socket()
        if rcvbuf is not None:
            # A small fixed receive buffer makes "stops reading" bite quickly.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf is not None:
            # And a small send buffer makes "is blocked" show quickly.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        await sock.connect((host, port))
        client = cls(trio.SocketStream(sock))
        await client.send(
            wsproto.events.Request(
                host=host,
                target=f"/s/{room}",
                extra_headers=[(k, v.encode()) for k, v in headers or ()],
            )
        )
        await client.read_until(
            lambda: any(isinstance(e, wsproto.events.AcceptConnection) for e in client.events)
        )
        client.events.clear()
        return client

    async def read_until(self, done: Callable[[], bool]) -> None:
        with trio.fail_after(WAIT):
            while not done():
                if not await self.read():
                    raise AssertionError(f"connection closed; events so far {self.events}")

    async def send(self, event: wsproto.events.Event) -> None:
        await self.stream.send_all(self.ws.send(event))

    async def send_envelope(self, envelope: ClientEnvelope) -> None:
        await self.send(wsproto.events.BytesMessage(encode_envelope(envelope)))

    async def read(self) -> bool:
        """Read once from the socket; False at end of stream."""
        data = await self.stream.receive_some(65536)
        self.ws.receive_data(data or None)
        self.events.extend(self.ws.events())
        return bool(data)

    async def read_until_closed(self) -> list[wsproto.events.Event]:
        """Read (never answering pings) until the relay closes the TCP connection."""
        with trio.fail_after(WAIT):
            try:
                while await self.read():
                    pass
            except trio.BrokenResourceError:
                pass
        return self.events

    async def first_envelope(self) -> RelayEnvelope:
        """Read until the relay has sent an envelope; return the first one."""
        await self.read_until(lambda: bool(self.envelopes()))
        return self.envelopes()[0]

    def envelopes(self) -> list[RelayEnvelope]:
        return [
            decode_relay_envelope(bytes(e.data))
            for e in self.events
            if isinstance(e, wsproto.events.BytesMessage)
        ]

    def close_code(self) -> int | None:
        for e in self.events:
            if isinstance(e, wsproto.events.CloseConnection):
                return e.code
        return None

    async def vanish(self) -> None:
        """Drop the TCP connection with a reset, as a crashed machine's network would."""
        self.stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        await self.stream.aclose()


async def start_relay(nursery: trio.Nursery, **overrides: Any) -> RunningRelay:
    """Start an in-process relay with test settings plus *overrides*."""
    running: RunningRelay = await nursery.start(serve_relay, free_relay_settings(**overrides))
    return running


async def http_get(
    url: str, path: str, method: str = "GET", host: str = "x"
) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP request to the relay; status, lower-case headers, body."""
    return await http_exchange(url, f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())


async def http_exchange(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = host_port(url)
    with trio.fail_after(WAIT):
        async with await trio.open_tcp_stream(host, port) as stream:
            await stream.send_all(request)
            response = bytearray()
            while chunk := await stream.receive_some(65536):
                response += chunk
    head, _, body = bytes(response).partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split(" ")[1]), headers, body


async def metric(url: str, name: str) -> int:
    """The value of one sample on /metrics, e.g. ``rejections_total{reason="x"}``; 0 if absent."""
    _, _, body = await http_get(url, "/metrics")
    for line in body.decode().splitlines():
        sample, _, value = line.rpartition(" ")
        if sample == f"helpline_relay_{name}":
            return int(value)
    return 0


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (polling, bounded) for something the relay does right after a disconnect."""
    with trio.fail_after(WAIT):
        while not condition():  # noqa: ASYNC110 - the relay has no event to wait on
            await trio.sleep(0.01)
