"""System information consent against hostile peers, over a real relay and real channels.

The rep here is hostile: it sends raw requests through the session API,
skipping its own ``/sysinfo`` checks. The customer runs the real
:class:`peer._desk.CustomerDesk`; only the customer's typed answer releases
a report.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import psutil
import trio

from codec import DEFAULT_POLICY, SysinfoRefused, SysinfoReport, SysinfoRequest
from peer._desk import CustomerDesk
from peer._events import ChatReceived, MemberJoined, MessageReceived
from peer._nursery import open_task_nursery
from peer._open import open_hosted_session, open_joined_session
from tests.peer.helpers import WAIT, invite, next_event

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import pytest

    from peer._session import MemberSession, Session


class Face:
    """What the customer's screen shows, and a way to wait for a line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._changed = trio.Event()

    def say(self, line: str) -> None:
        self.lines.append(line)
        self._changed.set()
        self._changed = trio.Event()

    async def wait_for(self, line: str, times: int = 1) -> None:
        """Until *line* has been shown *times* times."""
        with trio.fail_after(WAIT):
            while self.lines.count(line) < times:
                await self._changed.wait()


@asynccontextmanager
async def customer_with_desk(session: MemberSession) -> AsyncIterator[tuple[CustomerDesk, Face]]:
    face = Face()
    desk = CustomerDesk(session, DEFAULT_POLICY, face.say)
    async with open_task_nursery() as nursery:

        async def feed() -> None:
            async for event in session.events:
                await desk.observe(event)

        nursery.start_soon(feed)
        yield desk, face
        nursery.cancel_scope.cancel()


async def next_sysinfo(session: Session) -> SysinfoReport | SysinfoRefused | SysinfoRequest:
    event = await next_event(session, MessageReceived)
    assert isinstance(event.message, SysinfoReport | SysinfoRefused | SysinfoRequest)
    return event.message


async def test_a_request_without_the_customers_yes_gets_no_report(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Mallory") as mallory:
        async with open_joined_session(invite(mallory), "Bob") as bob:
            async with customer_with_desk(bob) as (desk, face):
                desk.sysinfo.gate.reask_delay = 0.0  # its own test: the rep must wait after a no
                await mallory.send_message(bob.id, SysinfoRequest(2))
                await face.wait_for("Allow? [y/N]")
                assert await desk.answer("no thanks")
                # The channel keeps order: a report sent before the refusal would come first.
                answer = await next_sysinfo(mallory)
                assert answer == SysinfoRefused(
                    2, "the customer refused to send system information"
                )
                assert "Refused; nothing was sent." in face.lines
                # Asking again after a no (and the wait) asks the customer again; it never
                # answers by itself.
                await mallory.send_message(bob.id, SysinfoRequest(3))
                await face.wait_for("Allow? [y/N]", times=2)
                assert await desk.answer("y")
                report = await next_sysinfo(mallory)
                assert isinstance(report, SysinfoReport)
                assert report.request == 3


async def test_a_request_from_another_customer_is_refused_without_asking(
    relay_url: str,
) -> None:
    async with open_hosted_session(relay_url, "Alice") as alice:
        async with open_joined_session(invite(alice), "Bob") as bob:
            async with open_joined_session(invite(alice), "Carol") as carol:
                await next_event(bob, MemberJoined)
                async with customer_with_desk(bob) as (desk, face):
                    await carol.send_message(bob.id, SysinfoRequest(9))
                    refusal = await next_sysinfo(carol)
                    assert refusal == SysinfoRefused(
                        9, "only the controlling rep may ask for system information"
                    )
                    assert face.lines == [
                        "! Refused a system information request from Carol: "
                        "only the controlling rep may ask for system information"
                    ]
                    assert not await desk.answer("y")  # nothing is pending to say yes to


async def test_a_probe_that_fails_refuses_on_both_sides_and_the_session_goes_on(
    relay_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise PermissionError("/proc is not readable")

    monkeypatch.setattr(psutil, "boot_time", broken)
    async with open_hosted_session(relay_url, "Alice") as alice:
        async with open_joined_session(invite(alice), "Bob") as bob:
            async with customer_with_desk(bob) as (_, face):
                await alice.send_message(bob.id, SysinfoRequest(1))
                refused = await next_sysinfo(alice)
                assert refused == SysinfoRefused(
                    1, "the customer's machine could not gather its system information"
                )
                assert face.lines == [
                    "! Could not gather your system information (/proc is not readable); "
                    "nothing was sent."
                ]
                await bob.send_chat("still here")
                assert (await next_event(alice, ChatReceived)).text == "still here"


async def test_a_question_from_a_rep_who_handed_control_over_is_withdrawn_and_a_yes_sends_nothing(
    relay_url: str,
) -> None:
    async with open_hosted_session(relay_url, "Alice") as alice:
        async with open_joined_session(invite(alice), "Bob") as bob:
            await alice.assistant_code()
            async with open_joined_session(invite(alice), "Dave", assist=True):
                await next_event(bob, MemberJoined)
                async with customer_with_desk(bob) as (desk, face):
                    await alice.send_message(bob.id, SysinfoRequest(1))
                    await face.wait_for("Allow? [y/N]")
                    await alice.transfer_control("Dave")
                    await face.wait_for(
                        "* The system information request is withdrawn: "
                        "control of the session moved to Dave."
                    )
                    assert not await desk.answer("y")  # nothing is pending any more
                    await bob.send_chat("done")
                    # The channel keeps order: a report sent before the chat would come first.
                    with trio.fail_after(WAIT):
                        async for event in alice.events:
                            assert not isinstance(event, MessageReceived), event
                            if isinstance(event, ChatReceived):
                                break
