"""The relay's host of a room is only the relay's word (docs/security.md).

A restarted relay gives the room to whoever re-creates it first, perhaps a
stranger who knows the room id. The relay's host may ask it to drop
anyone, so a relay kick is a drop the session comes back from, not its
end: only the controlling rep's sealed SessionEnd or Leave ends it. A
welcome that names someone else the room's host is told to the person.
"""

from __future__ import annotations

from codec import ChatArrived, Ended, RoomTaken
from tests.codec.session_room import HOST, Room, support_room

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


def test_the_rep_is_warned_when_the_relay_names_someone_else_host_of_its_room() -> None:
    room = three()
    room.drop(*room.everyone())
    room.reconnect(HOST, host=STRANGER)
    [warning] = room.of(HOST, RoomTaken)
    assert warning.host == STRANGER
    assert "someone else re-created this session's room" in warning.text
    assert "new customers cannot reach you" in warning.text
    assert "start a new session" in warning.text


def test_the_rep_welcomed_back_as_its_rooms_host_is_not_warned() -> None:
    room = three()
    room.drop(*room.everyone())
    for eid in room.everyone():
        room.reconnect(eid, host=HOST)
    assert all(room.of(eid, RoomTaken) == [] for eid in room.everyone())


def test_the_rep_is_warned_once_per_stranger_not_at_every_reconnect() -> None:
    room = three()
    for _ in range(3):
        room.drop(HOST)
        room.reconnect(HOST, host=STRANGER)
    assert len(room.of(HOST, RoomTaken)) == 1
    room.drop(HOST)
    room.reconnect(HOST, host=HOST)
    room.drop(HOST)
    room.reconnect(HOST, host=STRANGER)
    assert len(room.of(HOST, RoomTaken)) == 2


def test_a_member_is_warned_when_the_relay_names_someone_other_than_its_rep_host() -> None:
    room = three()
    room.drop(BOB)
    room.reconnect(BOB, host=STRANGER)
    [warning] = room.of(BOB, RoomTaken)
    assert warning.host == STRANGER
    assert "someone other than the rep" in warning.text
    assert room.of(BOB, Ended) == []


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
    assert len(room.of(BOB, RoomTaken)) == 1
