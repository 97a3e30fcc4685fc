"""Who may see the customer's system details, and when (SPEC I1).

Theory of operation. The customer's peer keeps a :class:`SysinfoGate`; the
rep's peer keeps a :class:`SysinfoAsker`. The rep asks (a
:class:`~codec.SysinfoRequest`); the customer's gate decides whether to put
the question to the customer at all (only the controlling rep may ask, and
only when the customer's own site policy allows system information), and
the report leaves the customer's machine only from :meth:`SysinfoGate.allow`,
which the customer's face calls when the customer typed yes to that very
request. Nothing a rep sends can produce a report by itself.

A rep that asks again before the answer replaces its question: both sides
then wait for the newest request only, and an answer to an older one is
refused as stale. Once the customer has said no (:meth:`SysinfoGate.decline`)
the same rep's next request within ``reask_delay`` seconds is refused
without asking, and the refusal tells the rep when it may ask again.

Events the tables do not list raise:
:class:`~codec.ProtocolError` when the other side caused them (an
unsolicited report, a request sent to a rep), :class:`~codec.LocalProtocolError`
when our own side did (allowing when nothing was asked).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, NoReturn

from codec._consent import DEFAULT_REASK_DELAY
from codec._errors import LocalProtocolError, ProtocolError
from codec._policy import Feature
from codec._sysinfo_messages import (
    SysinfoRefused,
    SysinfoReport,
    SysinfoRequest,
    SysinfoSection,
)

if TYPE_CHECKING:
    from codec._policy import Policy

__all__ = [
    "ONLY_THE_REP_ASKS",
    "AskState",
    "GateState",
    "SysinfoAsk",
    "SysinfoAsker",
    "SysinfoGate",
]

ONLY_THE_REP_ASKS = "only the controlling rep may ask for system information"
REFUSED_BY_CUSTOMER = "the customer refused to send system information"


class GateState(Enum):
    NOTHING_ASKED = "nothing asked"
    ASKING_CUSTOMER = "the question is before the customer"


class GateEvent(Enum):
    REQUEST = "request"  # the controlling rep asked (again)
    ALLOW = "allow"  # the customer typed yes
    REFUSE = "refuse"  # the customer typed no
    WITHDRAW = "withdraw"  # the rep left or lost control


_GATE_TABLE: dict[tuple[GateState, GateEvent], GateState] = {
    (GateState.NOTHING_ASKED, GateEvent.REQUEST): GateState.ASKING_CUSTOMER,
    (GateState.ASKING_CUSTOMER, GateEvent.REQUEST): GateState.ASKING_CUSTOMER,
    (GateState.ASKING_CUSTOMER, GateEvent.ALLOW): GateState.NOTHING_ASKED,
    (GateState.ASKING_CUSTOMER, GateEvent.REFUSE): GateState.NOTHING_ASKED,
    (GateState.ASKING_CUSTOMER, GateEvent.WITHDRAW): GateState.NOTHING_ASKED,
    (GateState.NOTHING_ASKED, GateEvent.WITHDRAW): GateState.NOTHING_ASKED,
}


@dataclass(frozen=True, slots=True)
class SysinfoAsk:
    """Put the question to the customer: *rep* asked, as request *request*."""

    rep: int
    request: int


class SysinfoGate:
    """The customer's side: the only way a report leaves the machine."""

    def __init__(self, policy: Policy, *, reask_delay: float = DEFAULT_REASK_DELAY) -> None:
        self.policy = policy
        self.reask_delay = reask_delay
        self.state = GateState.NOTHING_ASKED
        self._pending: SysinfoAsk | None = None
        #: The rep whose question the customer last said no to, and until when it waits.
        self._quiet: tuple[int, float] | None = None

    def _move(self, event: GateEvent) -> None:
        after = _GATE_TABLE.get((self.state, event))
        if after is None:
            raise LocalProtocolError(
                f"system information: cannot {event.value} when {self.state.value}"
            )
        self.state = after

    def receive(
        self, sender: int, message: SysinfoRequest, *, controlling_rep: int, now: float
    ) -> SysinfoAsk | SysinfoRefused:
        """A request arrived: ask the customer, or the refusal to send back at once."""
        if sender != controlling_rep:
            return SysinfoRefused(message.request, ONLY_THE_REP_ASKS)
        if self._quiet is not None and self._quiet[0] == sender and now < self._quiet[1]:
            wait = math.ceil(self._quiet[1] - now)
            return SysinfoRefused(
                message.request, f"the customer said no a moment ago; ask again in {wait} s"
            )
        if not self.policy.allows(Feature.SYSTEM_INFORMATION):
            refusal = self.policy.refusal_for_rep(Feature.SYSTEM_INFORMATION)
            return SysinfoRefused(message.request, refusal)
        self._move(GateEvent.REQUEST)
        self._pending = SysinfoAsk(sender, message.request)
        return self._pending

    @property
    def pending(self) -> SysinfoAsk | None:
        return self._pending

    def allow(self, sections: tuple[SysinfoSection, ...]) -> tuple[int, SysinfoReport]:
        """The customer said yes to the pending request: the report and whom it goes to."""
        ask = self._take(GateEvent.ALLOW)
        return ask.rep, SysinfoReport(ask.request, sections)

    def refuse(self, reason: str = REFUSED_BY_CUSTOMER) -> tuple[int, SysinfoRefused]:
        """The pending request cannot be answered (*reason*); whom to tell, and the refusal."""
        ask = self._take(GateEvent.REFUSE)
        return ask.rep, SysinfoRefused(ask.request, reason)

    def decline(self, now: float) -> tuple[int, SysinfoRefused]:
        """The customer said no: refused, and that rep waits ``reask_delay`` s to ask again."""
        to, refused = self.refuse()
        self._quiet = (to, now + self.reask_delay)
        return to, refused

    def withdraw(self, rep: int) -> bool:
        """*rep* left or lost control: forget its question. True if one was pending."""
        if self._pending is None or self._pending.rep != rep:
            return False
        self._take(GateEvent.WITHDRAW)
        return True

    def _take(self, event: GateEvent) -> SysinfoAsk:
        self._move(event)
        ask, self._pending = self._pending, None
        assert ask is not None  # the table only leaves ASKING_CUSTOMER with one pending
        return ask


class AskState(Enum):
    IDLE = "no question out"
    WAITING = "waiting for the customer's answer"


class AskEvent(Enum):
    REQUEST = "request"
    ANSWER = "answer"  # a report or a refusal for the newest request
    CANCEL = "cancel"  # the customer left


_ASK_TABLE: dict[tuple[AskState, AskEvent], AskState] = {
    (AskState.IDLE, AskEvent.REQUEST): AskState.WAITING,
    (AskState.WAITING, AskEvent.REQUEST): AskState.WAITING,
    (AskState.WAITING, AskEvent.ANSWER): AskState.IDLE,
    (AskState.WAITING, AskEvent.CANCEL): AskState.IDLE,
    (AskState.IDLE, AskEvent.CANCEL): AskState.IDLE,
}


class SysinfoAsker:
    """The rep's side: asks one customer at a time and accepts only the answer it asked for."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.state = AskState.IDLE
        self.customer: int | None = None
        self._request = 0

    def request(self, customer: int) -> SysinfoRequest:
        """The request to send to *customer*; FeatureDisabledError when the policy says no."""
        self.policy.check(Feature.SYSTEM_INFORMATION)
        self.state = _ASK_TABLE[(self.state, AskEvent.REQUEST)]
        self._request += 1
        self.customer = customer
        return SysinfoRequest(self._request)

    def receive(
        self, sender: int, message: SysinfoReport | SysinfoRefused | SysinfoRequest
    ) -> SysinfoReport | SysinfoRefused:
        """An answer arrived; it is returned only if it answers our newest question."""
        if isinstance(message, SysinfoRequest):
            _refuse("a system information request sent to a rep")
        after = _ASK_TABLE.get((self.state, AskEvent.ANSWER))
        if after is None:
            _refuse("system information nobody asked for")
        if sender != self.customer:
            _refuse("system information from someone who was not asked")
        if message.request != self._request:
            _refuse("an answer to an older system information request")
        self.state = after
        self.customer = None
        return message

    def cancel(self, customer: int) -> bool:
        """*customer* left: stop waiting for it. True if we were."""
        if self.customer != customer:
            return False
        self.state = _ASK_TABLE[(self.state, AskEvent.CANCEL)]
        self.customer = None
        return True


def _refuse(why: str) -> NoReturn:
    raise ProtocolError(why, reason="unexpected")
