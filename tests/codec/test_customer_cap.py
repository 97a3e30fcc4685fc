"""The site policy's customer cap, where the host's rules admit joiners (SPEC S6)."""

from __future__ import annotations

import nacl.public
import pytest

from codec import (
    HostRules,
    JoinerHandshake,
    Member,
    NotAdmittedError,
    Role,
    SessionCode,
    Transmit,
    TurnedAway,
)

REP, CAROL = 1, 3


def rules_with_customers(count: int, cap: int | None) -> tuple[HostRules, SessionCode]:
    code = SessionCode.generate()
    rules = HostRules(REP, "Alice", code, max_customers=cap)
    for n in range(count):
        key = bytes(nacl.public.PrivateKey.generate().public_key)
        rules.members[10 + n] = Member(10 + n, f"Customer {n}", Role.CUSTOMER, key)
    return rules, code


def knock(
    rules: HostRules, code: SessionCode
) -> tuple[JoinerHandshake, Transmit, tuple[object, ...]]:
    joiner = JoinerHandshake(code)
    step = rules.receive(CAROL, joiner.start(), 0.0)
    (reply,) = step.actions
    assert isinstance(reply, Transmit)
    return joiner, reply, step.events


def test_a_joiner_beyond_the_cap_is_turned_away_before_any_reply() -> None:
    rules, code = rules_with_customers(2, cap=2)
    joiner, reply, events = knock(rules, code)
    with pytest.raises(NotAdmittedError, match="as many customers as the rep's site policy allows"):
        joiner.receive(reply.payload)
    assert events == (TurnedAway("the session has 2 customers, as many as the site policy allows"),)
    assert not rules.admission.is_pending(CAROL)  # no guess at the code was answered


def test_below_the_cap_the_joiner_gets_the_handshake_reply() -> None:
    rules, code = rules_with_customers(1, cap=2)
    joiner, reply, _ = knock(rules, code)
    assert rules.admission.is_pending(CAROL)
    joiner.receive(reply.payload)  # a real reply: the joiner goes on to confirm


def test_without_a_cap_anyone_with_the_code_may_try() -> None:
    rules, code = rules_with_customers(50, cap=None)
    knock(rules, code)
    assert rules.admission.is_pending(CAROL)


def test_the_rep_reads_the_cap_of_one_customer_in_the_singular() -> None:
    rules, code = rules_with_customers(1, cap=1)
    _, _, events = knock(rules, code)
    assert events == (TurnedAway("the session has 1 customer, as many as the site policy allows"),)
