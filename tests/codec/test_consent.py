"""The consent machine: nothing is on until the customer says yes, and only they can say it."""

from __future__ import annotations

import pytest

from codec import (
    ACTIVITY_PERMITS,
    Activity,
    ConsentMachine,
    ConsentState,
    LocalProtocolError,
    Party,
    Permission,
    ProtocolError,
)

VIEW = Activity.VIEW_DESKTOP
CONTROL = Activity.CONTROL_DESKTOP


def customer() -> ConsentMachine:
    return ConsentMachine(Party.CUSTOMER, answer_timeout=60.0)


def test_nothing_is_permitted_before_an_answer() -> None:
    machine = customer()
    machine.request(CONTROL, now=0.0)
    assert machine.state is ConsentState.AWAITING_ANSWER
    assert not any(machine.permits(p) for p in Permission)


def test_a_grant_permits_exactly_what_the_activity_names() -> None:
    for activity, permits in ACTIVITY_PERMITS.items():
        machine = customer()
        machine.request(activity, now=0.0)
        machine.grant(activity)
        assert {p for p in Permission if machine.permits(p)} == permits


def test_viewing_permits_no_input_and_no_clipboard() -> None:
    machine = customer()
    machine.request(VIEW, now=0.0)
    machine.grant(VIEW)
    assert machine.permits(Permission.SEND_SCREEN)
    assert not machine.permits(Permission.INJECT_INPUT)
    assert not machine.permits(Permission.CLIPBOARD)


def test_a_denial_leaves_nothing_shared() -> None:
    machine = customer()
    machine.request(VIEW, now=0.0)
    machine.deny(VIEW)
    assert machine.state is ConsentState.NOTHING_SHARED
    assert not machine.permits(Permission.SEND_SCREEN)


def test_no_answer_is_a_no_once_the_deadline_passes() -> None:
    machine = customer()
    machine.request(VIEW, now=10.0)
    assert machine.next_deadline() == 70.0
    assert machine.expire(now=69.9) is None
    assert machine.expire(now=70.0) is VIEW
    assert machine.state is ConsentState.NOTHING_SHARED
    assert machine.next_deadline() is None
    with pytest.raises(LocalProtocolError):
        machine.grant(VIEW)  # too late: the question is gone


def test_revoking_ends_everything_at_once() -> None:
    machine = customer()
    machine.request(CONTROL, now=0.0)
    machine.grant(CONTROL)
    assert machine.revoke() is CONTROL
    assert machine.state is ConsentState.NOTHING_SHARED
    assert not any(machine.permits(p) for p in Permission)


def test_the_rep_stopping_ends_everything() -> None:
    machine = customer()
    machine.request(VIEW, now=0.0)
    machine.grant(VIEW)
    assert machine.stop() is VIEW
    assert not machine.permits(Permission.SEND_SCREEN)


def test_asking_for_control_while_viewing_keeps_viewing_until_the_answer() -> None:
    machine = customer()
    machine.request(VIEW, now=0.0)
    machine.grant(VIEW)
    machine.request(CONTROL, now=1.0)
    assert machine.state is ConsentState.SHARING_AWAITING_ANSWER
    assert machine.permits(Permission.SEND_SCREEN)
    assert not machine.permits(Permission.INJECT_INPUT)
    machine.deny(CONTROL)
    assert (machine.state, machine.active) == (ConsentState.SHARING, VIEW)
    machine.request(CONTROL, now=2.0)
    machine.grant(CONTROL)
    assert machine.permits(Permission.INJECT_INPUT)


def test_a_grant_must_answer_the_question_asked() -> None:
    machine = customer()
    machine.request(VIEW, now=0.0)
    with pytest.raises(LocalProtocolError, match="view-desktop was asked"):
        machine.grant(CONTROL)
    assert not machine.permits(Permission.INJECT_INPUT)


def test_a_grant_nobody_asked_for_is_refused_on_the_reps_side() -> None:
    mirror = ConsentMachine(Party.REP)
    with pytest.raises(ProtocolError, match="cannot grant while nothing shared") as info:
        mirror.grant(CONTROL)  # the customer's peer (or someone posing) sent it
    assert info.value.reason == "consent"
    assert mirror.active is None


def test_a_second_question_before_the_answer_is_the_reps_fault() -> None:
    machine = customer()
    machine.request(VIEW, now=0.0)
    with pytest.raises(ProtocolError, match="cannot request while awaiting"):
        machine.request(CONTROL, now=1.0)
    assert machine.asked is VIEW


@pytest.mark.parametrize("end", [ConsentMachine.revoke, ConsentMachine.stop])
def test_ending_when_nothing_is_shared_is_refused(end: object) -> None:
    machine = customer()
    with pytest.raises((ProtocolError, LocalProtocolError)):
        end(machine)  # type: ignore[operator]


def test_every_activity_has_a_description_for_the_question() -> None:
    assert all(activity.description for activity in Activity)


# After a no ----------------------------------------------------------------------


def test_after_the_customer_declines_the_same_rep_cannot_ask_again_for_a_few_seconds() -> None:
    machine = ConsentMachine(Party.CUSTOMER, answer_timeout=60.0, reask_delay=5.0)
    machine.request(CONTROL, now=0.0)
    machine.grant(CONTROL)
    machine.request(VIEW, now=1.0)
    machine.decline(VIEW, now=2.0)
    with pytest.raises(ProtocolError, match=r"said no a moment ago; ask again in 4 s"):
        machine.request(VIEW, now=3.0)
    with pytest.raises(ProtocolError, match=r"ask again in 1 s"):
        machine.request(CONTROL, now=6.5)  # another activity is the same kind of question
    assert machine.state is ConsentState.SHARING  # the refused request changed nothing
    assert machine.asked is None


def test_once_the_few_seconds_have_passed_the_rep_may_ask_again() -> None:
    machine = ConsentMachine(Party.CUSTOMER, answer_timeout=60.0, reask_delay=5.0)
    machine.request(VIEW, now=0.0)
    machine.decline(VIEW, now=1.0)
    machine.request(VIEW, now=6.0)
    assert machine.asked is VIEW


def test_after_the_customer_stops_sharing_the_same_rep_cannot_ask_again_for_a_few_seconds() -> None:
    machine = ConsentMachine(Party.CUSTOMER, answer_timeout=60.0, reask_delay=5.0)
    machine.request(VIEW, now=0.0)
    machine.grant(VIEW)
    assert machine.revoke(now=2.0) is VIEW
    with pytest.raises(ProtocolError, match=r"stopped sharing a moment ago; ask again in 4 s"):
        machine.request(CONTROL, now=3.0)
    machine.request(CONTROL, now=7.0)
    assert machine.asked is CONTROL


def test_an_end_by_circumstance_does_not_make_the_rep_wait() -> None:
    machine = customer()
    machine.request(VIEW, now=0.0)
    machine.grant(VIEW)
    machine.revoke()  # the shared window closed, control moved: not the customer's choice
    machine.request(VIEW, now=0.1)
    assert machine.asked is VIEW


def test_a_denial_by_circumstance_does_not_make_the_rep_wait() -> None:
    machine = customer()
    machine.request(Activity.VIEW_APP, now=0.0)
    machine.deny(Activity.VIEW_APP)  # no window to share: not the customer's no
    machine.request(VIEW, now=0.1)
    assert machine.asked is VIEW
