"""The customer's consent to each sharing activity, as one state machine.

Theory of operation. Every rep the customer deals with has one
:class:`ConsentMachine` on each side: the customer's peer keeps the one that
decides, the rep's peer a mirror fed by the customer's answers, so the rep's
screen and banner never claim more than the customer allowed.

A rep asks for one activity at a time (:class:`Activity`); the customer
grants or denies it; either side ends it (the customer *revokes*, the rep
*stops*). While one activity is on, the rep may ask for another (view, then
control): the first stays on until the customer answers. A question nobody
answers is a no once its deadline passes (:meth:`ConsentMachine.expire`);
nothing is ever granted by waiting. Once the customer has said no
(:meth:`ConsentMachine.decline`), or stopped what was on (``revoke(now)``),
the same rep may not ask again for ``reask_delay`` seconds: a rep that
re-asks the moment it hears no, or the moment sharing stops, would
otherwise keep a question before the customer for ever.

Which party may cause which event is part of the table: only a rep asks and
stops, only the customer grants, denies and revokes. An event the table does
not list raises: :class:`~codec.ProtocolError` when the other side caused it
(a forged grant, a request out of turn), :class:`~codec.LocalProtocolError`
when our own side did. What each activity allows is
:data:`ACTIVITY_PERMITS`; the customer's peer asks :meth:`permits` before
every capture, every injected event and every clipboard write.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import NoReturn

from codec._errors import LocalProtocolError, ProtocolError

__all__ = [
    "ACTIVITY_PERMITS",
    "DEFAULT_ANSWER_TIMEOUT",
    "DEFAULT_REASK_DELAY",
    "Activity",
    "ConsentEvent",
    "ConsentMachine",
    "ConsentState",
    "Party",
    "Permission",
]

#: Seconds a question waits for the customer before it counts as a no.
DEFAULT_ANSWER_TIMEOUT = 120.0
#: Seconds after the customer declines (or stops sharing) before the same rep may ask again.
DEFAULT_REASK_DELAY = 5.0


class Activity(Enum):
    VIEW_DESKTOP = "view-desktop"
    CONTROL_DESKTOP = "control-desktop"
    VIEW_APP = "view-app"
    CONTROL_APP = "control-app"
    #: The rep shows their own desktop to the customer.
    SHOW_REP_DESKTOP = "show-rep-desktop"

    @property
    def description(self) -> str:
        """How the customer's question names it: "... asks to {description}"."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Activity.VIEW_DESKTOP: "view your desktop",
    Activity.CONTROL_DESKTOP: "control your desktop (mouse, keyboard, clipboard)",
    Activity.VIEW_APP: "view one application",
    Activity.CONTROL_APP: "control one application (mouse, keyboard, clipboard)",
    Activity.SHOW_REP_DESKTOP: "show you their desktop",
}


class Permission(Enum):
    #: The customer's screen (or one window of it) may leave the customer's machine.
    SEND_SCREEN = "send-screen"
    #: The rep's mouse and keyboard events may be injected on the customer's machine.
    INJECT_INPUT = "inject-input"
    #: Clipboard text may travel both ways.
    CLIPBOARD = "clipboard"
    #: The customer's peer may show screen updates coming from the rep.
    RECEIVE_REP_SCREEN = "receive-rep-screen"


ACTIVITY_PERMITS: dict[Activity, frozenset[Permission]] = {
    Activity.VIEW_DESKTOP: frozenset({Permission.SEND_SCREEN}),
    Activity.CONTROL_DESKTOP: frozenset(
        {Permission.SEND_SCREEN, Permission.INJECT_INPUT, Permission.CLIPBOARD}
    ),
    Activity.VIEW_APP: frozenset({Permission.SEND_SCREEN}),
    Activity.CONTROL_APP: frozenset(
        {Permission.SEND_SCREEN, Permission.INJECT_INPUT, Permission.CLIPBOARD}
    ),
    Activity.SHOW_REP_DESKTOP: frozenset({Permission.RECEIVE_REP_SCREEN}),
}


class Party(Enum):
    REP = "rep"
    CUSTOMER = "customer"


class ConsentState(Enum):
    NOTHING_SHARED = "nothing shared"
    #: A question is before the customer; nothing is on yet.
    AWAITING_ANSWER = "awaiting the customer's answer"
    #: One activity is on.
    SHARING = "sharing"
    #: One activity is on and the rep asked for another.
    SHARING_AWAITING_ANSWER = "sharing, awaiting an answer for another activity"


class ConsentEvent(Enum):
    REQUEST = "request"
    GRANT = "grant"
    DENY = "deny"
    REVOKE = "revoke"
    STOP = "stop"


_S = ConsentState
_E = ConsentEvent

#: Who may cause each event.
_CAUSED_BY = {
    _E.REQUEST: Party.REP,
    _E.STOP: Party.REP,
    _E.GRANT: Party.CUSTOMER,
    _E.DENY: Party.CUSTOMER,
    _E.REVOKE: Party.CUSTOMER,
}

#: The whole of the rules: anything not listed here raises.
_TRANSITIONS: dict[tuple[ConsentState, ConsentEvent], ConsentState] = {
    (_S.NOTHING_SHARED, _E.REQUEST): _S.AWAITING_ANSWER,
    (_S.AWAITING_ANSWER, _E.GRANT): _S.SHARING,
    (_S.AWAITING_ANSWER, _E.DENY): _S.NOTHING_SHARED,
    (_S.AWAITING_ANSWER, _E.REVOKE): _S.NOTHING_SHARED,
    (_S.AWAITING_ANSWER, _E.STOP): _S.NOTHING_SHARED,
    (_S.SHARING, _E.REQUEST): _S.SHARING_AWAITING_ANSWER,
    (_S.SHARING, _E.REVOKE): _S.NOTHING_SHARED,
    (_S.SHARING, _E.STOP): _S.NOTHING_SHARED,
    (_S.SHARING_AWAITING_ANSWER, _E.GRANT): _S.SHARING,
    (_S.SHARING_AWAITING_ANSWER, _E.DENY): _S.SHARING,
    (_S.SHARING_AWAITING_ANSWER, _E.REVOKE): _S.NOTHING_SHARED,
    (_S.SHARING_AWAITING_ANSWER, _E.STOP): _S.NOTHING_SHARED,
}


@dataclass(frozen=True, slots=True)
class _Question:
    activity: Activity
    deadline: float


class ConsentMachine:
    """One rep's activities on one customer's machine, seen from *local*'s side."""

    def __init__(
        self,
        local: Party,
        *,
        answer_timeout: float = DEFAULT_ANSWER_TIMEOUT,
        reask_delay: float = DEFAULT_REASK_DELAY,
    ) -> None:
        self.local = local
        self.answer_timeout = answer_timeout
        self.reask_delay = reask_delay
        self._quiet_until = -math.inf
        self._quiet_why = "said no"
        self.state = ConsentState.NOTHING_SHARED
        #: The activity that is on, if any.
        self.active: Activity | None = None
        self._question: _Question | None = None

    @property
    def asked(self) -> Activity | None:
        """The activity awaiting the customer's answer, if any."""
        return self._question.activity if self._question else None

    def permits(self, permission: Permission) -> bool:
        return self.active is not None and permission in ACTIVITY_PERMITS[self.active]

    def next_deadline(self) -> float | None:
        return self._question.deadline if self._question else None

    # Events -----------------------------------------------------------------------

    def quiet_for(self, now: float) -> float:
        """Seconds before this rep may ask again after the customer declined (0: it may)."""
        return max(0.0, self._quiet_until - now)

    def request(self, activity: Activity, now: float) -> None:
        """The rep asks; refused while the customer's last no is fresh (:meth:`decline`)."""
        if (left := self.quiet_for(now)) > 0 and self.local is Party.CUSTOMER:
            raise ProtocolError(
                f"the customer {self._quiet_why} a moment ago; ask again in {math.ceil(left)} s",
                reason="too-soon",
            )
        self._move(ConsentEvent.REQUEST, activity)
        self._question = _Question(activity, now + self.answer_timeout)

    def grant(self, activity: Activity) -> None:
        self._move(ConsentEvent.GRANT, activity)
        self.active, self._question = activity, None

    def deny(self, activity: Activity) -> None:
        """The question is answered no by circumstance (no such window, capture failed)."""
        self._move(ConsentEvent.DENY, activity)
        self._question = None

    def decline(self, activity: Activity, now: float) -> None:
        """The customer said no: a denial, and the rep keeps quiet for ``reask_delay`` s."""
        self.deny(activity)
        self._quiet(now, "said no")

    def revoke(self, now: float | None = None) -> Activity | None:
        """The customer ends everything; returns what was on (or asked).

        With *now* the customer chose to (their stop, not a window that
        closed): like a no, it keeps the rep quiet for ``reask_delay`` s.
        """
        ended = self._end(ConsentEvent.REVOKE)
        if now is not None:
            self._quiet(now, "stopped sharing")
        return ended

    def stop(self) -> Activity | None:
        """The rep ends everything; returns what was on (or asked)."""
        return self._end(ConsentEvent.STOP)

    def expire(self, now: float) -> Activity | None:
        """Deny the question if its deadline has passed; the activity denied."""
        if self._question is None or now < self._question.deadline:
            return None
        activity = self._question.activity
        self._question = None
        self.state = _TRANSITIONS[(self.state, ConsentEvent.DENY)]
        return activity

    def _quiet(self, now: float, why: str) -> None:
        self._quiet_until, self._quiet_why = now + self.reask_delay, why

    def _end(self, event: ConsentEvent) -> Activity | None:
        ended = self.active or self.asked
        self._move(event, None)
        self.active, self._question = None, None
        return ended

    def _move(self, event: ConsentEvent, activity: Activity | None) -> None:
        new = _TRANSITIONS.get((self.state, event))
        if new is None:
            self._refuse(event, f"cannot {event.value} while {self.state.value}")
        elif event in (ConsentEvent.GRANT, ConsentEvent.DENY) and activity is not self.asked:
            asked = self.asked.value if self.asked else "nothing"
            named = activity.value if activity else "nothing"
            self._refuse(event, f"cannot {event.value} {named}: {asked} was asked")
        else:
            self.state = new

    def _refuse(self, event: ConsentEvent, message: str) -> NoReturn:
        if _CAUSED_BY[event] is self.local:
            raise LocalProtocolError(message)
        raise ProtocolError(message, reason="consent")
