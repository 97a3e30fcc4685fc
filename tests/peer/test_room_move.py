"""A stranger who re-creates a restarted relay's room first, under the rep's own id.

The relay cannot tell the rep from a stranger who knows the room id (the
first eight digits of the code the rep read out): whoever re-creates the
room after a restart keeps the host's place. The rep, refused its place,
moves the session to its standby room; its members, whose "rep" in the old
room answers nothing, look for it there and carry on. Real relay process,
killed and started again; the stranger speaks raw relay envelopes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import trio

from codec import (
    CreateRoom,
    Delivered,
    PayloadKind,
    RelayRejected,
    Send,
    SessionTimings,
    decode_relay_envelope,
)
from codec import (
    MemberJoined as MemberJoinedEnvelope,
)
from peer._events import ChatReceived, MemberJoined, Reconnected, RoomTaken, SessionEnded
from peer._open import open_hosted_session, open_joined_session
from tests.peer.helpers import invite, next_event
from tests.peer.restartable import open_restartable_relay, open_stranger_first

if TYPE_CHECKING:
    from peer._events import SessionEvent
    from peer._session import Session
    from tests.peer.restartable import Stranger

TIMINGS = SessionTimings(resume_timeout=45.0, standby_probe_after=2.0)
BACK = 40.0


async def events_until_back(session: Session, *, moves: int) -> list[SessionEvent]:
    """*session*'s events until it has reconnected after *moves* room moves."""
    seen: list[SessionEvent] = []
    with trio.fail_after(BACK):
        async for event in session.events:
            seen.append(event)
            assert not isinstance(event, SessionEnded), event
            moved = sum(isinstance(e, RoomTaken) for e in seen)
            if isinstance(event, Reconnected) and moved >= moves:
                return seen
    raise AssertionError("session events ended before it came back")


async def answer_everyone(stranger: Stranger) -> None:
    """Play the rep to each member who comes in: so the relay counts it answered and
    keeps it in the room, while the forged question proves no key."""
    forged = bytes([PayloadKind.SYNC, 1, 0]) + bytes(16 + 8 + 16)
    while True:
        data = await stranger.ws.get_message()
        assert isinstance(data, bytes)
        envelope = decode_relay_envelope(data)
        stranger.received.append(envelope)
        if isinstance(envelope, MemberJoinedEnvelope):
            await stranger.send(Send(envelope.id, forged))


@pytest.mark.parametrize(
    "hello",
    [
        pytest.param(CreateRoom(1, 100), id="as-a-rep-coming-back"),
        # A plain CreateRoom is endpoint 1 too, in a room with no claim window:
        # Bob is refused his place there and looks for the session.
        pytest.param(CreateRoom(), id="as-a-new-room"),
    ],
)
async def test_a_stranger_who_re_creates_the_room_as_the_rep_is_left_alone_in_it(
    hello: CreateRoom,
) -> None:
    async with open_restartable_relay() as relay:
        async with open_hosted_session(relay.url, "Alice", timings=TIMINGS) as rep:
            async with open_joined_session(invite(rep), "Bob", timings=TIMINGS) as bob:
                await next_event(rep, MemberJoined)
                old_room = rep.code.room
                await relay.kill()
                await relay.start()
                async with open_stranger_first(relay, old_room, hello, (rep, bob)) as stranger:
                    async with trio.open_nursery() as nursery:
                        nursery.start_soon(answer_everyone, stranger)
                        rep_seen = await events_until_back(rep, moves=1)
                        await events_until_back(bob, moves=1)
                        nursery.cancel_scope.cancel()
                    assert any(isinstance(e, RoomTaken) for e in rep_seen)
                    assert rep.code.room != old_room
                    await bob.send_chat("found you")
                    got = await next_event(rep, ChatReceived, within=BACK)
                    assert got.text == "found you"
                    await rep.send_chat("in our new room")
                    got = await next_event(bob, ChatReceived, within=BACK)
                    assert got.text == "in our new room"
                    # Bob only asked "the rep" there which frame it expects: no content.
                    await stranger.send(Send(bob.id, b"hello?"))
                    heard = await stranger.listen(1.0)
                    sent = {e.payload[0] for e in heard if isinstance(e, Delivered)}
                    assert sent <= {PayloadKind.SYNC}
                    # And nobody of the session is in the stranger's room any more.
                    refused = [e.reason for e in heard if isinstance(e, RelayRejected)]
                    assert refused == ["no-such-member"]
