"""What the relay logs: one line per event, no refusal for an ordinary leave."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import trio

from codec import MemberJoined, MemberLeft, RelayRejected, Send
from tests.relay.clients import WAIT, open_member

if TYPE_CHECKING:
    import pytest


def info_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "helpline.relay" and r.levelno >= logging.INFO
    ]


async def test_a_message_to_someone_who_just_left_is_not_logged_as_a_refusal(
    relay_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="helpline.relay"), trio.fail_after(WAIT):
        async with open_member(relay_url, "room1", create=True) as host:
            async with open_member(relay_url, "room1") as guest:
                assert await host.receive() == MemberJoined(guest.id)
            assert await host.receive() == MemberLeft(guest.id)
            await host.send(Send(guest.id, b"still typing"))
            rejection = await host.receive()
            assert isinstance(rejection, RelayRejected)
            assert rejection.reason == "no-such-member"
            # An id that never existed in the room is a refusal worth a line.
            await host.send(Send(99, b"?"))
            assert isinstance(await host.receive(), RelayRejected)
    lines = info_lines(caplog)
    assert [line for line in lines if "no-such-member" in line] == [
        "endpoint 1 of room room1 (127.0.0.1): refused, no-such-member"
    ]


async def test_each_event_is_one_line(relay_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="helpline.relay"), trio.fail_after(WAIT):
        async with open_member(relay_url, "room1", create=True) as host:
            async with open_member(relay_url, "room1"):
                assert await host.receive() == MemberJoined(2)
        await trio.sleep(0.1)
    lines = [line for line in info_lines(caplog) if "room1" in line]
    assert len(lines) == len(set(lines)), lines
    assert lines[0] == "room room1 opened by 127.0.0.1"
    assert lines[1] == "endpoint 2 of room room1 joined from 127.0.0.1"
    assert lines[-1].startswith("endpoint 1 of room room1 left; room room1 closed after")
    assert len(lines) == 4, lines
