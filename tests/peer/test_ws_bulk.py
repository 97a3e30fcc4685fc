"""The peer's WebSocket takes large messages the short way and keeps WebSocket's rules.

A raw server on loopback (wsproto for its handshake, frames written by
hand) sends exactly the frames each test names; the client is the peer's
own :class:`peer._ws_bulk.BulkWebSocket`.
"""

from __future__ import annotations

import os
import socket
import struct
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING

import pytest
import trio
import trio_websocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, Pong, Request

from peer._ws_bulk import SCRATCH_BYTES, BulkWebSocket, wrap_bulk_client_stream

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

LIMIT = 10.0
MIB = 1024 * 1024


def frame(opcode: int, payload: bytes, *, fin: bool = True, first_bits: int = 0) -> bytes:
    """A server frame as RFC 6455 lays it out (unmasked, unless the test says otherwise)."""
    first = (0x80 if fin else 0) | first_bits | opcode
    size = len(payload)
    if size <= 125:
        head = struct.pack("!BB", first, size)
    elif size <= 0xFFFF:
        head = struct.pack("!BBH", first, 126, size)
    else:
        head = struct.pack("!BBQ", first, 127, size)
    return head + payload


def masked(opcode: int, payload: bytes) -> bytes:
    key = b"\x01\x02\x03\x04"
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + key + body


def code(closed: trio_websocket.ConnectionClosed) -> int | None:
    return closed.reason.code if closed.reason is not None else None


class Server:
    def __init__(self, stream: trio.SocketStream, ws: WSConnection) -> None:
        self.stream, self.ws = stream, ws

    async def send(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def message(self) -> bytes:
        """The next binary message the client sent, however many events it came in."""
        received = b""
        while True:
            event = await self.next_event()
            assert isinstance(event, BytesMessage)
            received += event.data
            if event.message_finished:
                return received

    async def next_event(self) -> object:
        while True:
            for event in self.ws.events():
                return event
            data = await self.stream.receive_some(1 << 20)
            self.ws.receive_data(data or None)


@asynccontextmanager
async def connected(max_message_size: int = 8 * MIB) -> AsyncIterator[tuple[Server, BulkWebSocket]]:
    accepted: trio.MemorySendChannel[Server]
    accepted, incoming = trio.open_memory_channel[Server](1)

    async def handle(stream: trio.SocketStream) -> None:
        ws = WSConnection(ConnectionType.SERVER)
        while True:
            ws.receive_data(await stream.receive_some(65536))
            if any(isinstance(e, Request) for e in ws.events()):
                break
        await stream.send_all(ws.send(AcceptConnection()))
        await accepted.send(Server(stream, ws))
        await trio.sleep_forever()

    with trio.fail_after(LIMIT):
        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(partial(trio.serve_tcp, handle, 0, host="127.0.0.1"))
            port = listeners[0].socket.getsockname()[1]
            async with await trio.open_tcp_stream("127.0.0.1", port) as stream:
                ws = await wrap_bulk_client_stream(
                    nursery,
                    stream,
                    f"127.0.0.1:{port}",
                    "/",
                    max_message_size=max_message_size,
                    receive_buffer_size=65536,
                )
                server = await incoming.receive()
                yield server, ws
                nursery.cancel_scope.cancel()


async def test_a_large_message_arrives_whole_in_a_buffer_of_its_own() -> None:
    big = os.urandom(3 * MIB + 5)
    async with connected() as (server, ws):
        await server.send(frame(2, b"before") + frame(2, big) + frame(2, b"after"))
        assert await ws.get_message() == b"before"
        message: object = await ws.get_message()
        assert isinstance(message, bytearray)
        assert message == big
        assert await ws.get_message() == b"after"


async def test_messages_of_every_size_across_read_boundaries_arrive_in_order() -> None:
    sizes = [0, 1, 125, 126, 65535, 65536, SCRATCH_BYTES - 2, SCRATCH_BYTES, 200_001]
    messages = [os.urandom(n) for n in sizes * 3]
    async with connected() as (server, ws):
        wire = b"".join(frame(2, m) for m in messages)
        async with trio.open_nursery() as nursery:
            # In odd slices, so headers and payloads straddle the reads.
            async def trickle() -> None:
                for at in range(0, len(wire), 77_777):
                    await server.send(wire[at : at + 77_777])

            nursery.start_soon(trickle)
            for expected in messages:
                assert await ws.get_message() == expected


async def test_a_ping_between_messages_is_answered_with_its_payload() -> None:
    async with connected() as (server, ws):
        await server.send(frame(2, os.urandom(MIB)) + frame(9, b"are you there") + frame(2, b"x"))
        await ws.get_message()
        assert await ws.get_message() == b"x"
        event = await server.next_event()
        assert isinstance(event, Pong)
        assert event.payload == b"are you there"


async def test_a_fragmented_message_is_joined_and_later_messages_still_arrive() -> None:
    async with connected() as (server, ws):
        await server.send(frame(2, b"first half, ", fin=False) + frame(0, b"second half"))
        assert await ws.get_message() == b"first half, second half"
        big = os.urandom(2 * MIB)
        await server.send(frame(2, big))
        assert await ws.get_message() == big


async def test_a_text_message_arrives_as_text() -> None:
    async with connected() as (server, ws):
        await server.send(frame(1, "grüß dich".encode()) + frame(2, b"then bytes"))
        assert await ws.get_message() == "grüß dich"
        assert await ws.get_message() == b"then bytes"


async def test_a_message_over_the_size_limit_closes_the_connection_with_1009() -> None:
    async with connected(max_message_size=1000) as (server, ws):
        await server.send(frame(2, os.urandom(2000)))
        with pytest.raises(trio_websocket.ConnectionClosed) as closed:
            await ws.get_message()
        assert code(closed.value) == 1009
        event = await server.next_event()
        assert isinstance(event, CloseConnection)
        assert event.code == 1009


@pytest.mark.parametrize(
    "bad",
    [masked(2, b"a server must not mask"), frame(2, b"reserved bit", first_bits=0x40)],
    ids=["masked", "reserved-bit"],
)
async def test_a_frame_breaking_the_protocol_ends_the_connection_with_1002(bad: bytes) -> None:
    async with connected() as (server, ws):
        await server.send(frame(2, b"fine") + bad + frame(2, b"never delivered"))
        assert await ws.get_message() == b"fine"
        with pytest.raises(trio_websocket.ConnectionClosed) as closed:
            await ws.get_message()
        assert code(closed.value) == 1002


async def test_the_server_closing_ends_the_connection_with_its_code() -> None:
    async with connected() as (server, ws):
        await server.send(frame(2, os.urandom(100_000)) + frame(8, struct.pack("!H", 1001)))
        await ws.get_message()
        with pytest.raises(trio_websocket.ConnectionClosed) as closed:
            await ws.get_message()
        assert code(closed.value) == 1001
        event = await server.next_event()
        assert isinstance(event, CloseConnection)  # the client answered the close


@pytest.mark.parametrize("sizes", [(3, 100_003, 2), (9, 5), (0, 1 << 20), (125,), (7, 119)])
async def test_parts_sent_arrive_as_one_message(sizes: tuple[int, ...]) -> None:
    parts = [os.urandom(n) for n in sizes]
    async with connected() as (server, ws), trio.open_nursery() as nursery:
        nursery.start_soon(ws.send_parts, *parts)  # the server reads meanwhile
        received = await server.message()
    assert received == b"".join(parts)


async def test_a_large_message_arriving_in_dribbles_ends_without_waiting_for_more() -> None:
    # The reader asks to be woken only once much of a body is there, never for
    # more than is due: the last dribble of a message, with nothing after it, arrives.
    big = os.urandom(3 * MIB + 5)
    wire = frame(2, big)
    async with connected() as (server, ws), trio.open_nursery() as nursery:

        async def dribble() -> None:
            for at in range(0, len(wire), 300_001):
                await server.send(wire[at : at + 300_001])
                await trio.sleep(0.01)

        nursery.start_soon(dribble)
        assert await ws.get_message() == big


async def test_a_large_message_waits_for_a_slow_reader_and_arrives_whole() -> None:
    # Far more than the socket buffers hold: the sender waits for room, again and again.
    big = os.urandom(8 * MIB)
    async with connected() as (server, ws), trio.open_nursery() as nursery:
        server.stream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        nursery.start_soon(ws.send_parts, b"head", big)
        await trio.sleep(0.3)  # not reading yet: the send buffer fills
        received = await server.message()
    assert received == b"head" + big


async def test_a_large_send_to_a_reader_that_never_reads_can_be_cancelled_and_ends_it() -> None:
    async with connected() as (server, ws):
        # Loopback would otherwise take megabytes unread.
        server.stream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        started = trio.current_time()
        with trio.move_on_after(0.3) as waiting:
            await ws.send_parts(os.urandom(8 * MIB))
        assert waiting.cancelled_caught
        assert trio.current_time() - started < 2.0
        # Cut off half sent, the frame ends the connection rather than garble it.
        with pytest.raises(trio_websocket.ConnectionClosed):
            await ws.get_message()
