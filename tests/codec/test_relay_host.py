"""The relay's host of a room is only the relay's word (docs/security.md).

A restarted relay gives the room to whoever re-creates it first, perhaps a
stranger who knows the room id. The relay's host may ask it to drop
anyone, so a relay kick is a drop the session comes back from, not its
end: only the controlling rep's sealed SessionEnd or Leave ends it. A
welcome that names someone else the room's host moves the session to the
standby room the controlling rep told everyone end to end, leaving the
stranger alone in the old one; with no standby left it is told to the person.
"""

from __future__ import annotations

from codec import (
    ChatArrived,
    CodeCause,
    CodeIssued,
    Ended,
    InvitationClosed,
    InvitationIssued,
    Role,
    RoomMoved,
    RoomTaken,
    StandbyProbe,
)
from tests.codec.session_room import HOST, TIMINGS, Room, support_room

BOB, CAROL, DAVE, STRANGER = 2, 3, 4, 77


def three() -> Room:
    room = Room()
    room.join(BOB, "Bob")
    room.join(CAROL, "Carol")
    return room


def kicked_by_the_relay(room: Room, eid: int) -> None:
    """The relay says its host had *eid* dropped, and closes *eid*'s connection."""
    machine = room.machine(eid)
    assert machine is not None
    room.apply(eid, machine.relay_refused("kicked", "removed by the session host", fatal=True))
    room.drop(eid)


def chat(room: Room, eid: int, text: str) -> None:
    machine = room.machine(eid)
    assert machine is not None
    room.apply(eid, machine.send_chat(text, [], room.now))
    room.flush()


def heard(room: Room, eid: int) -> list[str]:
    return [c.text for c in room.of(eid, ChatArrived)]


def test_a_member_the_relay_kicks_comes_back_and_its_session_goes_on() -> None:
    room = three()
    kicked_by_the_relay(room, BOB)
    assert room.of(BOB, Ended) == []
    assert room.members[BOB].resumable
    room.reconnect(BOB, host=STRANGER)
    chat(room, BOB, "still here")
    assert heard(room, HOST) == ["still here"]
    assert heard(room, CAROL) == ["still here"]


def test_the_rep_the_relay_kicks_comes_back_and_its_session_goes_on() -> None:
    room = three()
    kicked_by_the_relay(room, HOST)
    assert room.of(HOST, Ended) == []
    room.reconnect(HOST, host=STRANGER)
    chat(room, HOST, "back")
    assert heard(room, BOB) == ["back"]


def test_a_member_the_relay_kicks_and_whose_rep_never_answers_ends_at_the_resume_time() -> None:
    room = three()
    room.drop(HOST)
    kicked_by_the_relay(room, BOB)
    room.reconnect(BOB, host=STRANGER)
    room.advance(room.members[BOB].timings.resume_timeout + 1)
    [ended] = room.of(BOB, Ended)
    assert ended.reason is not None
    assert "did not come back" in ended.reason


def test_a_member_the_rep_removes_ends_on_the_reps_word_before_the_relay_kicks_it() -> None:
    room = three()
    room.apply(HOST, room.host.remove(BOB, room.now))
    room.flush()
    assert BOB not in room.kicked
    [ended] = room.of(BOB, Ended)
    assert ended.removed_by == "Alice"
    room.advance(room.host.timings.farewell_grace + 1)
    assert BOB in room.kicked
    kicked_by_the_relay(room, BOB)
    assert room.of(BOB, Ended) == [ended]
    assert not room.members[BOB].resumable


def test_a_rep_whose_room_a_stranger_holds_moves_the_session_to_its_standby_room() -> None:
    room = three()
    standby = room.host.standby_room
    assert standby is not None
    room.drop(*room.everyone())
    room.reconnect(HOST, host=STRANGER)
    [moved] = room.of(HOST, RoomMoved)
    assert moved.room == standby
    assert "the session moved to a new room" in moved.text
    assert room.of(HOST, RoomTaken) == []
    # New customers are given a code for the new room, not the stranger's.
    [issued] = [e for e in room.of(HOST, CodeIssued) if e.cause is CodeCause.MOVED]
    assert issued.code.room == standby
    assert room.host.code.room == standby


def test_nothing_is_sent_into_the_room_a_stranger_holds() -> None:
    room = three()
    room.drop(*room.everyone())
    step = room.host.reconnected(room.now, host=STRANGER)
    assert [e for e in step.events if isinstance(e, RoomMoved)]
    assert not step.actions  # not even a resume question: that waits for the new room


def everyone_meets_a_stranger(room: Room) -> str | None:
    """Everyone drops and comes back to a relay that names a stranger the host;
    returns the standby room the rep had announced."""
    standby = room.host.standby_room
    room.drop(*room.everyone())
    for eid in (HOST, BOB, CAROL):
        room.reconnect(eid, host=STRANGER)
    return standby


def test_members_whose_room_a_stranger_holds_follow_to_the_standby_room_the_roster_named() -> None:
    room = three()
    standby = everyone_meets_a_stranger(room)
    for eid in (BOB, CAROL):
        [moved] = room.of(eid, RoomMoved)
        assert moved.room == standby
        assert room.of(eid, Ended) == []
    chat(room, BOB, "moved along")
    assert heard(room, HOST) == ["moved along"]
    assert heard(room, CAROL) == ["moved along"]


def test_after_a_move_members_learn_the_next_standby_room_end_to_end() -> None:
    room = three()
    first = everyone_meets_a_stranger(room)
    second = room.host.standby_room
    assert second is not None
    assert second != first
    for eid in (BOB, CAROL):
        member = room.members[eid]
        assert member.standby_room == second
        assert member.room == first


def test_a_rep_moves_again_to_a_fresh_room_when_a_stranger_holds_the_new_one_too() -> None:
    room = three()
    rooms = []
    for _ in range(2):
        rooms.append(room.host.standby_room)
        room.drop(HOST)
        room.reconnect(HOST, host=STRANGER)
    assert [m.room for m in room.of(HOST, RoomMoved)] == rooms
    assert len(set(rooms)) == 2


def test_the_rep_welcomed_back_as_its_rooms_host_stays_in_its_room() -> None:
    room = three()
    room.drop(*room.everyone())
    for eid in room.everyone():
        room.reconnect(eid, host=HOST)
    assert all(room.of(eid, RoomTaken) == [] for eid in room.everyone())
    assert all(room.of(eid, RoomMoved) == [] for eid in room.everyone())


def test_a_member_with_no_standby_room_left_is_warned_instead() -> None:
    room = three()
    room.drop(BOB)
    room.reconnect(BOB, host=STRANGER)  # moves, using up the standby it knew
    room.drop(BOB)
    room.reconnect(BOB, host=STRANGER)
    [warning] = room.of(BOB, RoomTaken)
    assert warning.host == STRANGER
    assert "someone other than the rep" in warning.text
    assert room.of(BOB, Ended) == []


def test_a_rep_moving_rooms_closes_its_invitations_which_name_the_old_room() -> None:
    room = three()
    room.apply(HOST, room.host.invite(Role.CUSTOMER, room.now))
    [invited] = room.of(HOST, InvitationIssued)
    room.drop(HOST)
    room.reconnect(HOST, host=STRANGER)
    [closed] = room.of(HOST, InvitationClosed)
    assert closed.code == invited.code


def test_after_a_hand_over_a_relay_naming_either_rep_as_host_warns_nobody() -> None:
    # A restart while control moves may find the former rep holding the door.
    room = support_room()
    room.apply(HOST, room.host.transfer_control(DAVE, room.now))
    room.flush()
    room.drop(*room.everyone())
    for host in (HOST, DAVE):
        for eid in room.everyone():
            room.reconnect(eid, host=host)
    assert all(room.of(eid, RoomTaken) == [] for eid in room.everyone())
    room.drop(BOB)
    room.reconnect(BOB, host=STRANGER)
    dave = room.machine(DAVE)
    assert dave is not None
    assert [m.room for m in room.of(BOB, RoomMoved)] == [dave.standby_room]


def test_a_rep_the_relay_refuses_its_own_place_moves_the_session_to_its_standby_room() -> None:
    room = three()
    standby = room.host.standby_room
    room.drop(*room.everyone())
    room.apply(HOST, room.host.place_lost(room.now))
    [moved] = room.of(HOST, RoomMoved)
    assert moved.room == standby
    assert room.host.code.room == standby


def restarted_with_the_reps_place_taken(room: Room) -> None:
    """A stranger re-created the room first and holds the rep's id: the members
    come back to it and get no answer from "the rep"."""
    room.drop(*room.everyone())
    for eid in (BOB, CAROL):
        room.reconnect(eid, host=HOST)  # offline: what they send the rep's id is lost


def test_a_member_whose_rep_does_not_answer_after_a_restart_looks_in_the_standby_room() -> None:
    room = three()
    standby = room.host.standby_room
    restarted_with_the_reps_place_taken(room)
    room.advance(TIMINGS.standby_probe_after + 1)
    for eid in (BOB, CAROL):
        [probe] = room.of(eid, StandbyProbe)
        assert probe.room == standby


def test_a_member_whose_rep_answers_after_a_restart_stays_in_its_room() -> None:
    room = three()
    room.drop(*room.everyone())
    for eid in room.everyone():
        room.reconnect(eid, host=HOST)
    room.advance(TIMINGS.standby_probe_after + 1)
    assert all(room.of(eid, StandbyProbe) == [] for eid in (BOB, CAROL))


def test_the_rep_and_its_members_meet_again_in_the_standby_room_and_chat_goes_on() -> None:
    room = three()
    restarted_with_the_reps_place_taken(room)
    room.advance(TIMINGS.standby_probe_after + 1)
    room.drop(BOB, CAROL)  # each leaves the stranger's room to look
    room.apply(HOST, room.host.place_lost(room.now))
    room.reconnect(HOST)
    for eid in (BOB, CAROL):
        member = room.members[eid]
        room.offline.discard(eid)
        step = room.apply(eid, member.standby_found(room.now))
        assert [e for e in step.events if isinstance(e, RoomMoved)]
        room.apply(eid, member.reconnected(room.now, host=HOST))
        room.flush()
    chat(room, BOB, "found you")
    assert heard(room, HOST) == ["found you"]
    assert heard(room, CAROL) == ["found you"]
    assert all(room.of(eid, Ended) == [] for eid in room.everyone())


def test_a_member_the_rep_removes_does_not_learn_the_next_standby_room() -> None:
    room = three()
    before = room.host.standby_room
    room.apply(HOST, room.host.remove(BOB, room.now))
    room.flush()
    after = room.host.standby_room
    assert after not in (None, before)
    assert room.members[CAROL].standby_room == after
    assert room.members[BOB].standby_room != after


def test_a_member_that_never_finds_its_rep_gives_up_after_the_resume_time() -> None:
    # The stranger holds the rep's place, and the rep is gone for good: each visit
    # to the standby room finds nothing, and the visits do not restart the clock.
    room = three()
    restarted_with_the_reps_place_taken(room)
    timings = room.members[BOB].timings
    for _ in range(int(timings.resume_timeout / timings.standby_probe_after) + 2):
        room.advance(timings.standby_probe_after + 1)
        if room.of(BOB, Ended):
            break
        assert room.of(BOB, StandbyProbe)
        room.drop(BOB)
        room.reconnect(BOB, host=HOST)
    [ended] = room.of(BOB, Ended)
    assert ended.reason is not None
    assert "did not come back" in ended.reason
