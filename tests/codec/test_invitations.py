"""An invitation gets a code of its own (SPEC S4, DESIGN "a code admits one person").

Each invitation's code sits in a slot of its own (the public label, the
ninth digit), with its own secret, its own failure budget, the role it
admits and an expiry; the code the rep reads out stays as it is.
"""

from __future__ import annotations

import pytest

from codec import (
    Admission,
    Admitted,
    AttemptFailed,
    CodeState,
    HandshakeReply,
    HostRules,
    InvitationClosed,
    InvitationIssued,
    JoinerHandshake,
    LocalProtocolError,
    MemberAdded,
    NotAdmitted,
    NotAdmittedError,
    NotAdmittingReason,
    Role,
    SessionCode,
    SessionTimings,
)
from tests.codec.session_room import HOST, Room
from tests.codec.test_handshake import CODE, NOW, JoinPair, wrong

LIFETIME = 3600.0


def door(**budgets: int) -> JoinPair:
    pair = JoinPair()
    pair.admission = Admission(CODE, invitation_lifetime=LIFETIME, **budgets)
    return pair


def invite(pair: JoinPair, role: Role = Role.CUSTOMER, now: float = NOW) -> SessionCode:
    code, _ = pair.admission.invite(role, now)
    return code


def turned_away(pair: JoinPair, code: SessionCode, now: float = NOW) -> NotAdmitted:
    event = pair.admission.receive(9, JoinerHandshake(code).start(), now)
    assert isinstance(event, NotAdmitted)
    return event


def test_an_invitation_code_shares_the_room_and_has_its_own_slot_and_secret() -> None:
    pair = door()
    invited = invite(pair)
    assert invited.room == CODE.room
    assert invited.label != CODE.label
    assert invited.secret != CODE.secret


def test_each_open_invitation_has_a_slot_of_its_own() -> None:
    pair = door()
    labels = {invite(pair).label for _ in range(9)}
    assert len(labels) == 9
    assert CODE.label not in labels


def test_an_invitation_code_admits_its_person_and_the_read_out_code_stays() -> None:
    pair = door()
    invited = invite(pair)
    event = pair.join(5, invited).host_event
    assert isinstance(event, Admitted)
    assert event.next_code is None
    assert pair.admission.code == CODE
    assert isinstance(pair.join(6, CODE).host_event, Admitted)


def test_the_read_out_code_rolls_on_and_an_open_invitation_still_admits() -> None:
    pair = door()
    invited = invite(pair)
    assert isinstance(pair.join(5, CODE).host_event, Admitted)
    assert pair.admission.code != CODE
    assert isinstance(pair.join(6, invited).host_event, Admitted)


def test_an_invitation_code_used_once_is_refused_saying_it_was_used() -> None:
    pair = door()
    invited = invite(pair)
    pair.join(5, invited)
    again = JoinerHandshake(invited)
    event = pair.admission.receive(6, again.start(), NOW)
    assert isinstance(event, NotAdmitted)
    assert event.reason is NotAdmittingReason.USED
    with pytest.raises(NotAdmittedError, match="invitation's code was used already"):
        again.receive(event.payload)
    assert pair.admission.session_failures == 0


def test_a_wrong_guess_at_an_invitation_spends_only_its_budget() -> None:
    pair = door()
    invited = invite(pair)
    event = pair.join(5, wrong(invited)).host_event
    assert isinstance(event, AttemptFailed)
    assert event.failures == 1
    assert pair.admission.failures == 0  # the read-out code's budget is whole
    assert pair.admission.session_failures == 1


def test_an_invitation_whose_budget_is_spent_is_withdrawn_and_says_so() -> None:
    pair = door()
    invited = invite(pair)
    events = [pair.join(5 + i, wrong(invited)).host_event for i in range(3)]
    assert [e.withdrawn for e in events if isinstance(e, AttemptFailed)] == [None, None, invited]
    assert turned_away(pair, invited).reason is NotAdmittingReason.RETIRED
    assert pair.admission.code == CODE  # the read-out code is not touched


def test_failures_at_the_read_out_code_leave_an_invitation_open() -> None:
    pair = door()
    invited = invite(pair)
    for i in range(3):
        pair.join(5 + i, wrong(CODE))
    assert pair.admission.code != CODE
    assert isinstance(pair.join(9, invited).host_event, Admitted)


def test_an_invitation_expires_after_its_lifetime() -> None:
    pair = door()
    invited = invite(pair)
    assert pair.admission.next_deadline() == NOW + LIFETIME
    assert pair.admission.expire_invitations(NOW + LIFETIME - 1) == []
    assert pair.admission.expire_invitations(NOW + LIFETIME) == [invited]
    assert turned_away(pair, invited, NOW + LIFETIME).reason is NotAdmittingReason.EXPIRED
    assert pair.admission.next_deadline() is None


def test_an_invitation_tried_after_its_lifetime_is_expired_even_before_the_tick() -> None:
    pair = door()
    invited = invite(pair)
    assert turned_away(pair, invited, NOW + LIFETIME + 1).reason is NotAdmittingReason.EXPIRED


def test_an_invitation_used_within_its_lifetime_admits() -> None:
    pair = door()
    invited = invite(pair)
    assert isinstance(pair.join(5, invited, NOW + LIFETIME - 1).host_event, Admitted)


def test_a_rep_invitation_admits_an_assistant_and_the_read_out_code_a_customer() -> None:
    pair = door()
    invited = invite(pair, Role.ASSISTANT)
    assistant = pair.join(5, invited).host_event
    customer = pair.join(6, CODE).host_event
    assert isinstance(assistant, Admitted)
    assert isinstance(customer, Admitted)
    assert (assistant.role, customer.role) == (Role.ASSISTANT, Role.CUSTOMER)


def test_failures_at_invitations_count_in_the_session_budget_and_pause_joining() -> None:
    pair = door(max_failures=3, max_session_failures=4)
    first, second = invite(pair), invite(pair)
    for i, code in enumerate([first, first, second, second]):
        event = pair.join(5 + i, wrong(code)).host_event
    assert isinstance(event, AttemptFailed)
    assert event.paused
    assert turned_away(pair, CODE).reason is NotAdmittingReason.PAUSED


def test_a_slot_with_an_open_invitation_is_not_given_twice_and_ten_is_the_most() -> None:
    pair = door()
    for _ in range(9):
        invite(pair)
    with pytest.raises(LocalProtocolError, match="9 invitations are open already"):
        invite(pair)


def test_a_used_invitation_slot_is_reused_last() -> None:
    pair = door()
    used = invite(pair)
    pair.join(5, used)
    later = [invite(pair).label for _ in range(8)]
    assert used.label not in later
    assert invite(pair).label == used.label  # the only slot left


def test_attempts_beyond_an_invitation_budget_get_no_reply() -> None:
    pair = door()
    invited = invite(pair)
    for i in range(3):
        reply = pair.admission.receive(5 + i, JoinerHandshake(invited).start(), NOW)
        assert isinstance(reply, HandshakeReply)
    assert turned_away(pair, invited).reason is NotAdmittingReason.BUSY
    assert isinstance(pair.join(20, CODE).host_event, Admitted)  # its own budget is whole


# The host's machine: events for the rep, roles in the roster -----------------


def test_the_host_announces_an_invitation_without_changing_the_read_out_code() -> None:
    room = Room()
    step = room.host.invite(Role.CUSTOMER, room.now)
    (issued,) = [e for e in step.events if isinstance(e, InvitationIssued)]
    assert issued.code.label != room.host.code.label
    assert room.host.code == CODE
    assert issued.expires == room.now + SessionTimings().invitation_lifetime


def test_a_joiner_with_a_rep_invitation_is_an_assistant_in_the_roster() -> None:
    room = Room()
    step = room.host.invite(Role.ASSISTANT, room.now)
    (issued,) = [e for e in step.events if isinstance(e, InvitationIssued)]
    room.join(5, "Dave", issued.code, assist=True)
    (added,) = room.of(HOST, MemberAdded)
    assert (added.member.name, added.member.role) == ("Dave", Role.ASSISTANT)


def test_the_host_says_when_an_invitation_expired() -> None:
    timings = SessionTimings(invitation_lifetime=60)
    room = Room(host=HostRules(HOST, "Alice", CODE, timings=timings))
    room.apply(HOST, room.host.invite(Role.CUSTOMER, room.now))
    room.advance(61)
    (closed,) = room.of(HOST, InvitationClosed)
    assert closed.why is CodeState.EXPIRED


# Withdrawing an invitation (sent to the wrong address, say) -------------------


def test_a_withdrawn_invitation_is_refused_saying_the_rep_withdrew_it() -> None:
    pair = door()
    invited = invite(pair)
    pair.admission.withdraw_invitation(invited.label)
    joiner = JoinerHandshake(invited)
    event = pair.admission.receive(6, joiner.start(), NOW)
    assert isinstance(event, NotAdmitted)
    assert event.reason is NotAdmittingReason.WITHDRAWN
    with pytest.raises(NotAdmittedError, match="the rep withdrew that invitation"):
        joiner.receive(event.payload)
    assert pair.admission.session_failures == 0


def test_an_attempt_under_way_when_the_invitation_is_withdrawn_is_not_admitted() -> None:
    pair = door()
    invited = invite(pair)
    joiner = JoinerHandshake(invited)
    reply = pair.admission.receive(5, joiner.start(), NOW)
    assert isinstance(reply, HandshakeReply)
    pair.admission.withdraw_invitation(invited.label)
    confirm = joiner.receive(reply.payload)
    assert confirm is not None
    event = pair.admission.receive(5, confirm, NOW)
    assert isinstance(event, AttemptFailed)  # not Admitted


def test_withdrawing_leaves_the_read_out_code_and_other_invitations_open() -> None:
    pair = door()
    first, second = invite(pair), invite(pair)
    pair.admission.withdraw_invitation(first.label)
    assert [code for code, _, _ in pair.admission.invitations(NOW)] == [second]
    assert isinstance(pair.join(5, second).host_event, Admitted)
    assert isinstance(pair.join(6, CODE).host_event, Admitted)


def test_only_an_open_invitation_can_be_withdrawn() -> None:
    pair = door()
    invited = invite(pair)
    pair.join(5, invited)
    for label in (invited.label, CODE.label):
        with pytest.raises(LocalProtocolError, match="no open invitation"):
            pair.admission.withdraw_invitation(label)


def test_the_host_lists_open_invitations_soonest_to_expire_first_and_says_one_was_withdrawn() -> (
    None
):
    room = Room()
    first = room.host.invite(Role.CUSTOMER, room.now)
    room.advance(10)
    second = room.host.invite(Role.ASSISTANT, room.now)
    codes = [
        e.code for step in (first, second) for e in step.events if isinstance(e, InvitationIssued)
    ]
    listed = room.host.invitations(room.now)
    assert [(code, role) for code, role, _ in listed] == [
        (codes[0], Role.CUSTOMER),
        (codes[1], Role.ASSISTANT),
    ]
    room.apply(HOST, room.host.withdraw_invitation(codes[0].label, room.now))
    (closed,) = room.of(HOST, InvitationClosed)
    assert (closed.code, closed.why) == (codes[0], CodeState.WITHDRAWN)
    assert [code for code, _, _ in room.host.invitations(room.now)] == [codes[1]]
