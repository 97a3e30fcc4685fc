"""Sessions survive a relay restart (SPEC X3), against a real relay process killed mid-session.

The relay is ``python -m relay`` on a fixed loopback port; each test kills
it (SIGKILL: it forgets every room) and starts it again on the same port.
Both sides show ``Reconnecting`` and ``Reconnected`` and carry on with the
same people and no new code; what was typed meanwhile arrives once.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from codec import (
    CreateRoom,
    Delivered,
    JoinRoom,
    PayloadKind,
    RelayRejected,
    Send,
    SessionTimings,
)
from peer._events import (
    ChatReceived,
    CodeChanged,
    MemberJoined,
    MemberLeft,
    MessageRejected,
    Reconnected,
    Reconnecting,
    RoomTaken,
    SessionEnded,
)
from peer._open import open_hosted_session, open_joined_session
from tests.peer.helpers import invite, next_event, pending_events
from tests.peer.restartable import open_restartable_relay, open_stranger, open_stranger_first
from tests.peer.wiretap import open_wiretap, sealed_sent_to

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from peer._events import SessionEvent
    from peer._session import Session
    from tests.peer.restartable import RestartableRelay

#: Reconnecting and resuming take seconds on a loaded machine; the default is 2 minutes.
TIMINGS = SessionTimings(resume_timeout=30.0)
BACK = 30.0


async def chat_lines(session: Session, n: int) -> list[str]:
    return [(await next_event(session, ChatReceived, within=BACK)).text for _ in range(n)]


async def test_chat_before_during_and_after_a_relay_restart_arrives_exactly_once() -> None:
    async with open_restartable_relay() as relay:
        async with open_hosted_session(relay.url, "Alice", timings=TIMINGS) as rep:
            async with open_joined_session(invite(rep), "Bob", timings=TIMINGS) as bob:
                await next_event(rep, MemberJoined)
                code, roster = rep.code, rep.roster()
                await bob.send_chat("before")
                assert await chat_lines(rep, 1) == ["before"]
                await relay.kill()
                await next_event(bob, Reconnecting)
                await next_event(rep, Reconnecting)
                await bob.send_chat("typed while reconnecting")
                await rep.send_chat("the rep typed too")
                await relay.start()
                await next_event(bob, Reconnected, within=BACK)
                await next_event(rep, Reconnected, within=BACK)
                assert await chat_lines(rep, 1) == ["typed while reconnecting"]
                assert await chat_lines(bob, 1) == ["the rep typed too"]
                await bob.send_chat("after")
                assert await chat_lines(rep, 1) == ["after"]
                await rep.send_chat("and back")  # a round trip: nothing else is on its way
                assert await chat_lines(bob, 1) == ["and back"]
                assert not [e for e in pending_events(rep) if isinstance(e, ChatReceived)]
                assert rep.code == code  # no new code: nobody typed one
                assert rep.roster() == bob.roster() == roster


async def test_a_member_that_never_comes_back_leaves_a_stranger_in_its_place_nothing() -> None:
    """Bob vanishes during the restart; someone with the room id takes Bob's place.

    It replays Bob's frames from before the drop and asks to resume without
    the keys: the rep refuses both, sends it nothing readable, and shows no
    line twice.
    """
    async with open_restartable_relay() as relay, open_wiretap(relay.url) as tap:
        async with open_hosted_session(tap.url, "Alice", timings=TIMINGS) as rep:
            room = rep.code.room
            async with open_joined_session(invite(rep), "Bob", timings=TIMINGS) as bob:
                await next_event(rep, MemberJoined)
                await bob.send_chat("said once")
                assert await chat_lines(rep, 1) == ["said once"]
                bob_id = bob.id
                await relay.kill()
                await next_event(bob, Reconnecting)
            # Bob is gone for good; the rep comes back alone.
            old_frames = sealed_sent_to(tap, rep.id)
            assert old_frames
            await relay.start()
            await next_event(rep, Reconnected, within=BACK)
            await rep.send_chat("for Bob's eyes only")
            async with open_stranger(relay.url, room, JoinRoom(bob_id)) as stranger:
                forged = bytes([PayloadKind.SYNC, 1, 0]) + bytes(16 + 8 + 16)
                await stranger.send(Send(rep.id, forged))
                for payload in old_frames:
                    await stranger.send(Send(rep.id, payload))
                got = await stranger.listen(3.0)
            payloads = [e.payload for e in got if isinstance(e, Delivered)]
            assert not [p for p in payloads if p[0] == PayloadKind.SEALED]
            rejected = [e.reason for e in pending_events(rep) if isinstance(e, MessageRejected)]
            assert any("does not prove the channel's keys" in r for r in rejected), rejected
            assert any("replayed" in r for r in rejected), rejected
            assert not [e for e in pending_events(rep) if isinstance(e, ChatReceived)]


@asynccontextmanager
async def restarted_with_bob() -> AsyncIterator[tuple[RestartableRelay, Session, Session]]:
    """Alice's session with Bob in it, on a relay that was just killed and started again."""
    async with open_restartable_relay() as relay:
        async with open_hosted_session(relay.url, "Alice", timings=TIMINGS) as rep:
            async with open_joined_session(invite(rep), "Bob", timings=TIMINGS) as bob:
                await next_event(rep, MemberJoined)
                await relay.kill()
                await relay.start()
                yield relay, rep, bob


async def test_a_stranger_cannot_take_the_room_of_a_restarted_relay_from_its_rep() -> None:
    async with restarted_with_bob() as (relay, rep, bob):
        # Whoever creates the room first, only the rep answers Bob's question.
        async with open_stranger(relay.url, rep.code.room, CreateRoom(1, 5)):
            await next_event(bob, Reconnected, within=BACK)
            await next_event(rep, Reconnected, within=BACK)
        await bob.send_chat("still you?")
        assert await chat_lines(rep, 1) == ["still you?"]


async def back_after(session: Session) -> list[SessionEvent]:
    """The events until *session* is reconnected (it must come back, not end)."""
    seen: list[SessionEvent] = []
    with trio.fail_after(BACK):
        async for event in session.events:
            seen.append(event)
            assert not isinstance(event, SessionEnded), event
            if isinstance(event, Reconnected):
                return seen
    raise AssertionError("session events ended before it reconnected")


async def test_a_stranger_hosting_a_restarted_room_is_left_alone_in_it_as_the_session_moves() -> (
    None
):
    async with restarted_with_bob() as (relay, rep, bob):
        old_room = rep.code.room
        # A stranger hosting the room under an id nobody uses.
        squatting = CreateRoom(77, 100)
        async with open_stranger_first(relay, rep.code.room, squatting, (rep, bob)) as stranger:
            rep_events, bob_events = await back_after(rep), await back_after(bob)
            for events in (rep_events, bob_events):
                [told] = [e for e in events if isinstance(e, RoomTaken)]
                assert "the session moved to a new room" in told.text
            # The rep has a code for the new room to give the next customer.
            [changed] = [e for e in rep_events if isinstance(e, CodeChanged)]
            assert rep.code.room != old_room
            assert changed.code == str(rep.code)
            await bob.send_chat("still you?")
            assert await chat_lines(rep, 1) == ["still you?"]
            await rep.send_chat("yes, in our new room")
            assert await chat_lines(bob, 1) == ["yes, in our new room"]
            # Neither is in the stranger's room any more: nothing it sends reaches them.
            for session in (rep, bob):
                await stranger.send(Send(session.id, b"hello?"))
            got = await stranger.listen(1.0)
            assert not [e for e in got if isinstance(e, Delivered)]
            refused = [e.reason for e in got if isinstance(e, RelayRejected)]
            assert refused == ["no-such-member", "no-such-member"]


async def test_a_relay_that_does_not_come_back_ends_both_sides_after_the_resume_time() -> None:
    quick = SessionTimings(resume_timeout=2.0)
    async with open_restartable_relay() as relay:
        async with open_hosted_session(relay.url, "Alice", timings=quick) as rep:
            async with open_joined_session(invite(rep), "Bob", timings=quick) as bob:
                await next_event(rep, MemberJoined)
                await relay.kill()
                for session in (rep, bob):
                    ended = await next_event(session, SessionEnded, within=BACK)
                    assert ended.by is None
                    assert ended.lost is not None
                    assert "reconnecting did not work within 2 s" in ended.lost
                    assert "\n" not in ended.lost


async def test_a_member_that_does_not_come_back_is_shown_away_then_removed() -> None:
    quick = SessionTimings(resume_timeout=5.0)
    async with open_restartable_relay() as relay:
        async with open_hosted_session(relay.url, "Alice", timings=quick) as rep:
            async with open_joined_session(invite(rep), "Bob", timings=quick):
                await next_event(rep, MemberJoined)
                await relay.kill()
            await relay.start()
            await next_event(rep, Reconnected, within=BACK)
            assert [m.name for m in rep.roster()] == ["Alice", "Bob"]  # away, not gone
            left = await next_event(rep, MemberLeft, within=BACK)
            assert (left.name, left.said_goodbye) == ("Bob", False)
            assert [m.name for m in rep.roster()] == ["Alice"]
