"""Transfer of control (SPEC M5): the controlling rep hands the session to an assistant.

Members believe a new controlling rep only when the current one says so
over their channel; an assistant or the relay saying it changes nothing
and is reported. The new rep admits the next joiners; the former one is an
assistant that cannot end the session until control comes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from codec import (
    ChatArrived,
    CodeCause,
    CodeIssued,
    ControlChanged,
    ControlGrant,
    ControlMoved,
    Ended,
    HostRules,
    LocalProtocolError,
    MemberRules,
    Message,
    Refused,
    Role,
    Roster,
    SessionEnd,
    Transmit,
    encode_message,
)
from tests.codec.session_room import HOST, Room, support_room

if TYPE_CHECKING:
    from codec._session_events import Outbox

BOB, CAROL, DAVE, ERIN = 2, 3, 4, 5


#: Alice the rep, Bob and Carol customers, Dave an assistant.
session = support_room


def transfer(room: Room, frm: int, to: int) -> None:
    machine = room.machine(frm)
    assert isinstance(machine, HostRules)
    room.apply(frm, machine.transfer_control(to, room.now))
    room.flush()


def roles(room: Room, eid: int) -> dict[int, Role]:
    machine = room.machine(eid)
    assert machine is not None
    return {m.id: m.role for m in machine.roster()}


def seal(room: Room, frm: int, to: int, message: object) -> bytes:
    machine = room.machine(frm)
    assert machine is not None
    return machine.links[to].channel.seal(encode_message(message))  # type: ignore[arg-type]


def test_control_moves_to_the_assistant_and_every_member_believes_it() -> None:
    room = session()
    transfer(room, HOST, DAVE)
    assert isinstance(room.machine(DAVE), HostRules)
    for eid in (HOST, BOB, CAROL):
        machine = room.machine(eid)
        assert isinstance(machine, MemberRules)
        assert machine.controller == DAVE
    expected = {HOST: Role.ASSISTANT, BOB: Role.CUSTOMER, CAROL: Role.CUSTOMER, DAVE: Role.REP}
    for eid in (HOST, BOB, CAROL, DAVE):
        assert roles(room, eid) == expected
        [changed] = room.of(eid, ControlChanged)
        assert (changed.controller.id, changed.yours) == (DAVE, eid == DAVE)
    assert room.door == DAVE
    assert not any(room.of(eid, Refused) for eid in (HOST, BOB, CAROL, DAVE))


def test_the_new_controlling_rep_gets_a_fresh_code_and_admits_the_next_joiner() -> None:
    room = session()
    old_code = room.host.code
    transfer(room, HOST, DAVE)
    [issued] = [e for e in room.of(DAVE, CodeIssued) if e.cause is CodeCause.TAKEN_OVER]
    assert issued.code.room == old_code.room
    assert issued.code != old_code
    erin = room.join(ERIN, "Erin", issued.code)
    assert erin.state.value == "in session"
    assert erin.controller == DAVE
    for eid in (HOST, BOB, CAROL, DAVE):
        assert roles(room, eid)[ERIN] is Role.CUSTOMER


def test_the_former_rep_never_learns_the_new_reps_code() -> None:
    # Otherwise the former rep, with the relay routing a joiner to it, could
    # answer the next joiner's handshake as the host.
    room = session()
    told: list[bytes] = []
    host = room.host
    seal_as_host = host._seal

    def recording(out: Outbox, to: int, message: Message, now: float) -> None:
        told.append(encode_message(message))
        seal_as_host(out, to, message, now)

    host._seal = recording  # type: ignore[method-assign]
    transfer(room, HOST, DAVE)
    [issued] = [e for e in room.of(DAVE, CodeIssued) if e.cause is CodeCause.TAKEN_OVER]
    assert told
    assert not any(issued.code.secret.encode() in sent for sent in told)
    assert issued.code.secret != host.code.secret


def test_the_code_shown_before_the_transfer_admits_nobody_after_it() -> None:
    room = session()
    old_code = room.host.code
    transfer(room, HOST, DAVE)
    erin = room.join(ERIN, "Erin", old_code)
    assert erin.state.value == "ended"
    assert ERIN not in room.controller().members


def test_chat_continues_across_the_transfer() -> None:
    room = session()
    transfer(room, HOST, DAVE)
    bob = room.machine(BOB)
    assert bob is not None
    room.apply(BOB, bob.send_chat("still here", (), room.now))
    room.flush()
    for eid in (HOST, CAROL, DAVE):
        assert [c.text for c in room.of(eid, ChatArrived)] == ["still here"]


def test_the_session_outlives_the_silence_timeout_after_a_transfer() -> None:
    room = session()
    transfer(room, HOST, DAVE)
    room.advance(3 * room.host.timings.silence_timeout)
    for eid in (HOST, BOB, CAROL, DAVE):
        machine = room.machine(eid)
        assert machine is not None
        assert machine.state.value == "in session", room.of(eid, Ended)


def test_control_goes_only_to_an_assistant() -> None:
    room = session()
    for target in (BOB, HOST, 99):
        with pytest.raises(LocalProtocolError, match="assistant"):
            room.host.transfer_control(target, room.now)
    assert room.machine(HOST) is room.host


def test_the_former_rep_cannot_end_the_session_or_change_the_roster() -> None:
    room = session()
    transfer(room, HOST, DAVE)
    room.send(HOST, BOB, seal(room, HOST, BOB, SessionEnd("Alice")))
    dave = room.controller()
    forged = Roster(tuple(room.host.roster()), dave.session_id, primary=CAROL)
    room.send(HOST, BOB, seal(room, HOST, BOB, forged))
    room.send(HOST, BOB, seal(room, HOST, BOB, ControlMoved(HOST)))
    room.flush()
    bob = room.machine(BOB)
    assert bob is not None
    assert bob.state.value == "in session"
    assert bob.primary == BOB
    assert [r.reason for r in room.of(BOB, Refused)] == [
        "a member may not send SessionEnd",
        "a member may not send Roster",
        "a member may not send ControlMoved",
    ]


def test_control_handed_back_lets_the_former_rep_end_the_session() -> None:
    room = session()
    transfer(room, HOST, DAVE)
    transfer(room, DAVE, HOST)
    alice = room.machine(HOST)
    assert isinstance(alice, HostRules)
    assert room.door == HOST
    assert roles(room, BOB) == {
        HOST: Role.REP,
        BOB: Role.CUSTOMER,
        CAROL: Role.CUSTOMER,
        DAVE: Role.ASSISTANT,
    }
    room.apply(HOST, alice.end(room.now))
    room.flush()
    for eid in (BOB, CAROL, DAVE):
        assert [e.by for e in room.of(eid, Ended)] == ["Alice"]


def test_an_assistant_cannot_take_control_or_give_it_away() -> None:
    room = session()
    room.send(DAVE, BOB, seal(room, DAVE, BOB, ControlMoved(DAVE)))
    room.send(DAVE, CAROL, seal(room, DAVE, CAROL, ControlGrant(0)))
    room.flush()
    assert isinstance(room.machine(CAROL), MemberRules)
    for eid in (BOB, CAROL):
        machine = room.machine(eid)
        assert isinstance(machine, MemberRules)
        assert machine.controller == HOST
    assert room.of(BOB, Refused)[-1].reason == "a member may not send ControlMoved"
    assert room.of(CAROL, Refused)[-1].reason == "a member may not send ControlGrant"


def test_control_cannot_move_to_a_customer_even_on_the_reps_word() -> None:
    room = session()
    room.send(HOST, BOB, seal(room, HOST, BOB, ControlMoved(CAROL)))
    room.send(HOST, CAROL, seal(room, HOST, CAROL, ControlGrant(0)))
    room.flush()
    assert room.members[BOB].controller == HOST
    assert isinstance(room.machine(CAROL), MemberRules)
    assert "not an assistant" in room.of(BOB, Refused)[-1].reason
    assert "not an assistant" in room.of(CAROL, Refused)[-1].reason


def test_the_relay_cannot_replay_or_redirect_a_transfer() -> None:
    room = session()
    transfer(room, HOST, DAVE)
    [moved_to_bob] = room.frames(HOST, BOB)[-1:]
    [grant] = room.frames(HOST, DAVE)[-1:]
    transfer(room, DAVE, HOST)
    # The relay replays Alice's first ControlMoved, and sends Bob her grant to Dave.
    room.send(HOST, BOB, moved_to_bob)
    room.send(HOST, BOB, grant)
    room.flush()
    bob = room.machine(BOB)
    assert isinstance(bob, MemberRules)
    assert bob.controller == HOST
    assert bob.state.value == "in session"
    assert len(room.of(BOB, Refused)) == 2
    assert len(room.of(BOB, ControlChanged)) == 2


def test_a_transfer_never_refreshes_the_failure_budget() -> None:
    room = session()
    for eid in (10, 11):
        room.join(eid, "Mallory", room.host.code.replace_secret())
    spent = room.host.admission.session_failures
    assert spent == 2
    transfer(room, HOST, DAVE)
    assert room.controller().admission.session_failures == spent


def test_an_attempt_in_flight_at_the_transfer_counts_as_a_failure() -> None:
    room = session()
    mallory = MemberRules(10, HOST, "Mallory", room.host.code.replace_secret())
    [opening] = mallory.start(room.now).actions
    assert isinstance(opening, Transmit)
    room.send(10, HOST, opening.payload)
    room.flush()  # the host replied (one guess at the code), Mallory is mulling it over
    assert room.outside[10]
    assert room.host.admission.session_failures == 0
    transfer(room, HOST, DAVE)
    assert 10 in room.kicked
    assert room.controller().admission.session_failures == 1


def test_the_former_rep_may_leave_and_the_new_rep_tells_everyone() -> None:
    room = session()
    transfer(room, HOST, DAVE)
    alice = room.machine(HOST)
    assert isinstance(alice, MemberRules)
    room.apply(HOST, alice.leave(room.now))
    room.flush()
    for eid in (BOB, CAROL, DAVE):
        assert HOST not in roles(room, eid)


def test_the_new_controlling_rep_keeps_the_site_cap_on_customers() -> None:
    room = Room()
    room.join(BOB, "Bob")
    room.apply(HOST, room.host.issue_code(Role.ASSISTANT, room.now))
    room.join(DAVE, "Dave", assist=True)
    room.members[DAVE].max_customers = 1
    transfer(room, HOST, DAVE)
    dave = room.controller()
    assert dave.max_customers == 1
    erin = room.join(ERIN, "Erin", dave.code)
    assert erin.state.value == "ended"
    assert ERIN not in dave.members


def test_the_new_controlling_rep_learns_the_session_type_and_tracking_code() -> None:
    room = session()
    room.host.kind = ("billing", "CASE-7")
    transfer(room, HOST, DAVE)
    assert room.controller().kind == ("billing", "CASE-7")


def test_the_session_type_and_tracking_code_go_along_when_control_comes_back() -> None:
    room = session()
    room.host.kind = ("billing", None)
    transfer(room, HOST, DAVE)
    transfer(room, DAVE, HOST)
    assert room.controller().kind == ("billing", None)


def keeping_the_room(room: Room) -> list[int]:
    """Who re-creates the relay's room should the relay lose it."""
    return [eid for eid in room.everyone() if (m := room.machine(eid)) and m.keeps_room]


def test_after_a_transfer_the_rep_in_control_is_the_one_to_re_create_the_room() -> None:
    room = session()
    assert keeping_the_room(room) == [HOST]
    transfer(room, HOST, DAVE)
    assert keeping_the_room(room) == [DAVE]


def test_a_relay_restart_before_the_grant_arrives_ends_with_the_door_at_the_new_rep() -> None:
    room = session()
    room.tamper = lambda sender, to, payload: [] if to == DAVE else [payload]
    transfer(room, HOST, DAVE)  # the relay took it all in, then died: Dave heard nothing
    room.tamper = None
    assert isinstance(room.machine(DAVE), MemberRules)
    # Dave does not know yet that the room is his: Alice re-creates it.
    assert keeping_the_room(room) == [HOST]
    room.drop(*room.everyone())
    room.door = HOST
    for eid in room.everyone():
        room.reconnect(eid, host=HOST)
    assert room.controller().local_id == DAVE  # Alice passed the door on at Dave's roster
    assert keeping_the_room(room) == [DAVE]
    [issued] = [e for e in room.of(DAVE, CodeIssued) if e.cause is CodeCause.TAKEN_OVER]
    erin = room.join(ERIN, "Erin", issued.code)
    assert erin.controller == DAVE
    assert erin.state.value == "in session"
