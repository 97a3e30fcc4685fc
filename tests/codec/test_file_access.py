"""The customer's file consent: access once, each transfer asked, F3, revoke, end."""

from __future__ import annotations

import pytest

from codec import (
    APPLICATION_SHARING_REFUSAL,
    AccessState,
    Activity,
    ConsentMachine,
    ConsentSharing,
    FileGate,
    FileOffer,
    LocalProtocolError,
    Party,
    ProtocolError,
)

REP = 0
PUT = FileOffer(11, "tool.exe", 1000)


class Sharing:
    def __init__(self) -> None:
        self.shared = False

    def application_shared(self) -> bool:
        return self.shared


def granted(sharing: Sharing | None = None) -> FileGate:
    gate = FileGate(sharing)
    assert gate.asked(REP, 0.0)
    gate.grant(REP)
    return gate


def test_access_is_asked_once_and_then_granted() -> None:
    gate = FileGate()
    assert gate.asked(REP, 0.0)
    assert gate.access(REP) is AccessState.ASKING_CUSTOMER
    assert not gate.asked(REP, 0.0)  # a second ask while the question is open asks nothing new
    gate.grant(REP)
    assert gate.access(REP) is AccessState.GRANTED


def test_file_access_asked_again_at_once_after_a_no_is_refused() -> None:
    gate = FileGate(reask_delay=5.0)
    assert gate.asked(REP, 100.0)
    gate.decline(REP, 100.0)
    with pytest.raises(ProtocolError, match="said no a moment ago; ask again in 5 s") as e:
        gate.asked(REP, 100.1)
    assert e.value.reason == "too-soon"
    assert gate.access(REP) is AccessState.NOT_GRANTED  # no question is put


def test_file_access_may_be_asked_again_once_the_reask_delay_has_passed() -> None:
    gate = FileGate(reask_delay=5.0)
    assert gate.asked(REP, 100.0)
    gate.decline(REP, 100.0)
    assert gate.quiet_for(REP, 103.0) == 2.0
    assert gate.asked(REP, 105.0)
    assert gate.access(REP) is AccessState.ASKING_CUSTOMER


def test_one_reps_no_does_not_keep_another_rep_quiet() -> None:
    gate = FileGate()
    assert gate.asked(REP, 100.0)
    gate.decline(REP, 100.0)
    assert gate.asked(REP + 1, 100.1)


def test_taking_file_access_back_keeps_the_rep_quiet_as_a_no_does() -> None:
    gate = granted()
    gate.revoke(REP, 50.0)
    with pytest.raises(ProtocolError, match="said no a moment ago"):
        gate.asked(REP, 51.0)
    assert gate.asked(REP, 50.0 + gate.reask_delay)


def test_a_refusal_by_policy_keeps_no_one_waiting() -> None:
    gate = FileGate()
    assert gate.asked(REP, 100.0)
    gate.refuse(REP)  # no question was put: asking again is refused by the policy again
    assert gate.asked(REP, 100.1)


def test_a_put_without_access_is_refused() -> None:
    gate = FileGate()
    gate.allow(REP, PUT.tid)
    assert gate.admit(REP, PUT) == "the customer has not granted file access; ask with /file-access"


def test_each_put_needs_the_customers_yes_even_with_access() -> None:
    gate = granted()
    assert gate.offer_needs_question(REP, PUT)
    assert gate.admit(REP, PUT) == "the customer did not allow this transfer"
    gate.allow(REP, PUT.tid)
    assert gate.admit(REP, PUT) is None


def test_a_yes_admits_one_transfer_only() -> None:
    gate = granted()
    gate.allow(REP, PUT.tid)
    assert gate.admit(REP, PUT) is None
    assert gate.admit(REP, PUT) is not None


def test_revoking_takes_back_every_yes_not_yet_used() -> None:
    gate = granted()
    gate.allow(REP, PUT.tid)
    gate.allow_fetch(REP, 5)
    gate.revoke(REP)
    assert gate.access(REP) is AccessState.NOT_GRANTED
    assert gate.admit(REP, PUT) is not None
    assert gate.admit_fetch(REP, 5) is not None


def test_a_transfer_of_control_takes_back_every_grant_and_yes() -> None:
    gate = granted()
    gate.allow(REP, PUT.tid)
    gate.allow_fetch(REP, 5)
    gate.control_moved()
    assert gate.access(REP) is AccessState.NOT_GRANTED
    assert gate.admit(REP, PUT) is not None
    assert gate.admit_fetch(REP, 5) is not None
    assert gate.asked(REP, 0.0)  # the next rep asks afresh, and the customer decides afresh


def test_no_transfer_starts_while_an_application_is_shared() -> None:
    sharing = Sharing()
    gate = granted(sharing)
    gate.allow(REP, PUT.tid)
    gate.allow_fetch(REP, 5)
    sharing.shared = True
    assert gate.admit(REP, PUT) == APPLICATION_SHARING_REFUSAL
    assert gate.admit_fetch(REP, 5) == APPLICATION_SHARING_REFUSAL
    assert "stop application sharing first" in APPLICATION_SHARING_REFUSAL


def test_a_get_the_customer_made_needs_no_question_but_respects_its_totals() -> None:
    gate = FileGate()
    gate.requested(REP, request=3, count=1, size=1000)
    offer = FileOffer(12, "shared.txt", 1000, request=3)
    assert not gate.offer_needs_question(REP, offer)
    assert gate.admit(REP, offer) is None
    with pytest.raises(ProtocolError, match="did not ask for"):
        gate.offer_needs_question(REP, FileOffer(13, "more.txt", 1, request=3))


def test_an_offer_under_a_request_never_made_is_refused() -> None:
    with pytest.raises(ProtocolError, match="did not ask for"):
        FileGate().offer_needs_question(REP, FileOffer(12, "x", 1, request=99))


def test_a_fetch_needs_access_and_the_customers_yes() -> None:
    gate = FileGate()
    assert gate.admit_fetch(REP, 5) is not None
    gate = granted()
    assert gate.admit_fetch(REP, 5) == "the customer did not allow this transfer"
    gate.allow_fetch(REP, 5)
    assert gate.admit_fetch(REP, 5) is None


def test_ending_the_file_activity_withdraws_access_and_requests() -> None:
    gate = granted()
    gate.requested(REP, request=3, count=1, size=10)
    gate.end(REP)
    assert gate.access(REP) is AccessState.NOT_GRANTED
    with pytest.raises(ProtocolError):
        gate.offer_needs_question(REP, FileOffer(12, "x", 1, request=3))


def test_the_customer_cannot_grant_what_was_never_asked() -> None:
    with pytest.raises(LocalProtocolError, match="grant"):
        FileGate().grant(REP)


def test_f3_follows_screen_sharings_consent_machines() -> None:
    desktop, application = ConsentMachine(Party.CUSTOMER), ConsentMachine(Party.CUSTOMER)
    gate = FileGate(ConsentSharing(lambda: [desktop, application]))
    desktop.request(Activity.VIEW_DESKTOP, now=0.0)
    desktop.grant(Activity.VIEW_DESKTOP)
    assert gate.refusal(REP, needs_access=False) is None  # the desktop is not an application
    application.request(Activity.CONTROL_APP, now=0.0)
    assert gate.refusal(REP, needs_access=False) is None  # asked, not yet on
    application.grant(Activity.CONTROL_APP)
    assert gate.refusal(REP, needs_access=False) == APPLICATION_SHARING_REFUSAL
    application.revoke()
    assert gate.refusal(REP, needs_access=False) is None
