"""Who may say what in a session, private delivery, names, and the relay's words.

Each rule is driven through the machines alone (no sockets): a hostile
member is a real member whose channels the test seals with directly.
"""

from __future__ import annotations

import pytest

from codec import (
    Channel,
    Chat,
    ChatArrived,
    Ended,
    HostRules,
    JoinerHandshake,
    LocalProtocolError,
    Member,
    MemberAdded,
    Message,
    PayloadKind,
    Refused,
    Role,
    Roster,
    SessionEnd,
    TurnedAway,
    encode_message,
    relay_says,
)
from tests.codec.session_room import CODE, HOST, Room

BOB, CAROL = 2, 3


def three() -> Room:
    room = Room()
    room.join(BOB, "Bob")
    room.join(CAROL, "Carol")
    return room


def hostile_send(room: Room, sender: int, to: int, message: Message) -> None:
    """*sender*'s program seals *message* on its own channel to *to*, whatever the rules say."""
    machine = room.machine(sender)
    assert machine is not None
    room.send(sender, to, machine.links[to].channel.seal(encode_message(message)))
    room.flush()


# Private delivery ---------------------------------------------------------------------


def test_a_private_chat_is_sealed_only_to_its_recipient() -> None:
    room = three()
    room.apply(HOST, room.host.send_chat("just for you", [BOB], room.now))
    room.flush()
    [chat] = room.of(BOB, ChatArrived)
    assert (chat.sender.name, chat.text, chat.private) == ("Alice", "just for you", True)
    assert not room.of(CAROL, ChatArrived)
    assert not room.of(CAROL, Refused)  # nothing reached Carol to refuse


def test_a_private_chat_sends_one_frame_per_recipient_and_none_to_the_others() -> None:
    room = three()
    before = {eid: len(room.frames(HOST, eid)) for eid in (BOB, CAROL)}
    room.apply(HOST, room.host.send_chat("psst", [CAROL], room.now))
    room.flush()
    assert {eid: len(room.frames(HOST, eid)) - before[eid] for eid in (BOB, CAROL)} == {
        BOB: 0,
        CAROL: 1,
    }


def test_a_chat_to_everyone_reaches_everyone() -> None:
    room = three()
    room.apply(BOB, room.members[BOB].send_chat("hello all", [], room.now))
    room.flush()
    for eid in (HOST, CAROL):
        [chat] = room.of(eid, ChatArrived)
        assert (chat.sender.name, chat.sender.role, chat.private) == ("Bob", Role.CUSTOMER, False)


def test_a_private_chat_addressed_to_someone_else_is_refused_by_the_receiver() -> None:
    room = three()
    hostile_send(room, BOB, CAROL, Chat("meant for the rep", (HOST,)))
    assert not room.of(CAROL, ChatArrived)
    assert "addressed to someone else" in room.of(CAROL, Refused)[-1].reason


def test_chat_to_someone_not_in_the_session_is_a_local_error() -> None:
    room = three()
    with pytest.raises(LocalProtocolError):
        room.host.send_chat("hi", [99], room.now)
    with pytest.raises(LocalProtocolError, match="U\\+202E"):
        room.host.send_chat("evil\u202etxt", [], room.now)


# Roster authority and the end ------------------------------------------------------------


def test_a_roster_from_a_member_is_refused_and_changes_nothing() -> None:
    room = three()
    before = room.members[CAROL].roster()
    fake = Roster((Member(BOB, "Alice (support)", Role.REP, b"\x01" * 32),), room.host.session_id)
    hostile_send(room, BOB, CAROL, fake)
    assert room.members[CAROL].roster() == before
    assert "a member may not send Roster" in room.of(CAROL, Refused)[-1].reason


def test_a_roster_without_the_rep_as_rep_is_refused() -> None:
    room = three()
    before = room.members[BOB].roster()
    entries = tuple(m for m in room.host.roster() if m.id != HOST)
    hostile_send(room, HOST, BOB, Roster(entries, room.host.session_id))
    assert room.members[BOB].roster() == before
    assert "does not list the rep" in room.of(BOB, Refused)[-1].reason


def test_only_the_controlling_rep_can_end_the_session() -> None:
    room = three()
    hostile_send(room, BOB, CAROL, SessionEnd("Alice"))
    assert room.members[CAROL].state.value == "in session"
    assert "may not send SessionEnd" in room.of(CAROL, Refused)[-1].reason
    room.apply(HOST, room.host.end(room.now))
    room.flush()
    for eid in (BOB, CAROL):
        assert room.of(eid, Ended)[-1].by == "Alice"


def test_a_member_cannot_send_the_rep_a_roster_or_an_end() -> None:
    room = three()
    hostile_send(room, BOB, HOST, SessionEnd("Bob"))
    hostile_send(room, BOB, HOST, Roster(tuple(room.host.roster()), room.host.session_id))
    assert [r.reason for r in room.of(HOST, Refused)] == [
        "a member may not send SessionEnd",
        "a member may not send Roster",
    ]
    assert not room.host.ended


# The door after admission ----------------------------------------------------------------


def test_an_admitted_member_may_not_start_a_new_handshake() -> None:
    room = three()
    room.send(BOB, HOST, JoinerHandshake(room.host.code).start())
    room.flush()
    assert "may not start a new handshake" in room.of(HOST, Refused)[-1].reason
    assert not [p for s, t, p in room.wire if t == BOB and p[0] == PayloadKind.PAKE_REPLY][1:]


def test_a_newcomer_that_never_says_who_it_is_is_dropped() -> None:
    room = Room()
    joiner = JoinerHandshake(CODE)
    room.send(9, HOST, joiner.start())
    room.flush()
    [(_, reply)] = room.outside[9]
    room.send(9, HOST, joiner.receive(reply))  # proves the code, then says nothing
    room.flush()
    room.advance(room.host.timings.hello_timeout + 1)
    assert 9 in room.kicked
    assert room.of(HOST, TurnedAway)[-1].reason == (
        "they proved the code but did not say who they are in time"
    )
    assert [m.id for m in room.host.roster()] == [HOST]


def test_a_newcomer_must_introduce_itself_before_chatting() -> None:
    room = Room()
    joiner = JoinerHandshake(CODE)
    room.send(9, HOST, joiner.start())
    room.flush()
    [(_, reply)] = room.outside[9]
    room.send(9, HOST, joiner.receive(reply))
    room.flush()
    channel = Channel(joiner.keys, 9, HOST)
    room.send(9, HOST, channel.seal(encode_message(Chat("let me in"))))
    room.flush()
    assert not room.of(HOST, ChatArrived)
    assert "may not send Chat" in room.of(HOST, Refused)[-1].reason


# Item 12: names that cannot collide or look alike ------------------------------------------


def test_a_long_name_taken_twice_is_cut_before_the_suffix() -> None:
    room = Room()
    long = "B" * 64
    room.join(BOB, long)
    room.join(CAROL, long)
    names = [m.name for m in room.host.roster()][1:]
    assert names == [long, "B" * 60 + " (2)"]
    assert all(len(n) <= 64 for n in names)


@pytest.mark.parametrize("twin", ["BOB", "\uff22\uff4f\uff42", "Bob ", "\u212aarl"])
def test_look_alike_names_are_told_apart(twin: str) -> None:
    first = "Karl" if twin.endswith("arl") else "Bob"
    room = Room()
    room.join(BOB, first)
    room.join(CAROL, twin)
    assert room.host.members[CAROL].name.endswith(" (2)")


def test_the_chat_sender_carries_the_role_the_rep_gave_it() -> None:
    room = three()
    room.apply(HOST, room.host.send_chat("hi", [], room.now))
    room.flush()
    assert room.of(BOB, ChatArrived)[0].sender.role is Role.REP
    assert room.of(BOB, MemberAdded)[0].member.role is Role.CUSTOMER


# Item 10: what the relay says is attributed -------------------------------------------------


def test_a_known_relay_refusal_gets_a_fixed_text_not_the_relays() -> None:
    assert relay_says("kicked", "call 555-0100 to restore your account") == (
        "the relay disconnected us"
    )


def test_an_unknown_relay_refusal_is_quoted_as_the_relays_words() -> None:
    text = relay_says("odd", "your session expired, call 555-0100")
    assert text.startswith('the relay says: "your session expired, call 555-0100"')


def test_a_fatal_relay_refusal_ends_the_session_with_the_relays_words_attributed() -> None:
    room = three()
    step = room.members[BOB].relay_refused("odd", "please call us", fatal=True)
    [ended] = step.events
    assert isinstance(ended, Ended)
    assert ended.reason is not None
    assert ended.reason.startswith('the relay says: "please call us"')


def test_a_host_with_a_session_id_of_the_wrong_size_is_a_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        HostRules(HOST, "Alice", CODE, session_id=b"short")
