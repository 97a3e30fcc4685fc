"""The join as an attacker sees it: guesses, lock-outs, used codes, tampered replies.

Each test plays the hostile relay or a hostile outsider with codec's own
pieces (a :class:`JoinerHandshake` per guess, invented sender ids) against
a real :class:`HostRules`, wired by the fake relay of :mod:`session_room`.
"""

from __future__ import annotations

import pytest

from codec import (
    AttemptRefused,
    CodeCause,
    CodeIssued,
    Ended,
    HostRules,
    InSession,
    JoinerHandshake,
    JoiningPaused,
    LocalProtocolError,
    NotAdmittedError,
    PayloadKind,
    SessionCode,
    WrongCodeError,
    abort_payload,
)
from codec._handshake import HostHandshake
from tests.codec.session_room import CODE, HOST, Room

ATTACKER = 500


def guess(n: int) -> SessionCode:
    return SessionCode(CODE.room, CODE.label, f"{n:06d}")


def replies_to(room: Room, eid: int) -> list[bytes]:
    return [p for _, p in room.outside.get(eid, []) if p[0] == PayloadKind.PAKE_REPLY]


def open_attempts(room: Room, count: int, first: int = ATTACKER) -> list[JoinerHandshake]:
    """*count* attempts at once from invented endpoint ids, each a different guess."""
    joiners = []
    for i in range(count):
        joiner = JoinerHandshake(guess(i))
        room.send(first + i, HOST, joiner.start())
        joiners.append(joiner)
    room.flush()
    return joiners


# Item 1: at most max_failures guesses per code, however many attempts ------------


def test_a_thousand_parallel_attempts_get_at_most_three_replies() -> None:
    room = Room()
    pake = JoinerHandshake(guess(1)).start()
    for i in range(1000):  # a relay inventing sender ids, replaying one message
        room.send(ATTACKER + i, HOST, pake)
    room.flush()
    answered = [eid for eid in range(ATTACKER, ATTACKER + 1000) if replies_to(room, eid)]
    assert len(answered) == 3
    assert room.host.admission.failures == 0  # nothing counted yet: the units are held


def test_attempts_beyond_the_budget_are_told_to_wait_and_learn_nothing() -> None:
    room = Room()
    open_attempts(room, 4)
    [(_, busy)] = room.outside[ATTACKER + 3]
    assert busy[0] == PayloadKind.NOT_ADMITTING
    joiner = JoinerHandshake(guess(3))
    joiner.start()
    with pytest.raises(NotAdmittedError, match="busy"):
        joiner.receive(busy)


def test_answered_attempts_that_never_confirm_spend_the_code() -> None:
    room = Room()
    old = room.host.code
    open_attempts(room, 3)
    for i in range(3):
        room.send(ATTACKER + i, HOST, abort_payload())
    room.flush()
    assert [e.failures for e in room.of(HOST, AttemptRefused)] == [1, 2, 3]
    [issued] = room.of(HOST, CodeIssued)
    assert issued.cause is CodeCause.RETIRED
    assert room.host.code != old
    assert room.join(2, "Bob", old).state.value == "ended"


def test_a_valid_confirmation_gives_its_unit_back() -> None:
    room = Room(host=HostRules(HOST, "Alice", CODE, max_failures=1))
    bob = room.join(2, "Bob")  # held the only unit, and confirmed
    assert bob.state.value == "in session"
    assert room.host.admission.failures == 0
    assert room.join(3, "Carol").state.value == "in session"


def test_a_hostile_relay_gets_three_offline_checks_per_code_and_no_more() -> None:
    """Every reply lets the holder test its guess offline: count what it can learn."""
    room = Room()
    joiners = open_attempts(room, 20)
    checked = 0
    for i, joiner in enumerate(joiners):
        for reply in replies_to(room, ATTACKER + i):
            checked += 1
            with pytest.raises(WrongCodeError):
                joiner.receive(reply)
    assert checked == 3


# Item 2: a session-wide budget, and /reopen ----------------------------------------


def fail(room: Room, n: int, first: int = ATTACKER) -> None:
    for i in range(n):
        joiner = JoinerHandshake(guess(i))
        room.send(first + i, HOST, joiner.start())
        room.flush()
        room.send(first + i, HOST, abort_payload())
        room.flush()


def test_guessing_across_codes_stops_after_ten_failures_and_the_rep_is_told() -> None:
    room = Room()
    fail(room, 10)
    assert [e.cause for e in room.of(HOST, CodeIssued)] == [CodeCause.RETIRED] * 3
    [paused] = room.of(HOST, JoiningPaused)
    assert paused.failures == 10
    assert room.host.paused
    open_attempts(room, 5, first=900)
    assert [replies_to(room, 900 + i) for i in range(5)] == [[]] * 5


def test_while_paused_even_the_current_code_admits_nobody() -> None:
    room = Room()
    fail(room, 10)
    carol = room.join(3, "Carol", room.host.code)
    [ended] = room.of(3, Ended)
    assert isinstance(ended.error, NotAdmittedError)
    assert "/reopen" in str(ended.error)
    assert carol.state.value == "ended"


def test_reopening_gives_a_fresh_code_and_a_fresh_budget() -> None:
    room = Room()
    fail(room, 10)
    before = room.host.code
    room.apply(HOST, room.host.reopen(room.now))
    issued = room.of(HOST, CodeIssued)[-1]
    assert issued.cause is CodeCause.REOPENED
    assert issued.code == room.host.code != before
    assert room.join(2, "Bob").state.value == "in session"
    assert room.host.admission.session_failures == 0


def test_the_session_budget_is_configurable() -> None:
    room = Room(host=HostRules(HOST, "Alice", CODE, max_session_failures=4))
    fail(room, 4)
    assert room.host.paused


def test_the_failure_budgets_must_make_sense() -> None:
    with pytest.raises(LocalProtocolError):
        HostRules(HOST, "Alice", CODE, max_failures=5, max_session_failures=4)


# Item 3: a code admits one person --------------------------------------------------


def test_a_code_admits_one_person_and_the_rep_gets_the_next() -> None:
    room = Room()
    first = room.host.code
    room.join(2, "Bob")
    [issued] = room.of(HOST, CodeIssued)
    assert issued.cause is CodeCause.USED
    assert issued.code == room.host.code != first
    late = room.join(3, "Mallory", first)
    assert late.state.value == "ended"
    assert isinstance(room.of(3, Ended)[0].error, WrongCodeError)


def test_a_member_who_knows_a_used_code_cannot_pose_as_the_rep_to_the_next_joiner() -> None:
    """Bob joined with the first code; with the relay's help he answers Carol as the host."""
    room = Room()
    used = room.host.code
    room.join(2, "Bob", used)
    impostor = HostHandshake(used.password, deadline=room.now + 30)

    def bob_answers_for_the_host(sender: int, to: int, payload: bytes) -> list[bytes]:
        if sender == 3 and to == HOST and payload[0] == PayloadKind.PAKE:
            reply = impostor.receive(payload)
            assert reply is not None
            room.apply(3, room.members[3].receive(HOST, reply, room.now))
            return []
        return [payload]

    room.tamper = bob_answers_for_the_host
    carol = room.join(3, "Carol")  # with the code the rep reads her: the next one
    assert carol.state.value == "ended"
    assert not room.of(3, InSession)
    assert isinstance(room.of(3, Ended)[0].error, WrongCodeError)


# Item 9, and issue 7: what counts, and what the joiner is told ------------------------


def test_a_tampered_host_reply_tells_the_joiner_wrong_code_or_interference() -> None:
    room = Room()

    def flip(sender: int, to: int, payload: bytes) -> list[bytes]:
        if payload[0] == PayloadKind.PAKE_REPLY:
            return [payload[:-1] + bytes([payload[-1] ^ 1])]
        return [payload]

    room.tamper = flip
    room.join(2, "Bob")
    [ended] = room.of(2, Ended)
    assert isinstance(ended.error, WrongCodeError)
    assert str(ended.error).startswith("wrong code, or someone interfered with the connection")


def test_an_abort_counts_no_more_than_a_time_out() -> None:
    aborted, timed_out = Room(), Room()
    fail(aborted, 1)
    open_attempts(timed_out, 1)
    timed_out.advance(31)
    assert aborted.host.admission.failures == timed_out.host.admission.failures == 1


def test_an_attempt_the_host_never_answered_does_not_count() -> None:
    room = Room()
    open_attempts(room, 4)  # the fourth was told "busy", never answered
    room.relay_says_left(ATTACKER + 3)
    assert room.host.admission.failures == 0
    joiner = JoinerHandshake(CODE)
    room.send(700, HOST, joiner.start()[:5])  # a malformed first message: no reply either
    room.relay_says_left(700)
    assert room.host.admission.session_failures == 0


def test_an_answered_joiner_that_vanishes_counts() -> None:
    room = Room()
    open_attempts(room, 1)
    room.relay_says_left(ATTACKER)
    assert [e.reason for e in room.of(HOST, AttemptRefused)] == ["left during the handshake"]


def test_a_handshake_that_is_never_finished_expires_and_counts() -> None:
    room = Room()
    open_attempts(room, 1)
    room.advance(29)
    assert not room.of(HOST, AttemptRefused)
    room.advance(2)
    [failed] = room.of(HOST, AttemptRefused)
    assert "in time" in failed.reason
    assert ATTACKER in room.kicked


def test_a_joiner_whose_host_never_answers_gives_up_with_a_clear_reason() -> None:
    room = Room()
    room.tamper = lambda sender, to, payload: [] if to == HOST else [payload]
    bob = room.join(2, "Bob")
    room.advance(21)
    assert bob.state.value == "ended"
    assert "did not answer" in (room.of(2, Ended)[0].reason or "")


def test_a_joiner_naming_a_code_that_is_not_open_is_told_why_and_then_dropped() -> None:
    # Else one connection could probe label after label for free, each probe
    # a line on the rep's screen; dropped, each costs a rate-limited join.
    room = Room()
    label = (CODE.label + 1) % 10
    mallory = room.join(ATTACKER, "Mallory", SessionCode(CODE.room, label, CODE.secret))
    [ended] = room.of(ATTACKER, Ended)
    assert isinstance(ended.error, NotAdmittedError)
    assert "not one of this session's" in str(ended.error)
    assert mallory.state.value == "ended"
    assert ATTACKER in room.kicked
