"""The controlling rep removes someone from the session: it is told, the others see it gone.

Only the controlling rep's machine has :meth:`HostRules.remove`; a member's
Leave from anyone but the controlling rep is refused, so nobody else can
put a member out.
"""

from __future__ import annotations

import pytest

from codec import (
    Ended,
    Leave,
    LocalProtocolError,
    MemberRemoved,
    MemberRules,
    PrimaryChanged,
    Refused,
    encode_message,
)
from tests.codec.session_room import HOST, Room, support_room

BOB, CAROL, DAVE = 2, 3, 4


#: Alice the rep, Bob (primary) and Carol customers, Dave an assistant.
session = support_room


def remove(room: Room, eid: int) -> None:
    room.apply(HOST, room.host.remove(eid, room.now))
    room.flush()


def test_a_removed_customer_is_told_who_removed_it_and_its_session_ends() -> None:
    room = session()
    remove(room, BOB)
    [ended] = room.of(BOB, Ended)
    assert ended.removed_by == "Alice"
    assert ended.reason == "Alice removed you from the session"
    assert room.members[BOB].state.value == "ended"


def test_after_a_removal_everyone_else_has_the_roster_without_it() -> None:
    room = session()
    remove(room, BOB)
    for eid in (HOST, CAROL, DAVE):
        machine = room.machine(eid)
        assert machine is not None
        assert [m.name for m in machine.roster()] == ["Alice", "Carol", "Dave"]
    [removed] = room.of(HOST, MemberRemoved)
    assert (removed.member.name, removed.removed_by) == ("Bob", "Alice")


def test_the_others_are_told_the_member_was_removed_and_by_whom() -> None:
    room = session()
    remove(room, BOB)
    for eid in (CAROL, DAVE):
        [removed] = room.of(eid, MemberRemoved)
        assert (removed.member.name, removed.removed_by) == ("Bob", "Alice")


def test_the_others_are_told_a_member_that_said_goodbye_left() -> None:
    room = session()
    bob = room.members[BOB]
    room.apply(BOB, bob.leave(room.now))
    room.flush()
    [removed] = room.of(CAROL, MemberRemoved)
    assert (removed.member.name, removed.said_goodbye, removed.removed_by) == ("Bob", True, None)


def test_removing_the_primary_makes_the_next_customer_primary() -> None:
    room = session()
    before = len(room.of(HOST, PrimaryChanged))
    remove(room, BOB)
    changed = room.of(HOST, PrimaryChanged)[before:]
    assert [e.member.name for e in changed if e.member] == ["Carol"]
    assert room.members[CAROL].primary == CAROL


def test_the_relay_is_asked_to_drop_the_removed_member_after_a_moment() -> None:
    room = session()
    remove(room, DAVE)
    assert DAVE not in room.kicked  # it reads why first
    room.advance(room.host.timings.farewell_grace + 1)
    assert DAVE in room.kicked
    assert room.of(DAVE, Ended)[0].removed_by == "Alice"


def test_the_rep_cannot_remove_itself_or_someone_not_in_the_session() -> None:
    room = session()
    for eid in (HOST, 99):
        with pytest.raises(LocalProtocolError):
            room.host.remove(eid, room.now)


def test_an_assistant_has_no_remove_and_its_leave_to_a_customer_is_refused() -> None:
    room = session()
    dave = room.members[DAVE]
    assert isinstance(dave, MemberRules)
    assert not hasattr(dave, "remove")
    room.send(DAVE, BOB, dave.links[BOB].channel.seal(encode_message(Leave("removed"))))
    room.flush()
    assert not room.of(BOB, Ended)
    assert any("Dave" in r.sender for r in room.of(BOB, Refused))
