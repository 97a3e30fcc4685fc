"""Nobody takes a present participant's place at the relay without its rejoin token.

A real relay process, a rep and a customer; the stranger knows the room id
(it is in the session code) and speaks raw envelopes. Its claims on the
customer's id and on the rep's are refused, each costs it a refused join,
and the session carries on as if nothing happened. The participant itself,
whose connection broke, comes back to its place with the token.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from codec import REJOIN_TOKEN_BYTES, JoinRoom, SessionTimings
from peer._events import (
    ChatReceived,
    MemberAway,
    MemberJoined,
    MemberLeft,
    Reconnected,
    Reconnecting,
    RoomTaken,
    SessionEnded,
)
from peer._open import open_hosted_session, open_joined_session
from tests.conftest import open_relay_process
from tests.peer.helpers import WAIT, invite, next_event
from tests.relay.clients import open_ws, refused

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from peer._events import SessionEvent
    from peer._session import Session

TIMINGS = SessionTimings(resume_timeout=30.0)
#: Interpreter start-up and reconnects on a busy 2-core machine.
BACK = 30.0
#: What a participant would see if someone stood in its place or its partner's.
DISTURBANCES = (Reconnecting, Reconnected, MemberAway, MemberLeft, RoomTaken, SessionEnded)


@asynccontextmanager
async def session_on_relay(*relay_args: str) -> AsyncIterator[tuple[str, Session, Session]]:
    """A relay process (with *relay_args*), and Alice's session with Bob in it."""
    with trio.fail_after(3 * BACK):
        async with (
            open_relay_process(*relay_args) as (_, url),
            open_hosted_session(url, "Alice", timings=TIMINGS) as rep,
            open_joined_session(invite(rep), "Bob", timings=TIMINGS) as bob,
        ):
            await next_event(rep, MemberJoined)
            yield url, rep, bob


async def events_until_chat(session: Session, text: str) -> list[SessionEvent]:
    """Everything *session* shows until the chat line *text* arrives."""
    seen: list[SessionEvent] = []
    with trio.fail_after(WAIT):
        async for event in session.events:
            seen.append(event)
            if isinstance(event, ChatReceived) and event.text == text:
                return seen
    raise AssertionError(f"session events ended before {text!r} arrived")


async def claim(url: str, room: str, hello: JoinRoom) -> str:
    """A stranger's claim: the reason the relay refuses it for."""
    async with open_ws(url, room) as ws:
        rejection, _ = await refused(ws, hello)
    return rejection.reason


async def test_a_stranger_cannot_take_the_customers_or_the_reps_place_and_nobody_notices() -> None:
    async with session_on_relay() as (url, rep, bob):
        guessed = bytes(REJOIN_TOKEN_BYTES)
        claims = [JoinRoom(eid, token) for eid in (bob.id, rep.id) for token in (None, guessed)]
        reasons = [await claim(url, rep.code.room, hello) for hello in claims]
        assert reasons == ["place-taken"] * 4
        await bob.send_chat("still you?")
        seen_by_rep = await events_until_chat(rep, "still you?")
        await rep.send_chat("still me")
        seen_by_bob = await events_until_chat(bob, "still me")
        for seen in (seen_by_rep, seen_by_bob):
            assert not [e for e in seen if isinstance(e, DISTURBANCES)], seen


async def test_each_refused_claim_costs_the_stranger_one_of_its_refused_joins() -> None:
    async with session_on_relay("--failed-joins-per-minute", "2") as (url, rep, bob):
        reasons = [await claim(url, rep.code.room, JoinRoom(bob.id)) for _ in range(3)]
        assert reasons == ["place-taken", "place-taken", "rate-limited"]


async def test_a_customer_whose_connection_broke_comes_back_to_its_place_with_its_token() -> None:
    async with session_on_relay() as (_, rep, bob):
        bob_id = bob.id
        await bob._conn._ws.aclose()  # the relay keeps Bob's place, and its token
        await next_event(bob, Reconnecting, within=BACK)
        await next_event(bob, Reconnected, within=BACK)
        assert bob.id == bob_id
        await bob.send_chat("back")
        await events_until_chat(rep, "back")
