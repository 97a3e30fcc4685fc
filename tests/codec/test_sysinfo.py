"""System information: the messages, their limits, and who may see the details when."""

from __future__ import annotations

import pytest

from codec import (
    DEFAULT_POLICY,
    MAX_ITEMS,
    MAX_SECTIONS,
    AskState,
    Feature,
    FeatureDisabledError,
    GateState,
    LimitExceededError,
    LocalProtocolError,
    ProtocolError,
    SysinfoAsk,
    SysinfoAsker,
    SysinfoGate,
    SysinfoItem,
    SysinfoMessage,
    SysinfoRefused,
    SysinfoReport,
    SysinfoRequest,
    SysinfoSection,
    decode_message,
    encode_message,
    neutralise,
    parse_policy,
    render_report,
)
from codec._wire import pack

REP, BOB, CAROL = 1, 2, 3
SECTIONS = (
    SysinfoSection("System", (SysinfoItem("OS", "Linux 6.1"), SysinfoItem("Hostname", "bob-pc"))),
    SysinfoSection("Memory", (SysinfoItem("Total", "16.0 GiB"),)),
)
NO_SYSINFO = parse_policy("[features]\nsystem_information = false\n", "policy.toml")

SYSINFO_MESSAGES: list[SysinfoMessage] = [
    SysinfoRequest(7),
    SysinfoReport(7, SECTIONS),
    SysinfoReport(8, ()),
    SysinfoRefused(7, "the customer refused to send system information"),
]


def state_of(machine: SysinfoGate | SysinfoAsker) -> GateState | AskState:
    """The state now (a call, so the type checker does not carry an earlier assert over)."""
    return machine.state


@pytest.mark.parametrize("message", SYSINFO_MESSAGES)
def test_each_sysinfo_message_survives_the_wire(message: SysinfoMessage) -> None:
    assert decode_message(encode_message(message)) == message


def test_a_report_with_an_escape_sequence_is_refused_on_arrival() -> None:
    raw = pack({"t": "sysinfo-report", "request": 1, "sections": [["OS", [["name", "\x1b[2J"]]]]})
    with pytest.raises(ProtocolError, match="ESCAPE is not allowed"):
        decode_message(raw)


def test_a_report_beyond_its_limits_is_refused() -> None:
    too_many_sections = [["s", []]] * (MAX_SECTIONS + 1)
    with pytest.raises(LimitExceededError, match="sections"):
        decode_message(pack({"t": "sysinfo-report", "request": 1, "sections": too_many_sections}))
    per_section = MAX_ITEMS // 2 + 1
    too_many_items = [["a", [["k", "v"]] * per_section], ["b", [["k", "v"]] * per_section]]
    with pytest.raises(LimitExceededError, match="items"):
        decode_message(pack({"t": "sysinfo-report", "request": 1, "sections": too_many_items}))
    long_value = [["a", [["k", "v" * 401]]]]
    with pytest.raises(LimitExceededError, match="value"):
        decode_message(pack({"t": "sysinfo-report", "request": 1, "sections": long_value}))


def test_neutralise_shows_control_characters_instead_of_obeying_them() -> None:
    assert neutralise("bob\x1b[2J\u202epc", 100) == "bob\\x1b[2J\\u202epc"
    assert neutralise("x" * 50, 10) == "x" * 9 + "…"
    assert render_report(SECTIONS) == [
        "System:",
        "  OS: Linux 6.1",
        "  Hostname: bob-pc",
        "Memory:",
        "  Total: 16.0 GiB",
    ]


# The customer's gate --------------------------------------------------------------


def test_the_report_leaves_only_after_the_customer_allows_that_request() -> None:
    gate = SysinfoGate(DEFAULT_POLICY)
    assert gate.receive(REP, SysinfoRequest(4), controlling_rep=REP, now=0.0) == SysinfoAsk(REP, 4)
    assert gate.state is GateState.ASKING_CUSTOMER
    assert gate.allow(SECTIONS) == (REP, SysinfoReport(4, SECTIONS))
    assert state_of(gate) is GateState.NOTHING_ASKED


def test_nothing_can_be_allowed_when_nothing_was_asked() -> None:
    gate = SysinfoGate(DEFAULT_POLICY)
    with pytest.raises(LocalProtocolError):
        gate.allow(SECTIONS)
    gate.receive(REP, SysinfoRequest(1), controlling_rep=REP, now=0.0)
    gate.refuse()
    with pytest.raises(LocalProtocolError):
        gate.allow(SECTIONS)


def test_the_customer_may_refuse() -> None:
    gate = SysinfoGate(DEFAULT_POLICY)
    gate.receive(REP, SysinfoRequest(1), controlling_rep=REP, now=0.0)
    to, refused = gate.refuse()
    assert (to, refused.request) == (REP, 1)
    assert refused.reason == "the customer refused to send system information"


def test_a_request_from_anyone_but_the_controlling_rep_is_refused_without_asking() -> None:
    gate = SysinfoGate(DEFAULT_POLICY)
    answer = gate.receive(CAROL, SysinfoRequest(1), controlling_rep=REP, now=0.0)
    assert answer == SysinfoRefused(1, "only the controlling rep may ask for system information")
    assert gate.state is GateState.NOTHING_ASKED


def test_the_customers_own_policy_refuses_without_asking() -> None:
    gate = SysinfoGate(NO_SYSINFO)
    answer = gate.receive(REP, SysinfoRequest(1), controlling_rep=REP, now=0.0)
    assert isinstance(answer, SysinfoRefused)
    assert answer.reason == (
        "system information is turned off by the policy on the customer's computer; "
        "the customer was not asked"
    )
    assert gate.state is GateState.NOTHING_ASKED


def test_asking_again_replaces_the_question_and_the_answer_goes_to_the_newest() -> None:
    gate = SysinfoGate(DEFAULT_POLICY)
    gate.receive(REP, SysinfoRequest(1), controlling_rep=REP, now=0.0)
    gate.receive(REP, SysinfoRequest(2), controlling_rep=REP, now=0.0)
    assert gate.allow(SECTIONS)[1].request == 2


def test_a_rep_that_leaves_takes_its_question_with_it() -> None:
    gate = SysinfoGate(DEFAULT_POLICY)
    gate.receive(REP, SysinfoRequest(1), controlling_rep=REP, now=0.0)
    assert not gate.withdraw(CAROL)
    assert gate.withdraw(REP)
    with pytest.raises(LocalProtocolError):
        gate.allow(SECTIONS)


# The rep's asker ------------------------------------------------------------------


def test_the_rep_accepts_the_answer_to_its_newest_question_only() -> None:
    asker = SysinfoAsker(DEFAULT_POLICY)
    first = asker.request(BOB)
    second = asker.request(BOB)
    assert asker.state is AskState.WAITING
    with pytest.raises(ProtocolError, match="older"):
        asker.receive(BOB, SysinfoReport(first.request, SECTIONS))
    assert asker.receive(BOB, SysinfoReport(second.request, SECTIONS)).request == second.request
    assert state_of(asker) is AskState.IDLE


def test_an_unsolicited_report_is_refused() -> None:
    asker = SysinfoAsker(DEFAULT_POLICY)
    with pytest.raises(ProtocolError, match="nobody asked for"):
        asker.receive(BOB, SysinfoReport(1, SECTIONS))


def test_a_report_from_someone_not_asked_is_refused() -> None:
    asker = SysinfoAsker(DEFAULT_POLICY)
    request = asker.request(BOB)
    with pytest.raises(ProtocolError, match="not asked"):
        asker.receive(CAROL, SysinfoReport(request.request, SECTIONS))


def test_a_request_sent_to_a_rep_is_refused() -> None:
    with pytest.raises(ProtocolError, match="sent to a rep"):
        SysinfoAsker(DEFAULT_POLICY).receive(BOB, SysinfoRequest(1))


def test_the_reps_policy_refuses_before_anything_is_sent() -> None:
    asker = SysinfoAsker(NO_SYSINFO)
    with pytest.raises(FeatureDisabledError, match="system information is turned off") as caught:
        asker.request(BOB)
    assert caught.value.feature is Feature.SYSTEM_INFORMATION
    assert asker.state is AskState.IDLE


def test_a_customer_who_leaves_is_no_longer_waited_for() -> None:
    asker = SysinfoAsker(DEFAULT_POLICY)
    request = asker.request(BOB)
    assert asker.cancel(BOB)
    with pytest.raises(ProtocolError):
        asker.receive(BOB, SysinfoReport(request.request, SECTIONS))


def test_after_the_customer_says_no_the_same_rep_is_refused_without_asking_for_a_few_seconds() -> (
    None
):
    gate = SysinfoGate(DEFAULT_POLICY, reask_delay=5.0)
    gate.receive(REP, SysinfoRequest(1), controlling_rep=REP, now=0.0)
    assert gate.decline(now=1.0) == (
        REP,
        SysinfoRefused(1, "the customer refused to send system information"),
    )
    again = gate.receive(REP, SysinfoRequest(2), controlling_rep=REP, now=2.5)
    assert again == SysinfoRefused(2, "the customer said no a moment ago; ask again in 4 s")
    assert gate.state is GateState.NOTHING_ASKED
    assert gate.receive(REP, SysinfoRequest(3), controlling_rep=REP, now=6.0) == SysinfoAsk(REP, 3)


def test_a_failure_to_gather_does_not_make_the_rep_wait() -> None:
    gate = SysinfoGate(DEFAULT_POLICY, reask_delay=5.0)
    gate.receive(REP, SysinfoRequest(1), controlling_rep=REP, now=0.0)
    gate.refuse("the customer's machine could not gather its system information")
    assert gate.receive(REP, SysinfoRequest(2), controlling_rep=REP, now=0.5) == SysinfoAsk(REP, 2)
