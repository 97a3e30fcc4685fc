"""Several sessions in one rep process (SPEC M3), as the CLI and the GUI both use them."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import pytest
import trio

from peer._errors import NotAllowedError
from peer._events import ChatReceived, MemberJoined
from peer._open import open_hosted_session, open_joined_session
from peer._rep_sessions import RepSession, RepSessions, SessionClosed, SessionOpened
from tests.peer.helpers import WAIT, invite, next_event

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractAsyncContextManager

    from peer._host import HostSession

    Opener: TypeAlias = Callable[[tuple[str, str | None]], AbstractAsyncContextManager[HostSession]]

KIND = ("support", None)


def opener(relay: str) -> Opener:
    def open_one(_kind: tuple[str, str | None]) -> AbstractAsyncContextManager[HostSession]:
        return open_hosted_session(relay, "Alice")

    return open_one


async def until_ended(rs: RepSession) -> None:
    await rs.session.finished.wait()


async def test_sessions_are_numbered_in_order_and_each_keeps_its_own_roster(
    relay_url: str,
) -> None:
    with trio.fail_after(WAIT):
        async with trio.open_nursery() as nursery:
            sessions = RepSessions(nursery, opener(relay_url), max_sessions=2)
            first = await sessions.start(KIND, until_ended)
            second = await sessions.start(("sales", "T-7"), until_ended)
            assert [rs.number for rs in sessions.sessions] == [1, 2]
            assert first.session.code.room != second.session.code.room
            async with open_joined_session(invite(first.session), "Bob") as bob:
                await next_event(first.session, MemberJoined)
                async with open_joined_session(invite(second.session), "Carol") as carol:
                    await next_event(second.session, MemberJoined)
                    assert first.customers() == ["Bob"]
                    assert second.customers() == ["Carol"]
                    await bob.send_chat("for session one")
                    assert (await next_event(first.session, ChatReceived)).sender == "Bob"
                    await carol.send_chat("for session two")
                    assert (await next_event(second.session, ChatReceived)).sender == "Carol"
            assert sessions.find(2).kind == ("sales", "T-7")
            nursery.cancel_scope.cancel()


async def test_the_site_policy_caps_the_sessions_open_at_once(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with trio.open_nursery() as nursery:
            sessions = RepSessions(nursery, opener(relay_url), max_sessions=2)
            await sessions.start(KIND, until_ended)
            second = await sessions.start(KIND, until_ended)
            with pytest.raises(NotAllowedError, match="allows 2 sessions at once"):
                await sessions.start(KIND, until_ended)
            await second.session.end()
            async for change in sessions.changes:
                if change == SessionClosed(2):
                    break
            third = await sessions.start(KIND, until_ended)
            assert third.number == 3
            nursery.cancel_scope.cancel()


async def test_a_face_learns_of_sessions_opening_and_closing(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with trio.open_nursery() as nursery:
            sessions = RepSessions(nursery, opener(relay_url), max_sessions=4)
            first = await sessions.start(KIND, until_ended)
            await first.session.end()
            await sessions.all_closed.wait()
            assert [sessions.changes.receive_nowait() for _ in range(2)] == [
                SessionOpened(1),
                SessionClosed(1),
            ]
            assert sessions.sessions == []
            nursery.cancel_scope.cancel()
