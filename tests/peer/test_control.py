"""Transfer of control through a real relay (SPEC M5): joiners reach the new rep."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from codec import CodeCause, Role
from peer._errors import NotAllowedError
from peer._events import (
    ChatReceived,
    CodeChanged,
    ControlChanged,
    MemberJoined,
    MemberLeft,
    SessionEnded,
)
from peer._open import open_hosted_session, open_joined_session
from tests.peer.helpers import invite, next_event

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from peer._host import HostSession
    from peer._session import MemberSession


@asynccontextmanager
async def rep_customer_and_assistant(
    relay_url: str,
) -> AsyncIterator[tuple[HostSession, MemberSession, MemberSession]]:
    """Alice the rep, Bob a customer, Dave an assistant, everyone told of everyone."""
    async with open_hosted_session(relay_url, "Alice") as alice:
        async with open_joined_session(invite(alice), "Bob") as bob:
            await alice.assistant_code()
            async with open_joined_session(invite(alice), "Dave", assist=True) as dave:
                await next_event(bob, MemberJoined)
                yield alice, bob, dave


async def test_control_moves_to_the_assistant_who_admits_the_next_customer(
    relay_url: str,
) -> None:
    async with rep_customer_and_assistant(relay_url) as (alice, bob, dave):
        code_before = alice.code
        await alice.transfer_control("Dave")
        for side, yours in ((alice, False), (bob, False), (dave, True)):
            moved = await next_event(side, ControlChanged)
            assert (moved.controller, moved.yours, moved.former) == ("Dave", yours, "Alice")
        taken = await next_event(dave, CodeChanged)
        assert taken.cause is CodeCause.TAKEN_OVER
        assert dave.controlling
        assert not alice.controlling
        assert dave.code != code_before
        # The relay now sends joiners' handshakes to Dave, not to its creator.
        async with open_joined_session(invite(dave), "Carol") as carol:
            assert carol.host_id == dave.id
            joined = await next_event(alice, MemberJoined)
            assert (joined.name, joined.role) == ("Carol", Role.CUSTOMER)
            await next_event(bob, MemberJoined)  # from Dave's roster, which says:
            assert [(m.name, m.role) for m in bob.roster()] == [
                ("Alice", Role.ASSISTANT),
                ("Bob", Role.CUSTOMER),
                ("Dave", Role.REP),
                ("Carol", Role.CUSTOMER),
            ]
            await carol.send_chat("hello everyone")
            for side in (alice, bob, dave):
                assert (await next_event(side, ChatReceived)).text == "hello everyone"


async def test_the_former_rep_cannot_end_until_control_comes_back(relay_url: str) -> None:
    async with rep_customer_and_assistant(relay_url) as (alice, bob, dave):
        await alice.transfer_control("Dave")
        await next_event(dave, ControlChanged)
        with pytest.raises(NotAllowedError, match="hand control back"):
            await alice.end()
        with pytest.raises(NotAllowedError, match=r"controlling rep \(Dave\)"):
            await alice.reopen()
        assert not (await next_event(alice, ControlChanged)).yours
        await dave.transfer_control("Alice")
        assert (await next_event(alice, ControlChanged)).yours
        assert alice.controlling
        await alice.end()
        for side in (bob, dave):
            assert (await next_event(side, SessionEnded)).by == "Alice"


async def test_control_goes_only_to_an_assistant(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as alice:
        async with open_joined_session(invite(alice), "Bob") as bob:
            await next_event(alice, MemberJoined)
            with pytest.raises(NotAllowedError, match="only to an assistant"):
                await alice.transfer_control("Bob")
            with pytest.raises(NotAllowedError, match="only the controlling rep"):
                await bob.transfer_control("Alice")
            assert alice.controlling


async def test_the_former_rep_may_leave_and_the_session_goes_on(relay_url: str) -> None:
    async with rep_customer_and_assistant(relay_url) as (alice, bob, dave):
        await alice.transfer_control("Dave")
        await next_event(bob, ControlChanged)
        await next_event(dave, ControlChanged)
        await alice.leave()
        assert (await next_event(bob, MemberLeft)).name == "Alice"
        await dave.send_chat("still with you")
        assert (await next_event(bob, ChatReceived)).text == "still with you"


async def test_the_former_rep_is_an_assistant_the_moment_it_hands_control_over(
    relay_url: str,
) -> None:
    async with rep_customer_and_assistant(relay_url) as (alice, _bob, dave):
        # Dave takes no step while this is held, so its roster (the one that
        # names Alice an assistant) cannot reach her: the race, held open.
        async with dave._lock:
            await alice.transfer_control("Dave")
            assert alice.role is Role.ASSISTANT
            assert not alice.controlling
            with pytest.raises(NotAllowedError, match="hand control back"):
                await alice.end()
        assert (await next_event(dave, ControlChanged)).yours
        assert dave.role is Role.REP
