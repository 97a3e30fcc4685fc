"""Several customers and assistants (SPEC M1, M2, M4): roles the host gives and members believe.

An assistant joins with a code the rep issued for an assistant; the first
customer is primary until the rep makes another one primary. Every role
and the primary travel in the host's roster, so only the controlling rep
decides them.
"""

from __future__ import annotations

import pytest

from codec import (
    CodeCause,
    CodeIssued,
    Ended,
    InSession,
    LocalProtocolError,
    PrimaryChanged,
    Refused,
    Role,
    Roster,
    SessionEnd,
    TurnedAway,
    encode_message,
)
from tests.codec.session_room import HOST, Room

BOB, CAROL, DAVE = 2, 3, 4


def with_assistant() -> Room:
    room = Room()
    room.join(BOB, "Bob")
    room.apply(HOST, room.host.issue_code(Role.ASSISTANT, room.now))
    room.join(DAVE, "Dave", assist=True)
    return room


def test_the_first_customer_is_primary() -> None:
    room = Room()
    room.join(BOB, "Bob")
    room.join(CAROL, "Carol")
    assert room.host.primary == BOB
    assert room.members[CAROL].primary == BOB
    assert room.of(HOST, PrimaryChanged)[0].member == room.host.members[BOB]


def test_the_rep_makes_another_customer_primary_and_everyone_is_told() -> None:
    room = Room()
    room.join(BOB, "Bob")
    room.join(CAROL, "Carol")
    room.apply(HOST, room.host.set_primary(CAROL, room.now))
    room.flush()
    for eid in (HOST, BOB, CAROL):
        machine = room.machine(eid)
        assert machine is not None
        assert machine.primary == CAROL
    assert [e.member for e in room.of(BOB, PrimaryChanged)] == [room.host.members[CAROL]]


def test_when_the_primary_leaves_the_next_customer_becomes_primary() -> None:
    room = Room()
    room.join(BOB, "Bob")
    room.join(CAROL, "Carol")
    room.apply(BOB, room.members[BOB].leave(room.now))
    room.flush()
    assert room.host.primary == CAROL
    assert room.members[CAROL].primary == CAROL


def test_only_a_customer_can_be_primary() -> None:
    room = with_assistant()
    with pytest.raises(LocalProtocolError, match="customer"):
        room.host.set_primary(DAVE, room.now)


def test_an_assistant_joins_with_a_code_issued_for_an_assistant() -> None:
    room = with_assistant()
    [issued] = [e for e in room.of(HOST, CodeIssued) if e.cause is CodeCause.FOR_ASSISTANT]
    assert issued.code != room.host.code  # used up by Dave
    assert room.host.members[DAVE].role is Role.ASSISTANT
    assert room.members[BOB].members[DAVE].role is Role.ASSISTANT
    assert room.host.primary == BOB


def test_a_customer_code_does_not_make_an_assistant() -> None:
    room = Room()
    dave = room.join(DAVE, "Dave", assist=True)
    assert not room.of(DAVE, InSession)
    assert dave.state.value == "ended"
    assert "a customer's code" in (room.of(DAVE, Ended)[0].reason or "")
    assert DAVE not in room.host.members


def test_an_assistant_code_does_not_admit_a_customer() -> None:
    room = Room()
    room.apply(HOST, room.host.issue_code(Role.ASSISTANT, room.now))
    room.join(CAROL, "Carol")
    assert CAROL not in room.host.members
    assert room.of(HOST, TurnedAway)[-1].reason == (
        "they used an assistant's code without asking to assist"
    )


def test_after_an_assistant_code_is_used_the_next_code_is_for_a_customer() -> None:
    room = with_assistant()
    assert room.join(CAROL, "Carol").state.value == "in session"
    assert room.host.members[CAROL].role is Role.CUSTOMER


def test_an_assistant_cannot_end_the_session_or_change_the_roster() -> None:
    room = with_assistant()
    dave = room.members[DAVE]
    room.send(DAVE, BOB, dave.links[BOB].channel.seal(encode_message(SessionEnd("Dave"))))
    forged = Roster(tuple(room.host.roster()), room.host.session_id, primary=None)
    room.send(DAVE, BOB, dave.links[BOB].channel.seal(encode_message(forged)))
    room.flush()
    assert room.members[BOB].state.value == "in session"
    assert [r.reason for r in room.of(BOB, Refused)] == [
        "a member may not send SessionEnd",
        "a member may not send Roster",
    ]


def test_a_roster_whose_primary_is_not_a_customer_is_refused() -> None:
    room = with_assistant()
    bad = Roster(tuple(room.host.roster()), room.host.session_id, primary=DAVE)
    room.send(HOST, BOB, room.host.links[BOB].channel.seal(encode_message(bad)))
    room.flush()
    assert "primary" in room.of(BOB, Refused)[-1].reason
    assert room.members[BOB].primary == BOB
