"""The relay's WebSocket parser, with bytes only: every violation has its close code."""

from __future__ import annotations

import os
import struct

import pytest
import wsproto
import wsproto.events
from wsproto.connection import Connection, ConnectionType

from relay._websocket import (
    MAX_FRAGMENTS,
    BinaryMessage,
    ClientClosed,
    FrameParser,
    Ping,
    Pong,
    TextMessage,
    Violation,
    close_frame,
    frame_header,
)

MASK = b"\x01\x02\x03\x04"


def frame(
    opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, masked: bool = True
) -> bytes:
    """A client frame, built by hand so it can break any rule."""
    first = (0x80 if fin else 0) | rsv << 4 | opcode
    n = len(payload)
    if n < 126:
        head = bytes((first, (0x80 if masked else 0) | n))
    elif n < 0x10000:
        head = bytes((first, (0x80 if masked else 0) | 126)) + struct.pack("!H", n)
    else:
        head = bytes((first, (0x80 if masked else 0) | 127)) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    body = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return head + MASK + body


def client_bytes(*events: wsproto.events.Event) -> bytes:
    """What a real client library (wsproto) sends for *events*, after its handshake."""
    conn = Connection(ConnectionType.CLIENT)
    return b"".join(conn.send(e) for e in events)


def parse(data: bytes, max_message: int = 1 << 20) -> list[object]:
    return list(FrameParser(max_message).receive_data(data))


def test_a_binary_message_of_any_size_comes_out_unmasked() -> None:
    for size in (0, 1, 7, 125, 126, 255, 256, 1000, 65535, 65536, 300_001):
        payload = os.urandom(size)
        data = client_bytes(wsproto.events.BytesMessage(payload))
        assert parse(data) == [BinaryMessage(bytearray(payload))], size


def test_messages_split_across_reads_at_every_byte_come_out_whole() -> None:
    payload = os.urandom(700)
    data = client_bytes(
        wsproto.events.BytesMessage(payload),
        wsproto.events.Ping(b"p"),
        wsproto.events.BytesMessage(b"x"),
    )
    for cut in range(len(data)):
        parser = FrameParser(1 << 20)
        events = [*parser.receive_data(data[:cut]), *parser.receive_data(data[cut:])]
        assert events == [
            BinaryMessage(bytearray(payload)),
            Ping(b"p"),
            BinaryMessage(bytearray(b"x")),
        ]


def test_a_fragmented_message_is_joined() -> None:
    data = frame(2, b"ab", fin=False) + frame(0, b"", fin=False) + frame(9, b"!") + frame(0, b"cd")
    assert parse(data) == [Ping(b"!"), BinaryMessage(bytearray(b"abcd"))]


def test_pings_pongs_text_and_close_are_reported() -> None:
    data = (
        frame(9, b"hi")
        + frame(10, b"ho")
        + frame(1, "héllo".encode())
        + frame(8, close_frame(1000, "bye")[2:])
    )
    assert parse(data) == [Ping(b"hi"), Pong(b"ho"), TextMessage(), ClientClosed(1000, "bye")]


def test_an_empty_close_has_no_code() -> None:
    assert parse(frame(8, b"")) == [ClientClosed(None, "")]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (frame(2, b"x", rsv=4), 1002),
        (frame(2, b"x", rsv=1), 1002),
        (frame(2, b"x", masked=False), 1002),
        (frame(3, b"x"), 1002),
        (frame(0xB, b"x"), 1002),
        (frame(0, b"x"), 1002),
        (frame(2, b"a", fin=False) + frame(2, b"b"), 1002),
        (frame(9, b"x" * 126), 1002),
        (frame(9, b"x", fin=False), 1002),
        (frame(8, b"\x03"), 1002),
        (frame(8, struct.pack("!H", 999)), 1002),
        (frame(8, struct.pack("!H", 1005)), 1002),
        (frame(8, struct.pack("!H", 2000)), 1002),
        (frame(8, struct.pack("!H", 1000) + b"\xff"), 1007),
        (frame(1, b"\xc3\x28"), 1007),
        (bytes((0x82, 0xFF)) + b"\x80" + b"\0" * 7 + MASK, 1002),
        (frame(2, b"x" * 2000), 1009),
        (frame(2, b"x" * 600, fin=False) + frame(0, b"x" * 600), 1009),
    ],
    ids=[
        "rsv1-bit",
        "rsv3-bit",
        "unmasked",
        "reserved-data-opcode",
        "reserved-control-opcode",
        "orphan-continuation",
        "new-message-mid-message",
        "long-ping",
        "fragmented-ping",
        "one-byte-close",
        "close-code-999",
        "close-code-1005",
        "close-code-2000",
        "close-reason-not-utf8",
        "text-not-utf8",
        "length-high-bit",
        "too-big",
        "too-big-in-parts",
    ],
)
def test_each_violation_gets_its_close_code_and_stops_the_parser(data: bytes, code: int) -> None:
    parser = FrameParser(1000)
    events = parser.receive_data(data)
    assert len(events) == 1
    assert isinstance(events[0], Violation)
    assert events[0].code == code
    assert parser.done
    assert parser.receive_data(frame(2, b"more")) == []


def test_an_oversized_message_is_refused_from_its_header_alone() -> None:
    header_only = frame(2, b"x" * 70_000)[:14]
    events = parse(header_only, max_message=65536)
    assert events == [Violation(1009, "message over the 65536-byte limit")]


def test_a_flood_of_empty_continuation_frames_is_cut_short() -> None:
    flood = frame(2, b"", fin=False) + frame(0, b"", fin=False) * 200_000
    parser = FrameParser(1 << 20)
    events = parser.receive_data(flood)
    assert events == [Violation(1008, f"message in over {MAX_FRAGMENTS} frames")]


def test_server_frames_are_unmasked_and_final() -> None:
    conn = Connection(ConnectionType.CLIENT)
    for size in (0, 125, 126, 65535, 65536):
        conn.receive_data(frame_header(2, size) + b"y" * size)
        assert [type(e) for e in conn.events()] == [wsproto.events.BytesMessage]
    conn.receive_data(close_frame(1008, "why"))
    closing = list(conn.events())
    assert isinstance(closing[0], wsproto.events.CloseConnection)
    assert (closing[0].code, closing[0].reason) == (1008, "why")
