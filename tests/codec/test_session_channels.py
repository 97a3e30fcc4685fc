"""The channels as an attacker sees them: keys, bad rosters, gaps, silence, false departures.

The hostile relay is the fake relay's ``tamper`` hook and forged
departures; a hostile member is a real member whose channels the test
uses directly, sealing whatever it likes.
"""

from __future__ import annotations

import struct
from dataclasses import replace

import nacl.public
import pytest

from codec import (
    PAD_BUCKETS,
    Activity,
    Chat,
    ChatArrived,
    ConsentRevoke,
    Ended,
    HostRules,
    Member,
    MemberAdded,
    MemberAway,
    MemberBack,
    MemberRemoved,
    MemberRules,
    MessageArrived,
    PayloadKind,
    ProtocolError,
    Refused,
    Role,
    Roster,
    TurnedAway,
    check_public_key,
    encode_message,
    member_channel_keys,
)
from tests.codec.session_room import CODE, HOST, NOW, Room

BOB, CAROL = 2, 3
# Points of small order on Curve25519 (and their non-canonical forms): every
# shared secret with them is all zeros.
LOW_ORDER = [
    bytes(32),
    bytes([1]) + bytes(31),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    bytes.fromhex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    bytes.fromhex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
]


def counter(frame: bytes) -> int:
    kind, number = struct.unpack_from(">BQ", frame)
    assert kind == PayloadKind.SEALED
    return int(number)


def three() -> Room:
    room = Room()
    room.join(BOB, "Bob")
    room.join(CAROL, "Carol")
    return room


# Item 5: one channel per (endpoint id, key), bound to the session ---------------


def test_a_role_change_keeps_the_member_channel_and_never_reuses_a_counter() -> None:
    room = three()
    room.apply(CAROL, room.members[CAROL].send_chat("before", [BOB], room.now))
    room.apply(HOST, room.host.set_role(BOB, Role.ASSISTANT, room.now))
    room.flush()
    assert room.members[CAROL].members[BOB].role is Role.ASSISTANT
    room.apply(CAROL, room.members[CAROL].send_chat("after", [BOB], room.now))
    room.flush()
    assert [counter(f) for f in room.frames(CAROL, BOB)] == [0, 1]


def test_member_keys_are_bound_to_the_session_id() -> None:
    alice, bob = nacl.public.PrivateKey.generate(), nacl.public.PrivateKey.generate()
    one = member_channel_keys(alice, bytes(bob.public_key), 2, 3, b"\x01" * 16)
    other = member_channel_keys(alice, bytes(bob.public_key), 2, 3, b"\x02" * 16)
    assert one.send != other.send
    assert one.receive != other.receive


def test_every_session_has_its_own_random_session_id_in_its_roster() -> None:
    ids = {HostRules(HOST, "Alice", CODE).session_id for _ in range(20)}
    assert len(ids) == 20
    room = three()
    assert room.members[BOB].session_id == room.members[CAROL].session_id == room.host.session_id


def test_a_roster_for_another_session_is_refused() -> None:
    room = three()
    forged = Roster(tuple(room.host.roster()), b"\x07" * 16)
    room.send(HOST, BOB, room.host.links[BOB].channel.seal(encode_message(forged)))
    room.flush()
    assert "another session" in room.of(BOB, Refused)[-1].reason


# Item 6: low-order keys -----------------------------------------------------------


@pytest.mark.parametrize("key", LOW_ORDER, ids=lambda k: k.hex()[:8])
def test_a_low_order_key_is_refused_with_our_error(key: bytes) -> None:
    with pytest.raises(ProtocolError):
        check_public_key(key)
    with pytest.raises(ProtocolError):
        member_channel_keys(nacl.public.PrivateKey.generate(), key, 2, 3, bytes(16))


class ZeroKeyMember(MemberRules):
    """A hostile joiner's program: it knows the code and introduces itself with key 0."""

    @property
    def public_key(self) -> bytes:
        return bytes(32)


def test_a_joiner_with_a_low_order_key_is_refused_at_admission() -> None:
    room = Room()
    room.join(BOB, "Bob")
    room.join(CAROL, "Eve", machine=ZeroKeyMember)
    assert [m.name for m in room.host.roster()] == ["Alice", "Bob"]
    assert room.of(HOST, TurnedAway)[-1].reason == "they sent an unusable (low-order) public key"
    assert CAROL in room.kicked
    assert not room.of(BOB, MemberAdded)
    assert room.members[BOB].state.value == "in session"


def test_a_bad_roster_entry_is_dropped_and_reported_and_the_rest_applied() -> None:
    room = three()
    eve = Member(9, "Eve", Role.CUSTOMER, bytes(32))  # a host that let her by
    carol = replace(room.host.members[CAROL], role=Role.ASSISTANT)
    entries = (*(m for m in room.host.roster() if m.id != CAROL), carol, eve)
    roster = encode_message(Roster(entries, room.host.session_id))
    room.send(HOST, BOB, room.host.links[BOB].channel.seal(roster))
    room.flush()
    bob = room.members[BOB]
    assert "dropped Eve from the roster" in room.of(BOB, Refused)[-1].reason
    assert [m.name for m in bob.roster()] == ["Alice", "Bob", "Carol"]
    assert bob.members[CAROL].role is Role.ASSISTANT
    assert bob.state.value == "in session"


# Item 7: gaps are never silent; keep-alives both ways; strangers reported -------------


def drop_nth_from_host(room: Room, to: int, n: int) -> None:
    """From now on, the relay drops the *n*-th sealed frame the host sends to *to*."""
    seen = [0]

    def tamper(sender: int, receiver: int, payload: bytes) -> list[bytes]:
        if (sender, receiver) == (HOST, to) and payload[0] == PayloadKind.SEALED:
            seen[0] += 1
            if seen[0] == n:
                return []
        return [payload]

    room.tamper = tamper


def test_a_frame_the_relay_dropped_is_sent_again_and_taken_once_in_order() -> None:
    room = three()
    drop_nth_from_host(room, BOB, 1)
    room.apply(HOST, room.host.send_chat("one moment", [BOB], room.now))
    room.flush()
    room.apply(HOST, room.host.send_chat("are you there?", [BOB], room.now))
    room.flush()
    assert [c.text for c in room.of(BOB, ChatArrived)] == ["one moment", "are you there?"]
    assert not room.of(BOB, Ended)
    assert not room.of(BOB, Refused)


def test_a_dropped_last_message_is_repaired_at_the_reps_next_keep_alive() -> None:
    room = three()
    drop_nth_from_host(room, BOB, 1)
    room.join(4, "Dave")  # the roster telling Bob about Dave is dropped, and nothing follows
    assert 4 not in room.members[BOB].members
    room.advance(room.host.timings.keepalive_interval + 1)
    assert room.members[BOB].state.value == "in session"
    assert room.members[BOB].members[4].name == "Dave"


def test_a_gap_between_two_members_is_repaired_without_a_report() -> None:
    room = three()
    bob = room.members[BOB]
    seen = [0]

    def drop_first(sender: int, receiver: int, payload: bytes) -> list[bytes]:
        if (sender, receiver) == (BOB, CAROL) and payload[0] == PayloadKind.SEALED:
            seen[0] += 1
            if seen[0] == 1:
                return []
        return [payload]

    room.tamper = drop_first
    for text in ("hi Carol", "still there?"):
        room.apply(BOB, bob.send_chat(text, [CAROL], room.now))
        room.flush()
    assert [c.text for c in room.of(CAROL, ChatArrived)] == ["hi Carol", "still there?"]
    assert not room.of(CAROL, Refused)
    assert room.members[CAROL].state.value == "in session"


def test_the_rep_and_the_member_send_sealed_keep_alives_when_idle() -> None:
    room = Room()
    room.join(BOB, "Bob")
    before_to_bob, before_to_host = len(room.frames(HOST, BOB)), len(room.frames(BOB, HOST))
    room.advance(room.host.timings.keepalive_interval + 0.5)
    sealed = PayloadKind.SEALED  # acknowledgements travel too, unsealed
    to_bob = [f for f in room.frames(HOST, BOB)[before_to_bob:] if f[0] == sealed]
    to_host = [f for f in room.frames(BOB, HOST)[before_to_host:] if f[0] == sealed]
    assert len(to_bob) == len(to_host) == 1
    assert room.members[BOB].links[HOST].heard == room.host.links[BOB].heard > NOW
    assert not room.of(BOB, Refused)
    assert not room.of(HOST, Refused)


def test_a_silent_rep_ends_the_members_session_once_the_resume_time_is_over() -> None:
    room = Room()
    room.join(BOB, "Bob")
    room.tamper = lambda sender, to, payload: [] if sender == HOST else [payload]
    timings = room.host.timings
    room.advance(timings.silence_timeout + 1)
    assert not room.of(BOB, Ended)  # it may be a drop the rep comes back from
    [away] = room.of(BOB, MemberAway)
    assert away.member.name == "Alice"
    room.advance(timings.resume_timeout)
    [ended] = room.of(BOB, Ended)
    assert "did not come back" in (ended.reason or "")


def test_a_silent_member_is_removed_by_the_rep_once_the_resume_time_is_over() -> None:
    room = three()
    room.tamper = lambda sender, to, payload: [] if sender == BOB else [payload]
    timings = room.host.timings
    room.advance(timings.silence_timeout + 1)
    assert not room.of(HOST, MemberRemoved)
    room.advance(timings.resume_timeout + timings.farewell_grace)
    [removed] = room.of(HOST, MemberRemoved)
    assert (removed.member.name, removed.said_goodbye) == ("Bob", False)
    assert BOB in room.kicked
    assert [m.name for m in room.members[CAROL].roster()] == ["Alice", "Carol"]


def test_a_sealed_frame_from_an_endpoint_with_no_channel_is_reported() -> None:
    room = three()
    frame = room.host.links[BOB].channel.seal(encode_message(Chat("hi")))
    room.send(77, BOB, frame)
    room.flush()
    refused = room.of(BOB, Refused)[-1]
    assert refused.sender == "endpoint 77"
    assert "no channel" in refused.reason


# Item 8: a forged "member left" ------------------------------------------------------


def test_a_member_the_relay_falsely_reported_gone_resumes_at_once() -> None:
    room = three()
    room.relay_says_left(BOB, tell=[])  # only the host hears the lie
    assert [e.member.name for e in room.of(HOST, MemberAway)] == ["Bob"]
    assert [e.member.name for e in room.of(HOST, MemberBack)] == ["Bob"]  # it answered
    assert not room.of(BOB, Ended)
    assert BOB not in room.kicked
    assert [m.name for m in room.members[CAROL].roster()] == ["Alice", "Bob", "Carol"]


def test_a_roster_that_leaves_this_member_out_ends_its_session() -> None:
    room = three()
    others = tuple(m for m in room.host.roster() if m.id != CAROL)
    roster = Roster(others, room.host.session_id)
    room.send(HOST, CAROL, room.host.links[CAROL].channel.seal(encode_message(roster)))
    room.flush()
    assert room.members[CAROL].state.value == "ended"
    assert "no longer lists you" in (room.of(CAROL, Ended)[0].reason or "")


# Item 11: the relay sees bucket sizes, not lengths ------------------------------------


def test_short_and_long_names_look_the_same_size_to_the_relay() -> None:
    room = Room()
    room.join(BOB, "B")
    room.join(CAROL, "Carol " + "x" * 50)
    hellos = {len(room.frames(eid, HOST)[2]) for eid in (BOB, CAROL)}  # after PAKE, CONFIRM
    assert hellos == {1 + 8 + 16 + PAD_BUCKETS[0]}


def test_short_and_longer_chat_look_the_same_size_to_the_relay() -> None:
    room = Room()
    room.join(BOB, "Bob")
    for text in ("y", "yes, please go ahead and restart it now"):
        room.apply(BOB, room.members[BOB].send_chat(text, [], room.now))
    room.flush()
    assert {len(f) for f in room.frames(BOB, HOST)[-2:]} == {1 + 8 + 16 + PAD_BUCKETS[0]}


# Other features plug in ---------------------------------------------------------------


def test_other_features_messages_reach_the_peer_with_their_authenticated_sender() -> None:
    room = three()
    room.apply(
        BOB, room.members[BOB].send_message(HOST, ConsentRevoke(Activity.VIEW_DESKTOP, 1), room.now)
    )
    room.flush()
    [arrived] = room.of(HOST, MessageArrived)
    assert (arrived.sender.name, arrived.sender.role) == ("Bob", Role.CUSTOMER)
    assert arrived.message == ConsentRevoke(Activity.VIEW_DESKTOP, 1)
