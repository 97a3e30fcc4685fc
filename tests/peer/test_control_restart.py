"""Transfer of control (SPEC M5) survives a relay restart (SPEC X3).

The relay is ``python -m relay``, killed (SIGKILL: it forgets the room and
who its host was) and started again on the same port. The room it gets
back must be the controlling rep's: the rep who took control is the relay's
host again (joiners reach it, its removals are carried out) and the rep
who handed control over comes back as an assistant.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest
import trio

from codec import (
    JoinRoom,
    JoinTarget,
    RelayRejected,
    Role,
    Send,
    SessionTimings,
    Welcome,
    decode_relay_envelope,
)
from peer._errors import NotAllowedError
from peer._events import ControlChanged, MemberJoined, Reconnected, Reconnecting
from peer._open import open_hosted_session, open_joined_session
from tests.peer.helpers import invite, next_event
from tests.peer.restartable import open_restartable_relay, open_stranger
from tests.peer.wiretap import open_wiretap
from tests.relay.clients import eventually

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from peer._session import Session
    from tests.peer.restartable import RestartableRelay

TIMINGS = SessionTimings(resume_timeout=30.0)
BACK = 30.0


async def door_reaches(relay_url: str, rep: Session) -> None:
    """Wait until the relay welcomes joiners of *rep*'s room with *rep* as the host."""
    with trio.fail_after(BACK):
        while True:
            async with open_stranger(relay_url, rep.code.room, JoinRoom()) as probe:
                with trio.move_on_after(2.0):
                    data = await probe.ws.get_message()
                    assert isinstance(data, bytes)
                    welcome = decode_relay_envelope(data)
                    if isinstance(welcome, Welcome) and welcome.host == rep.id:
                        return
            await trio.sleep(0.1)


@asynccontextmanager
async def control_moved_then_relay_restarted(
    relay: RestartableRelay,
) -> AsyncIterator[tuple[Session, Session, Session]]:
    """Alice started the session, handed it to Dave; Bob is the customer; the relay restarted."""
    async with open_hosted_session(relay.url, "Alice", timings=TIMINGS) as alice:
        async with open_joined_session(invite(alice), "Bob", timings=TIMINGS) as bob:
            await alice.assistant_code()
            async with open_joined_session(
                invite(alice), "Dave", assist=True, timings=TIMINGS
            ) as dave:
                await next_event(bob, MemberJoined)
                await alice.transfer_control("Dave")
                for side in (alice, bob, dave):
                    await next_event(side, ControlChanged)
                # Until Dave's first roster reaches her (nothing to wait on but her rules).
                await eventually(lambda: not alice.rules.keeps_room)
                await relay.kill()
                for side in (alice, bob, dave):
                    await next_event(side, Reconnecting)
                await relay.start()
                for side in (alice, bob, dave):
                    await next_event(side, Reconnected, within=BACK)
                await door_reaches(relay.url, dave)
                yield alice, bob, dave


async def test_after_a_restart_the_rep_who_took_control_admits_the_next_customer() -> None:
    async with (
        open_restartable_relay() as relay,
        control_moved_then_relay_restarted(relay) as (alice, bob, dave),
        open_joined_session(invite(dave), "Carol", timings=TIMINGS) as carol,
    ):
        assert carol.host_id == dave.id  # the relay sends joiners to Dave
        await next_event(alice, MemberJoined)
        await next_event(bob, MemberJoined)
        assert [(m.name, m.role) for m in bob.roster()] == [
            ("Alice", Role.ASSISTANT),
            ("Bob", Role.CUSTOMER),
            ("Dave", Role.REP),
            ("Carol", Role.CUSTOMER),
        ]


async def test_after_a_restart_the_rep_who_took_control_has_the_relay_remove_a_stranger() -> None:
    async with (
        open_restartable_relay() as relay,
        control_moved_then_relay_restarted(relay) as (_alice, _bob, dave),
        # Someone with the room id and no code: Dave's rules refuse its attempt
        # and have the relay remove it, which the relay does only for its host.
        open_stranger(relay.url, dave.code.room, JoinRoom()) as stranger,
    ):
        await stranger.send(Send(dave.id, b"\x01not a handshake"))
        got = await stranger.listen(5.0)
        assert RelayRejected("kicked", "removed by the session host", True) in got, got


async def test_after_a_restart_the_rep_who_handed_control_over_is_an_assistant() -> None:
    async with (
        open_restartable_relay() as relay,
        control_moved_then_relay_restarted(relay) as (alice, bob, dave),
    ):
        assert dave.controlling
        assert not alice.controlling
        assert alice.role is Role.ASSISTANT
        with pytest.raises(NotAllowedError, match=r"controlling rep \(Dave\)"):
            await alice.reopen()
        assert bob.controller is not None
        assert bob.controller.name == "Dave"


async def test_a_restart_while_the_grant_is_on_its_way_leaves_the_new_rep_in_control() -> None:
    """The relay dies after Alice handed control over and before Dave heard of it.

    Dave does not know the room is his, so Alice re-creates it; once Dave has
    the grant (sent again on resume) and says so, the relay's door moves to him.
    """
    async with (
        open_restartable_relay() as relay,
        open_wiretap(relay.url, tamper_nth=1) as tap,
        open_hosted_session(relay.url, "Alice", timings=TIMINGS) as alice,
        open_joined_session(invite(alice), "Bob", timings=TIMINGS) as bob,
    ):
        await alice.assistant_code()
        # Dave alone goes through the tap, which can hold back what reaches him.
        dave_target = JoinTarget(tap.url, alice.code)
        async with open_joined_session(dave_target, "Dave", assist=True, timings=TIMINGS) as dave:
            await next_event(bob, MemberJoined)
            tap.tamper = lambda message: []
            await alice.transfer_control("Dave")
            await next_event(bob, ControlChanged)
            await relay.kill()
            await relay.start()
            for side in (alice, bob, dave):
                await next_event(side, Reconnected, within=BACK)
            assert (await next_event(dave, ControlChanged, within=BACK)).yours
            # Alice passes the relay's door on when Dave's first roster reaches her.
            await door_reaches(relay.url, dave)
            async with open_joined_session(invite(dave), "Carol", timings=TIMINGS) as carol:
                assert carol.host_id == dave.id
                assert [(m.name, m.role) for m in carol.roster()] == [
                    ("Alice", Role.ASSISTANT),
                    ("Bob", Role.CUSTOMER),
                    ("Dave", Role.REP),
                    ("Carol", Role.CUSTOMER),
                ]
