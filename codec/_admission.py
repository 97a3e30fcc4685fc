"""The host's door: who is mid-handshake, who got in, and when the code changes.

Theory of operation
-------------------
Every joiner's attempt is one :class:`~codec._handshake.HostHandshake`. The
host's SPAKE2 reply carries its key confirmation, so whoever receives it can
test one guessed code offline. The reply is therefore what costs: **each
reply spends one unit of the failure budget before it is sent**, and only a
valid confirmation from the joiner gives the unit back. Any other end of an
answered attempt (a wrong code, an abort, a joiner that left or timed out)
leaves the unit spent: it is a counted failure.

The session has several live codes at once (:mod:`codec._live_codes`): the
one the rep reads out and one per invitation, told apart by the public slot
label the joiner's first message names. An attempt runs against the code in
that slot and costs that code alone; a label with no open code is turned
away (:data:`PayloadKind.NOT_ADMITTING`, saying whether the code was used,
retired or expired) before any reply, so it costs nothing.

Two budgets apply at once. A code may cost at most ``max_failures`` (3);
when they are spent the code is retired (the read-out code rolls on to a
fresh secret; an invitation's closes for good). The session
may cost at most ``max_session_failures`` (10) across all its codes; when
they are spent joining pauses (:attr:`DoorState.PAUSED`) until the rep
reopens it (:meth:`Admission.reopen`), so nobody can guess forever, and an
outsider who knows the room id cannot churn codes unnoticed. Attempts in
flight hold their units: no more attempts are answered at once than both
budgets have left, so however many attempts a hostile relay opens, it gets
at most ``max_failures`` replies per code. Attempts beyond that get a
:data:`PayloadKind.NOT_ADMITTING` answer, which reveals nothing.

A code admits one person. The moment an attempt confirms, the code is used
up: the read-out code rolls on (:attr:`Admitted.next_code`), an invitation's
closes. Knowing a used code gives no power over the next joiner. Attempts
still in flight against an older code then fail without counting, as their
guesses are worth nothing.

Time is an argument: :meth:`Admission.expire` takes ``now`` and
:meth:`Admission.next_deadline` says when to call it next.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from codec._errors import LocalProtocolError, ProtocolError
from codec._handshake import HostHandshake, pake_label
from codec._live_codes import (
    DEFAULT_INVITATION_LIFETIME,
    CodeEvent,
    CodeState,
    LiveCode,
    LiveCodes,
)
from codec._messages import Role
from codec._payload import PayloadKind, payload_kind

if TYPE_CHECKING:
    from codec._code import SessionCode
    from codec._keys import ChannelKeys

__all__ = [
    "DEFAULT_HANDSHAKE_TIMEOUT",
    "DEFAULT_MAX_FAILURES",
    "DEFAULT_MAX_SESSION_FAILURES",
    "Admission",
    "Admitted",
    "AttemptFailed",
    "DoorState",
    "HandshakeReply",
    "NotAdmitted",
    "NotAdmittingReason",
]

DEFAULT_MAX_FAILURES = 3
DEFAULT_MAX_SESSION_FAILURES = 10
DEFAULT_HANDSHAKE_TIMEOUT = 30.0


class DoorState(Enum):
    OPEN = "open"  # answering join attempts with the current code
    PAUSED = "paused"  # the session's failure budget is spent; only the rep can reopen


class NotAdmittingReason(Enum):
    BUSY = 1  # every unit of the budget is held by attempts in flight; try again soon
    PAUSED = 2  # joining is paused until the rep reopens it
    FULL = 3  # the session has as many customers as the site policy allows
    NO_SUCH_CODE = 4  # no code was ever open under the label the joiner named (mistyped)
    USED = 5  # the invitation's code under that label admitted its person already
    EXPIRED = 6  # the invitation's code under that label was not used in time
    RETIRED = 7  # the invitation's code under that label had too many failed attempts
    WITHDRAWN = 8  # the rep withdrew the invitation under that label


#: Why a slot that is not open turns an attempt away.
_CLOSED_REASONS = {
    CodeState.USED: NotAdmittingReason.USED,
    CodeState.EXPIRED: NotAdmittingReason.EXPIRED,
    CodeState.RETIRED: NotAdmittingReason.RETIRED,
    CodeState.WITHDRAWN: NotAdmittingReason.WITHDRAWN,
}


@dataclass(frozen=True, slots=True)
class HandshakeReply:
    """Send *payload* to endpoint *to*. One unit of the budget is already spent on it."""

    to: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class NotAdmitted:
    """Send *payload* to *to*: its attempt got no reply (no guess), and did not count."""

    to: int
    payload: bytes
    reason: NotAdmittingReason


@dataclass(frozen=True, slots=True)
class Admitted:
    """Endpoint *id* proved it holds the code; open a channel with *keys*.

    The code is used up. *next_code* is the read-out code to give the next
    person when the read-out code was used; None when an invitation's was.
    """

    id: int
    keys: ChannelKeys
    next_code: SessionCode | None
    #: Whom the used code was for: a customer, or an assistant the rep asked for.
    role: Role = Role.CUSTOMER


@dataclass(frozen=True, slots=True)
class AttemptFailed:
    """Endpoint *id* failed.

    *failures* counts the failures against the code it tried (0 when this
    one did not count). *new_code* is set when this failure retired the
    read-out code, *withdrawn* when it retired an invitation's; *paused*
    when it spent the session's budget, so joining waits for the rep.
    """

    id: int
    reason: str
    failures: int
    new_code: SessionCode | None
    paused: bool = False
    withdrawn: SessionCode | None = None


AdmissionEvent = HandshakeReply | NotAdmitted | Admitted | AttemptFailed


def not_admitting_payload(reason: NotAdmittingReason) -> bytes:
    return bytes([PayloadKind.NOT_ADMITTING, reason.value])


class Admission:
    def __init__(
        self,
        code: SessionCode,
        *,
        max_failures: int = DEFAULT_MAX_FAILURES,
        max_session_failures: int = DEFAULT_MAX_SESSION_FAILURES,
        handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
        invitation_lifetime: float = DEFAULT_INVITATION_LIFETIME,
    ) -> None:
        if not 0 < max_failures <= max_session_failures:
            raise LocalProtocolError("budgets: 0 < max_failures <= max_session_failures")
        self.codes = LiveCodes(code, invitation_lifetime=invitation_lifetime)
        self.state = DoorState.OPEN
        self.max_failures = max_failures
        self.max_session_failures = max_session_failures
        self.handshake_timeout = handshake_timeout
        #: Counted failures across the session since it opened.
        self.session_failures = 0
        # Each attempt answered: its handshake, the code it runs against, and
        # that code's generation then (see LiveCode.generation).
        self._pending: dict[int, tuple[HostHandshake, LiveCode, int]] = {}

    @property
    def code(self) -> SessionCode:
        """The read-out code: the one the rep gives the next person."""
        return self.codes.read_out.code

    @property
    def code_role(self) -> Role:
        """Whom the read-out code admits."""
        return self.codes.read_out.role

    @property
    def failures(self) -> int:
        """Counted failures against the read-out code."""
        return self.codes.read_out.failures

    def in_flight(self, live: LiveCode | None = None) -> int:
        """Answered attempts that have not ended yet, against *live*'s current code or any."""
        return sum(
            1
            for _, against, gen in self._pending.values()
            if gen == against.generation and live in (None, against)
        )

    def may_answer(self, live: LiveCode | None = None) -> bool:
        """Whether one more reply fits in both budgets, counting attempts in flight."""
        live = live or self.codes.read_out
        return (
            self.state is DoorState.OPEN
            and live.failures + self.in_flight(live) < self.max_failures
            and self.session_failures + self.in_flight() < self.max_session_failures
        )

    def role_for(self, payload: bytes) -> Role | None:
        """Whom the open code a first payload names admits (None: no such code)."""
        try:
            live = self.codes.get(pake_label(payload))
        except ProtocolError:
            return None
        return live.role if live is not None and live.is_open else None

    def receive(self, sender: int, payload: bytes, now: float) -> AdmissionEvent:
        """Feed a handshake payload from *sender*; say what to do about it."""
        if sender in self._pending:
            return self._continue(sender, payload)
        try:
            kind = payload_kind(payload)
        except ProtocolError as e:
            return AttemptFailed(sender, str(e), 0, None)
        if kind is not PayloadKind.PAKE:
            # A stray CONFIRM or ABORT (perhaps for an attempt already ended)
            # got no reply, so no guess at the code: it does not count.
            return AttemptFailed(sender, f"unexpected {kind.name} to start an attempt", 0, None)
        try:
            label = pake_label(payload)
        except ProtocolError as e:
            return AttemptFailed(sender, str(e), 0, None)
        self.codes.expire(now)
        live = self.codes.get(label)
        if live is None or not live.is_open:
            # The label is public: turning this away tests no guess, so it costs nothing.
            closed = NotAdmittingReason.NO_SUCH_CODE
            if live is not None:
                closed = _CLOSED_REASONS[live.state]
            return NotAdmitted(sender, not_admitting_payload(closed), closed)
        if not self.may_answer(live):
            reason = (
                NotAdmittingReason.PAUSED
                if self.state is DoorState.PAUSED
                else NotAdmittingReason.BUSY
            )
            return NotAdmitted(sender, not_admitting_payload(reason), reason)
        handshake = HostHandshake(live.code.password, now + self.handshake_timeout)
        try:
            reply = handshake.receive(payload)
        except ProtocolError as e:
            return AttemptFailed(sender, str(e), 0, None)  # refused before any reply
        assert reply is not None
        self._pending[sender] = (handshake, live, live.generation)
        return HandshakeReply(sender, reply)

    def _continue(self, sender: int, payload: bytes) -> AdmissionEvent:
        handshake, live, generation = self._pending[sender]
        try:
            reply = handshake.receive(payload)
        except ProtocolError as e:
            return self._fail(sender, str(e))
        if reply is not None:  # pragma: no cover - the host replies only to a PAKE
            raise LocalProtocolError("a second reply in one attempt")
        if generation != live.generation:
            return self._fail(sender, "the code was used or replaced during the attempt")
        del self._pending[sender]
        keys, role = handshake.keys, live.role
        self.codes.move(live, CodeEvent.ADMITTED)
        next_code = live.code if live is self.codes.read_out else None
        return Admitted(sender, keys, next_code, role)

    def is_pending(self, endpoint: int) -> bool:
        """Whether *endpoint* has an attempt under way (its next payload continues it)."""
        return endpoint in self._pending

    def member_left(self, endpoint: int) -> AttemptFailed | None:
        """An endpoint left; if it was mid-handshake (answered), that attempt failed."""
        if endpoint not in self._pending:
            return None
        return self._fail(endpoint, "left during the handshake")

    def expire(self, now: float) -> list[AttemptFailed]:
        late = [eid for eid, (hs, _, _) in self._pending.items() if hs.deadline <= now]
        return [self._fail(eid, "did not finish the handshake in time") for eid in late]

    def withdraw_invitation(self, label: int) -> SessionCode:
        """The rep takes an invitation back; an attempt with it under way ends uncounted."""
        return self.codes.withdraw(label).code

    def invitations(self, now: float) -> list[tuple[SessionCode, Role, float]]:
        """The invitations still open: code, whom it admits, expiry; the soonest to expire first."""
        self.codes.expire(now)
        open_ = [(live.code, live.role, live.expires or now) for live in self.codes.invitations()]
        return sorted(open_, key=lambda entry: entry[2])

    def expire_invitations(self, now: float) -> list[SessionCode]:
        """Close the invitations nobody used in time; return their codes."""
        return [live.code for live in self.codes.expire(now)]

    def close_for_hand_over(self) -> list[int]:
        """Control moves to another rep (SPEC M5): end every attempt, return their ids.

        Each answered attempt counts as a failure, whatever generation it
        was against: its reply may have been a guess, and the session's
        spent budget travels to the new door (:meth:`carry_over`), so a
        hand-over never buys an attacker more tries.
        """
        ids = list(self._pending)
        self.session_failures += len(ids)
        self._pending.clear()
        return ids

    def carry_over(self, session_failures: int) -> None:
        """Start from the session budget the previous door had spent (SPEC M5)."""
        self.session_failures = session_failures
        if session_failures >= self.max_session_failures:
            self.state = DoorState.PAUSED

    def next_deadline(self) -> float | None:
        times = [hs.deadline for hs, _, _ in self._pending.values()]
        if (expiry := self.codes.next_deadline()) is not None:
            times.append(expiry)
        return min(times, default=None)

    def reopen(self) -> SessionCode:
        """The rep reopens joining: a fresh read-out code and a fresh session budget."""
        self.state = DoorState.OPEN
        self.session_failures = 0
        self.codes.move(self.codes.read_out, CodeEvent.REPLACED)
        return self.code

    def issue(self, role: Role) -> SessionCode:
        """A fresh read-out code that admits one *role* (the next after it is a customer's)."""
        self.codes.move(self.codes.read_out, CodeEvent.REPLACED, role)
        return self.code

    def move_room(self, room: str) -> tuple[SessionCode, list[SessionCode]]:
        """The session moved to *room*: the new read-out code, and the invitations closed.

        An attempt under way was a guess at the old room's code: it ends uncounted.
        """
        closed = self.codes.move_room(room)
        return self.code, [live.code for live in closed]

    def invite(self, role: Role, now: float) -> tuple[SessionCode, float]:
        """A code of its own for an invitation that admits one *role*; and its expiry."""
        live = self.codes.invite(role, now)
        assert live.expires is not None
        return live.code, live.expires

    def _fail(self, endpoint: int, reason: str) -> AttemptFailed:
        _, live, generation = self._pending.pop(endpoint)
        if generation != live.generation:
            return AttemptFailed(endpoint, reason, 0, None)
        live.failures += 1
        self.session_failures += 1
        failures = live.failures
        withdrawn = None
        if live.state is CodeState.INVITED and failures >= self.max_failures:
            self.codes.move(live, CodeEvent.BUDGET_SPENT)
            withdrawn = live.code
        if self.session_failures >= self.max_session_failures:
            self.state = DoorState.PAUSED
            # Nobody holds the new read-out code until the rep reopens.
            self.codes.move(self.codes.read_out, CodeEvent.REPLACED)
            return AttemptFailed(endpoint, reason, failures, None, True, withdrawn)
        if live is self.codes.read_out and failures >= self.max_failures:
            self.codes.move(live, CodeEvent.BUDGET_SPENT)
            return AttemptFailed(endpoint, reason, failures, self.code)
        return AttemptFailed(endpoint, reason, failures, None, withdrawn=withdrawn)
