"""Hostile or broken clients end their own connection, never the relay."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
import trio
import wsproto.events

from codec import CreateRoom, Delivered, JoinRoom, MemberJoined, MemberLeft, Send, Welcome
from tests.relay.clients import (
    WAIT,
    Member,
    RawClient,
    host_port,
    http_exchange,
    open_member,
    open_ws,
    rejected,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Misbehaving clients are routine: the relay must not log them as its own errors."""
    with caplog.at_level(logging.DEBUG, logger="helpline.relay"):
        yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def still_serving(url: str, bystander: Member) -> None:
    """The bystander's room works, and a brand-new room can be opened."""
    await bystander.send(Send(bystander.id, b"ping"))
    assert await bystander.receive() == Delivered(bystander.id, b"ping")
    async with open_member(url, "fresh", create=True) as fresh:
        assert fresh.welcome == Welcome(1, 1, ())


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\xc1", b"\x93\x03", b"\x92\x03\x01", b"\x93\x03\xa1x\xc4\x00", b"\x91\x63"],
    ids=["empty", "invalid-msgpack", "truncated", "short-send", "bad-id", "unknown-op"],
)
async def test_a_malformed_envelope_closes_that_connection(relay_url: str, garbage: bytes) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "calm", create=True) as bystander:
            async with open_ws(relay_url, "room1") as ws:
                await ws.send_message(garbage)
                rejection, close = await rejected(ws)
                assert rejection.reason == "malformed"
                assert close == 1002
            await still_serving(relay_url, bystander)


async def test_a_malformed_envelope_from_a_member_tells_the_others_it_left(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as guest,
        ):
            await guest.ws.send_message(b"\x93\x03")
            _seen, close = await guest.closed()
            assert close.code == 1002
            assert await host.receive() == MemberJoined(guest.id)
            assert await host.receive() == MemberLeft(guest.id)


async def test_a_text_message_closes_that_connection(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "calm", create=True) as bystander:
            async with open_ws(relay_url, "room1") as ws:
                await ws.send_message("hello")
                rejection, close = await rejected(ws)
                assert rejection.reason == "text-message"
                assert close == 1003
            await still_serving(relay_url, bystander)


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"\x16\x03\x01garbage\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", 431),
    ],
    ids=["not-http", "bad-header", "huge-head"],
)
async def test_garbage_instead_of_http_is_answered_and_closed(
    relay_url: str, request_bytes: bytes, status: int
) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "calm", create=True) as bystander:
            assert (await http_exchange(relay_url, request_bytes))[0] == status
            await still_serving(relay_url, bystander)


async def test_garbage_websocket_frames_close_that_connection(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "calm", create=True) as bystander:
            client = await RawClient.connect(relay_url, "room1")
            await client.stream.send_all(b"\xff" * 64)
            await client.read_until_closed()
            await client.stream.aclose()
            await still_serving(relay_url, bystander)


async def test_a_member_vanishing_mid_message_only_removes_it(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "room1", create=True) as host:
            client = await RawClient.connect(relay_url, "room1")
            await client.send_envelope(JoinRoom())
            await client.first_envelope()
            assert await host.receive() == MemberJoined(2)
            # Half of a 100 KiB frame, then the machine drops off the network.
            frame = client.ws.send(wsproto.events.BytesMessage(b"\x00" * 100_000))
            await client.stream.send_all(frame[: len(frame) // 2])
            await client.vanish()
            assert await host.receive() == MemberLeft(2)
            await still_serving(relay_url, host)


async def test_clients_vanishing_at_every_step_leave_the_relay_serving(relay_url: str) -> None:
    host, port = host_port(relay_url)
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "calm", create=True) as bystander:
            # After connecting, in the middle of the request head, after it.
            for prefix in (b"", b"GET /s/room1 HTTP/1.1\r\nHost: x\r\n", b"GET /healthz HTTP/1.1"):
                async with await trio.open_tcp_stream(host, port) as stream:
                    await stream.send_all(prefix)
            # After the upgrade, after creating a room, after sending to itself.
            for steps in range(3):
                client = await RawClient.connect(relay_url, f"gone{steps}")
                if steps >= 1:
                    await client.send_envelope(CreateRoom())
                if steps >= 2:
                    await client.send_envelope(Send(1, b"x" * 50_000))
                await client.vanish()
            await still_serving(relay_url, bystander)


async def test_logs_never_contain_payloads(
    relay_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    marker = b"SECRET-PAYLOAD-MARKER"
    with caplog.at_level(logging.DEBUG), trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as guest,
        ):
            await guest.send(Send(host.id, marker))
            await guest.send(Send(99, marker))
            await guest.ws.send_message(b"\x93\x03\xc4\x15" + marker)  # malformed, with payload
            await guest.closed()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "room1" in text  # the relay did log the session
    assert marker.decode() not in text
