"""Resume after a drop (SPEC X3): the session goes on, nothing is lost or doubled.

Each test breaks the connection the way the world does (a relay restart
drops everyone, a blip drops one, the relay reports someone gone, it drops
frames) and checks what a person would see: every chat line exactly once,
in order; the same people, roles and primary; no new code spent. The
attacker's tests show what only the channel's keys can do: a stranger, a
replayed answer, a reflected question and old frames all get nothing.
"""

from __future__ import annotations

import pytest

from codec import (
    ChannelSync,
    ChatArrived,
    Ended,
    MemberAway,
    MemberBack,
    MemberRemoved,
    PayloadKind,
    ProtocolError,
    Refused,
    SessionTimings,
    SyncState,
)
from tests.codec.session_room import HOST, Room

BOB, CAROL = 2, 3
KEY_A, KEY_B = bytes(range(32)), bytes(range(1, 33))


def three() -> Room:
    room = Room()
    room.join(BOB, "Bob")
    room.join(CAROL, "Carol")
    return room


def chat(room: Room, eid: int, text: str, to: list[int] | None = None) -> None:
    machine = room.machine(eid)
    assert machine is not None
    room.apply(eid, machine.send_chat(text, to or [], room.now))
    room.flush()


def heard(room: Room, eid: int) -> list[str]:
    return [c.text for c in room.of(eid, ChatArrived)]


def restart_relay(room: Room) -> None:
    """Everyone's connection breaks; then the host is back first, the members after."""
    room.drop(*room.everyone())
    room.now += 5


def reconnect_all(room: Room) -> None:
    for eid in room.everyone():
        room.reconnect(eid)


# The session goes on ---------------------------------------------------------


def test_chat_before_during_and_after_a_relay_restart_arrives_once_in_order() -> None:
    room = three()
    chat(room, BOB, "before")
    restart_relay(room)
    chat(room, BOB, "typed while reconnecting")
    chat(room, HOST, "the rep typed too")
    reconnect_all(room)
    chat(room, BOB, "after")
    assert heard(room, HOST) == ["before", "typed while reconnecting", "after"]
    carol = heard(room, CAROL)  # each sender's lines in order; senders may interleave
    bobs = ["before", "typed while reconnecting", "after"]
    assert sorted(carol) == sorted([*bobs, "the rep typed too"])
    assert [t for t in carol if t != "the rep typed too"] == bobs
    assert heard(room, BOB) == ["the rep typed too"]
    assert all(not room.of(eid, Refused) for eid in room.everyone())


def test_the_same_people_roles_and_primary_after_a_restart_and_no_code_spent() -> None:
    room = three()
    code, roster = room.host.code, room.host.roster()
    restart_relay(room)
    reconnect_all(room)
    assert room.host.code == code
    assert room.host.roster() == roster
    assert room.members[BOB].roster() == roster
    assert room.members[CAROL].primary == BOB
    assert not room.of(HOST, MemberRemoved)


def test_members_may_come_back_in_any_order_even_before_the_rep() -> None:
    room = three()
    restart_relay(room)
    chat(room, CAROL, "anyone?")
    room.reconnect(CAROL)  # the rep is not back yet: its questions go nowhere
    room.reconnect(BOB)
    room.now += 1
    room.reconnect(HOST)
    chat(room, HOST, "back")
    assert heard(room, HOST) == ["anyone?"]
    assert heard(room, BOB) == ["anyone?", "back"]
    assert heard(room, CAROL) == ["back"]


def test_a_frame_sent_just_before_the_drop_and_never_delivered_is_sent_again() -> None:
    room = three()
    room.offline.add(HOST)  # the relay lost this one on the way: nobody knew yet
    chat(room, BOB, "lost in the drop", [HOST])
    room.offline.discard(HOST)
    restart_relay(room)
    reconnect_all(room)
    assert heard(room, HOST) == ["lost in the drop"]


def test_a_blip_of_one_member_shows_it_away_then_back_to_the_others() -> None:
    room = three()
    room.drop(BOB)
    room.relay_says_left(BOB, tell=[CAROL])
    chat(room, HOST, "where did Bob go?")
    assert [e.member.name for e in room.of(HOST, MemberAway)] == ["Bob"]
    room.reconnect(BOB)
    assert [e.member.name for e in room.of(HOST, MemberBack)] == ["Bob"]
    assert [e.member.name for e in room.of(CAROL, MemberBack)] == ["Bob"]
    assert heard(room, BOB) == ["where did Bob go?"]


def test_acknowledgements_let_the_sender_forget_what_arrived() -> None:
    room = three()
    for i in range(200):
        chat(room, BOB, f"line {i}", [HOST])
    room.advance(2)
    assert room.members[BOB].links[HOST].channel.sync.kept <= 1  # the keep-alive, perhaps


# Giving up -------------------------------------------------------------------


def test_a_member_that_never_comes_back_is_removed_after_the_resume_time() -> None:
    room = three()
    room.drop(BOB)
    room.relay_says_left(BOB)
    timings = room.host.timings
    room.advance(timings.resume_timeout - 1)
    assert not room.of(HOST, MemberRemoved)
    room.advance(2)
    [removed] = room.of(HOST, MemberRemoved)
    assert (removed.member.name, removed.said_goodbye) == ("Bob", False)
    assert [m.name for m in room.members[CAROL].roster()] == ["Alice", "Carol"]
    [told] = room.of(CAROL, MemberRemoved)  # Carol is told the truth: a lost connection
    assert (told.member.name, told.said_goodbye, told.removed_by) == ("Bob", False, None)


def test_a_member_whose_rep_never_comes_back_ends_with_one_reason() -> None:
    room = Room()
    timings = SessionTimings(resume_timeout=10.0)
    room.join(BOB, "Bob", timings=timings)
    room.drop(HOST)
    room.relay_says_left(HOST)
    room.advance(11)
    [ended] = room.of(BOB, Ended)
    assert ended.reason == "the rep's side did not come back within 10 s; the session is over"


def test_a_resume_that_needs_forgotten_frames_removes_the_member() -> None:
    room = Room()
    room.join(BOB, "Bob")
    sync = room.host.links[BOB].channel.sync
    sync._max_unacked = 2000  # a tiny budget: the rep forgets what Bob has not confirmed
    room.drop(BOB)
    for i in range(10):
        chat(room, HOST, f"{i} " + "x" * 300)
    room.reconnect(BOB)
    assert [e.member.name for e in room.of(HOST, MemberRemoved)] == ["Bob"]


# What only the keys can do ---------------------------------------------------


def test_a_stranger_in_a_members_place_gets_nothing_and_is_not_taken_back() -> None:
    room = three()
    room.drop(BOB)
    chat(room, HOST, "for Bob's eyes")
    del room.members[BOB]  # someone else now holds Bob's endpoint id at the relay
    room.offline.discard(BOB)
    forged = ChannelSync(BOB, HOST, KEY_A, KEY_B).lost(room.now, online=True)
    assert forged is not None
    room.send(BOB, HOST, forged)
    room.flush()
    assert "does not prove the channel's keys" in room.of(HOST, Refused)[-1].reason
    assert not room.of(HOST, MemberBack)
    got = [p for _, p in room.outside.get(BOB, [])]
    assert not any(p[0] == PayloadKind.SEALED for p in got)  # nothing held was released


def test_a_replayed_answer_from_an_earlier_resume_releases_nothing() -> None:
    room = three()
    room.drop(BOB)
    room.reconnect(BOB)
    told = [p for s, t, p in room.wire if (s, t) == (BOB, HOST) and p[0] == PayloadKind.SYNC]
    room.drop(BOB)
    chat(room, HOST, "after the second drop")
    del room.members[BOB]  # Bob is not back; the relay holds its place
    room.offline.discard(BOB)
    wire_before = len(room.wire)
    for payload in told:  # the relay plays Bob's old questions and answers to the rep
        room.send(BOB, HOST, payload)
    room.flush()
    released = [p for s, t, p in room.wire[wire_before:] if (s, t) == (HOST, BOB)]
    assert not any(p[0] == PayloadKind.SEALED for p in released)
    assert room.host.links[BOB].channel.sync.state is SyncState.ASKING


def test_a_question_reflected_back_to_its_sender_is_refused() -> None:
    room = three()
    room.drop(BOB)
    room.reconnect(BOB)
    [question, *_] = [
        p for s, t, p in room.wire if (s, t) == (BOB, HOST) and p[0] == PayloadKind.SYNC
    ]
    room.send(HOST, BOB, question)
    room.flush()
    assert "does not prove the channel's keys" in room.of(BOB, Refused)[-1].reason


def test_frames_from_before_the_drop_replayed_after_the_resume_are_rejected() -> None:
    room = three()
    chat(room, HOST, "once", [BOB])
    old = [p for s, t, p in room.wire if (s, t) == (HOST, BOB) and p[0] == PayloadKind.SEALED]
    restart_relay(room)
    reconnect_all(room)
    for payload in old:
        room.send(HOST, BOB, payload)
    room.flush()
    assert heard(room, BOB) == ["once"]
    assert "replayed" in room.of(BOB, Refused)[-1].reason


def test_a_resume_spends_no_failure_budget_and_leaves_the_door_as_it_was() -> None:
    room = three()
    failures = room.host.admission.session_failures
    restart_relay(room)
    reconnect_all(room)
    assert room.host.admission.session_failures == failures
    assert room.host.admission.state.value == "open"


# The machine alone -------------------------------------------------------------


def pair() -> tuple[ChannelSync, ChannelSync]:
    return ChannelSync(1, 2, KEY_A, KEY_B), ChannelSync(2, 1, KEY_B, KEY_A)


def test_frames_are_held_while_asking_and_sent_from_the_counter_the_other_end_names() -> None:
    a, b = pair()
    for n in range(3):
        assert a.sealed(n, b"frame %d" % n)
    b.opened(0, 7, 0.0)  # b has frame 0 only
    question = a.lost(0.0, online=True)
    assert question is not None
    assert not a.sealed(3, b"frame 3")  # held
    answer, _ = b.receive(question, 0.0).send
    resumed = a.receive(answer, 0.0)
    assert resumed.resumed
    assert resumed.send == (b"frame 1", b"frame 2", b"frame 3")
    assert a.state is SyncState.IN_STEP


def test_an_answer_is_taken_once() -> None:
    a, b = pair()
    a.sealed(0, b"frame 0")
    question = a.lost(0.0, online=True)
    assert question is not None
    answer, _ = b.receive(question, 0.0).send
    assert a.receive(answer, 0.0).send == (b"frame 0",)
    assert a.receive(answer, 0.0).send == ()  # a second copy sends nothing twice


def test_an_answer_claiming_frames_never_sent_is_refused() -> None:
    a, b = pair()
    question = a.lost(0.0, online=True)
    assert question is not None
    for n in range(5):
        b.opened(n, 1, 0.0)  # b pretends to have frames a never sealed
    answer, _ = b.receive(question, 0.0).send
    with pytest.raises(ProtocolError, match="never sent"):
        a.receive(answer, 0.0)


def test_an_echoed_question_is_answered_but_not_asked_back() -> None:
    a, b = pair()
    question = a.lost(0.0, online=True)
    assert question is not None
    _, echo = b.receive(question, 0.0).send
    assert len(a.receive(echo, 0.0).send) == 1  # the answer only: no ping-pong


def test_an_unanswered_question_is_asked_again_after_a_while() -> None:
    a, _ = pair()
    first = a.lost(0.0, online=True)
    assert first is not None
    assert a.ask_again(1.0) is None
    again = a.ask_again(3.5)
    assert again is not None
    assert again[3:19] == first[3:19]  # the same question: an answer to either counts
