"""The host's door: counting failed attempts, timeouts, and replacing the code."""

from __future__ import annotations

import pytest

from codec import (
    Admission,
    Admitted,
    AttemptFailed,
    HandshakeReply,
    JoinerHandshake,
    NotAdmitted,
    NotAdmittedError,
    NotAdmittingReason,
    SessionCode,
)
from codec._payload import PayloadKind
from tests.codec.test_handshake import CODE, NOW, JoinPair, wrong

TIMEOUT = 30.0


def fail_once(pair: JoinPair, joiner_id: int) -> AttemptFailed:
    event = pair.join(joiner_id, wrong(pair.admission.code)).host_event
    assert isinstance(event, AttemptFailed)
    return event


def test_a_joiner_with_the_right_code_is_admitted() -> None:
    pair = JoinPair()
    event = pair.join(5, CODE).host_event
    assert isinstance(event, Admitted)
    assert event.id == 5
    assert pair.admission.failures == 0
    assert pair.admission.next_deadline() is None


def test_a_wrong_code_counts_one_failure() -> None:
    pair = JoinPair()
    event = fail_once(pair, 5)
    assert (event.id, event.failures, event.new_code) == (5, 1, None)
    assert pair.admission.failures == 1
    assert pair.admission.code == CODE


def test_a_code_naming_a_slot_with_no_live_code_is_turned_away_without_a_guess() -> None:
    pair = JoinPair()
    other_slot = SessionCode(CODE.room, (CODE.label + 1) % 10, CODE.secret)
    event = pair.admission.receive(5, JoinerHandshake(other_slot).start(), NOW)
    assert isinstance(event, NotAdmitted)
    assert event.reason is NotAdmittingReason.NO_SUCH_CODE
    assert pair.admission.failures == pair.admission.session_failures == 0
    assert pair.admission.code == CODE


def test_the_joiner_is_told_its_code_is_not_one_of_the_sessions() -> None:
    pair = JoinPair()
    joiner = JoinerHandshake(SessionCode(CODE.room, (CODE.label + 1) % 10, CODE.secret))
    event = pair.admission.receive(5, joiner.start(), NOW)
    assert isinstance(event, NotAdmitted)
    with pytest.raises(
        NotAdmittedError, match=r"that code is not one of this session.s: check it with the rep"
    ):
        joiner.receive(event.payload)


def test_a_joiner_that_vanishes_after_pake_counts_as_a_failure() -> None:
    pair = JoinPair()
    pair.start(5, CODE)
    event = pair.admission.member_left(5)
    assert isinstance(event, AttemptFailed)
    assert (event.id, event.failures, event.new_code) == (5, 1, None)
    assert event.reason == "left during the handshake"
    assert pair.admission.next_deadline() is None


def test_a_joiner_that_leaves_before_sending_anything_does_not_count() -> None:
    pair = JoinPair()
    assert pair.admission.member_left(5) is None
    assert pair.admission.failures == 0


def test_an_admitted_member_leaving_is_not_a_failure() -> None:
    pair = JoinPair()
    pair.join(5, CODE)
    assert pair.admission.member_left(5) is None
    assert pair.admission.failures == 0


def test_the_handshake_deadline_starts_at_the_first_payload() -> None:
    pair = JoinPair(timeout=TIMEOUT)
    assert pair.admission.next_deadline() is None
    pair.start(5, CODE, now=NOW)
    pair.start(6, CODE, now=NOW + 10)
    assert pair.admission.next_deadline() == NOW + TIMEOUT


def test_a_handshake_that_times_out_counts_as_a_failure() -> None:
    pair = JoinPair(timeout=TIMEOUT)
    pair.start(5, CODE, now=NOW)
    assert pair.admission.expire(NOW + TIMEOUT - 0.001) == []
    [event] = pair.admission.expire(NOW + TIMEOUT)
    assert (event.id, event.failures, event.new_code) == (5, 1, None)
    assert event.reason == "did not finish the handshake in time"
    assert pair.admission.next_deadline() is None
    assert pair.admission.expire(NOW + 1000) == []


def test_expire_fails_only_the_late_attempts() -> None:
    pair = JoinPair(timeout=TIMEOUT)
    pair.start(5, CODE, now=NOW)
    joiner, reply = pair.start(6, CODE, now=NOW + 20)
    assert [e.id for e in pair.admission.expire(NOW + TIMEOUT)] == [5]
    assert pair.admission.next_deadline() == NOW + 20 + TIMEOUT
    assert isinstance(pair.finish(6, joiner, reply, now=NOW + TIMEOUT).host_event, Admitted)


def test_a_late_confirmation_after_a_timeout_is_not_counted_twice() -> None:
    pair = JoinPair(timeout=TIMEOUT)
    joiner, reply = pair.start(5, CODE, now=NOW)
    pair.admission.expire(NOW + TIMEOUT)
    late = pair.finish(5, joiner, reply, now=NOW + TIMEOUT + 1).host_event
    assert isinstance(late, AttemptFailed)
    assert late.failures == 0  # a stray confirmation starts nothing and does not count
    assert pair.admission.failures == 1


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(bytes([PayloadKind.CONFIRM]) + bytes(32), id="confirm-first"),
        pytest.param(bytes([PayloadKind.ABORT]), id="abort-first"),
        pytest.param(bytes([PayloadKind.PAKE]) + b"A" * 5, id="short-pake"),
        pytest.param(bytes([PayloadKind.PAKE]), id="pake-naming-no-slot"),
        pytest.param(bytes([PayloadKind.PAKE, 10]) + b"A" * 33, id="pake-naming-slot-ten"),
        pytest.param(b"\x63", id="unknown-kind"),
        pytest.param(b"", id="empty"),
    ],
)
def test_a_payload_refused_before_any_pake_fails_without_counting(payload: bytes) -> None:
    pair = JoinPair()
    event = pair.admission.receive(5, payload, NOW)
    assert isinstance(event, AttemptFailed)
    assert (event.id, event.failures, event.new_code) == (5, 0, None)
    assert pair.admission.failures == 0
    assert pair.admission.next_deadline() is None


def test_a_second_pake_in_the_same_attempt_counts_as_a_failure() -> None:
    pair = JoinPair()
    joiner = JoinerHandshake(CODE)
    pake = joiner.start()
    assert isinstance(pair.admission.receive(5, pake, NOW), HandshakeReply)
    event = pair.admission.receive(5, pake, NOW)
    assert isinstance(event, AttemptFailed)
    assert event.failures == 1


def test_after_three_failures_the_code_is_replaced() -> None:
    pair = JoinPair()
    assert [fail_once(pair, i).new_code for i in (5, 6)] == [None, None]
    third = fail_once(pair, 7)
    assert third.failures == 3
    assert third.new_code is not None
    assert third.new_code.room == CODE.room
    assert third.new_code.secret != CODE.secret
    assert pair.admission.code == third.new_code
    assert pair.admission.failures == 0


def test_the_old_code_admits_nobody_after_it_was_replaced() -> None:
    pair = JoinPair(max_failures=1)
    new_code = fail_once(pair, 5).new_code
    assert new_code is not None
    result = pair.join(6, CODE)
    assert result.joiner_error is not None
    assert result.joiner_error.reason == "wrong-code"
    assert isinstance(result.host_event, AttemptFailed)


def test_the_new_code_admits_the_joiner() -> None:
    pair = JoinPair(max_failures=1)
    new_code = fail_once(pair, 5).new_code
    assert new_code is not None
    assert isinstance(pair.join(6, new_code).host_event, Admitted)


def test_the_failure_limit_is_configurable() -> None:
    pair = JoinPair(max_failures=5)
    assert [fail_once(pair, i).new_code is None for i in range(4)] == [True] * 4
    assert fail_once(pair, 9).new_code is not None


def test_a_failure_against_the_new_code_counts_from_one() -> None:
    pair = JoinPair(max_failures=2)
    fail_once(pair, 5)
    assert fail_once(pair, 6).new_code is not None
    assert fail_once(pair, 7).failures == 1


def test_an_attempt_in_flight_when_the_code_was_used_fails_without_counting() -> None:
    pair = JoinPair()
    joiner, reply = pair.start(5, CODE)  # the right code, about to confirm
    assert isinstance(pair.join(6, CODE).host_event, Admitted)  # someone else used it first
    event = pair.finish(5, joiner, reply).host_event
    assert isinstance(event, AttemptFailed)
    assert (event.id, event.failures, event.new_code) == (5, 0, None)
    assert event.reason == "the code was used or replaced during the attempt"
    assert (pair.admission.failures, pair.admission.session_failures) == (0, 0)


def test_an_old_attempt_that_aborts_leaves_or_times_out_does_not_count() -> None:
    pair = JoinPair(max_failures=4, timeout=TIMEOUT)
    aborting, aborting_reply = pair.start(5, wrong())
    pair.start(6, wrong())
    pair.start(7, wrong())
    assert isinstance(pair.join(8, CODE).host_event, Admitted)
    new_code = pair.admission.code
    aborted = pair.finish(5, aborting, aborting_reply).host_event
    left = pair.admission.member_left(6)
    [expired] = pair.admission.expire(NOW + TIMEOUT)
    for event in (aborted, left, expired):
        assert isinstance(event, AttemptFailed)
        assert (event.failures, event.new_code) == (0, None)
    assert (pair.admission.failures, pair.admission.session_failures) == (0, 0)
    assert pair.admission.code == new_code


def test_joiners_at_the_same_time_are_tracked_separately() -> None:
    pair = JoinPair()
    good, good_reply = pair.start(5, CODE)
    bad, bad_reply = pair.start(6, wrong())
    assert isinstance(pair.finish(6, bad, bad_reply).host_event, AttemptFailed)
    assert isinstance(pair.finish(5, good, good_reply).host_event, Admitted)
    assert pair.admission.session_failures == 1


def test_a_member_can_join_again_after_a_failed_attempt() -> None:
    pair = JoinPair()
    fail_once(pair, 5)
    assert isinstance(pair.join(5, CODE).host_event, Admitted)


def test_a_fresh_admission_starts_with_no_failures() -> None:
    admission = Admission(SessionCode.generate())
    assert (admission.failures, admission.max_failures) == (0, 3)
    assert admission.next_deadline() is None
    assert admission.expire(NOW) == []
