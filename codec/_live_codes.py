"""The host's live codes: the one the rep reads out, and one per invitation.

Theory of operation
-------------------
A session has one room id and up to ten live codes, told apart by their
public slot label (the ninth digit, see :mod:`codec._code`). The joiner's
first message names the label, so the host knows which code to run SPAKE2
with before any guess is tested, and what a failure costs lands on that
code alone.

- The **read-out** code is the one the rep reads on the phone. It admits
  one person and rolls on to a fresh secret in the same slot; it rolls on
  too when its failure budget is spent or the rep asks for a fresh one.
- An **invitation** code (``/invite``) is minted into a free slot with its
  own secret, its own failure budget, the role it admits (a customer, or an
  assistant for another rep) and an expiry. It admits one person. Then its
  slot remembers why it closed (used, retired after too many failures,
  expired, withdrawn by the rep), so whoever tries it again is told so, plainly and at no cost,
  until the slot is needed for another invitation. The slot that closed
  longest ago is reused first.

Each code's life is the one table :data:`_MOVES`; anything it does not list
raises. Time is an argument: :meth:`LiveCodes.expire` takes ``now``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import Enum

from codec._code import LABELS, SessionCode
from codec._errors import LocalProtocolError
from codec._messages import Role

__all__ = [
    "DEFAULT_INVITATION_LIFETIME",
    "CodeEvent",
    "CodeState",
    "LiveCode",
    "LiveCodes",
]

#: How long an invitation's code stays open if nobody uses it: a working day and a night.
DEFAULT_INVITATION_LIFETIME = 24 * 3600.0


class CodeState(Enum):
    READ_OUT = "read out"  # the code the rep reads out; it rolls on, it never closes
    INVITED = "invited"  # an invitation's code, waiting for its person
    USED = "used"  # an invitation's code that admitted its person
    RETIRED = "retired"  # an invitation's code whose failure budget is spent
    EXPIRED = "expired"  # an invitation's code nobody used in time
    WITHDRAWN = "withdrawn"  # an invitation's code the rep took back (sent to the wrong person)


class CodeEvent(Enum):
    ADMITTED = "admitted"  # an attempt with the code confirmed
    BUDGET_SPENT = "budget spent"  # its last allowed failure
    TIME_UP = "time up"  # its expiry passed
    REPLACED = "replaced"  # the rep asked for a fresh one (reopen, a code for an assistant)
    TAKEN_BACK = "taken back"  # the rep withdrew an invitation
    ROOM_MOVED = "room moved"  # the session left the room the code names


#: (state, event) -> next state. A READ_OUT code moving to READ_OUT gets a fresh secret.
_MOVES: dict[tuple[CodeState, CodeEvent], CodeState] = {
    (CodeState.READ_OUT, CodeEvent.ADMITTED): CodeState.READ_OUT,
    (CodeState.READ_OUT, CodeEvent.BUDGET_SPENT): CodeState.READ_OUT,
    (CodeState.READ_OUT, CodeEvent.REPLACED): CodeState.READ_OUT,
    (CodeState.INVITED, CodeEvent.ADMITTED): CodeState.USED,
    (CodeState.INVITED, CodeEvent.BUDGET_SPENT): CodeState.RETIRED,
    (CodeState.INVITED, CodeEvent.TIME_UP): CodeState.EXPIRED,
    (CodeState.INVITED, CodeEvent.TAKEN_BACK): CodeState.WITHDRAWN,
    # An invitation names the old room, which a stranger holds: it cannot work.
    (CodeState.INVITED, CodeEvent.ROOM_MOVED): CodeState.RETIRED,
}
_OPEN = frozenset({CodeState.READ_OUT, CodeState.INVITED})


@dataclass(slots=True)
class LiveCode:
    """One slot's code, whom it admits, and what it has cost so far."""

    code: SessionCode
    state: CodeState
    role: Role
    #: When an invitation's code closes unused (None: the read-out code never does).
    expires: float | None = None
    #: Counted failures against this code.
    failures: int = 0
    #: Bumped whenever the code changes or closes: an attempt begun before
    #: then ends without counting, as its guess was at a code no longer here.
    generation: int = 0

    @property
    def is_open(self) -> bool:
        return self.state in _OPEN


class LiveCodes:
    """The session's slots, by label."""

    def __init__(
        self, code: SessionCode, *, invitation_lifetime: float = DEFAULT_INVITATION_LIFETIME
    ) -> None:
        if invitation_lifetime <= 0:
            raise LocalProtocolError("an invitation must stay open for some time")
        self.invitation_lifetime = invitation_lifetime
        self.read_out = LiveCode(code, CodeState.READ_OUT, Role.CUSTOMER)
        self._slots: dict[int, LiveCode] = {code.label: self.read_out}
        # The labels in the order invitations take them: never used first
        # (in a random order, as the read-out label is random), then the
        # longest closed. Every use or close moves a label to the back.
        self._order = [label for label in LABELS if label != code.label]
        secrets.SystemRandom().shuffle(self._order)

    def get(self, label: int) -> LiveCode | None:
        return self._slots.get(label)

    def invitations(self) -> list[LiveCode]:
        """The invitations' codes still open."""
        return [live for live in self._slots.values() if live.state is CodeState.INVITED]

    def move(self, live: LiveCode, event: CodeEvent, role: Role = Role.CUSTOMER) -> None:
        """Apply *event* to *live* by the table; a read-out code rolls on to admit *role*."""
        try:
            state = _MOVES[(live.state, event)]
        except KeyError:
            raise LocalProtocolError(
                f"a code that is {live.state.value} cannot be {event.value}"
            ) from None
        live.state = state
        live.generation += 1
        if state is CodeState.READ_OUT:
            live.code = live.code.replace_secret()
            live.role = role
            live.failures = 0
        else:
            self._to_back(live.code.label)

    def move_room(self, room: str) -> list[LiveCode]:
        """The session moved to *room*: the read-out code names it, with a fresh
        secret; open invitations, which name the old room, close. Returns those."""
        read_out = self.read_out
        read_out.code = SessionCode.fresh_for(room, read_out.code.label)
        read_out.generation += 1
        read_out.failures = 0
        closed = self.invitations()
        for live in closed:
            self.move(live, CodeEvent.ROOM_MOVED)
        return closed

    def invite(self, role: Role, now: float) -> LiveCode:
        """A new invitation's code in the free slot closed longest ago, open until expiry."""
        if role is Role.REP:
            raise LocalProtocolError("an invitation admits a customer or an assistant")
        self.expire(now)
        for label in self._order:
            slot = self._slots.get(label)
            if slot is None or not slot.is_open:
                live = LiveCode(
                    self.read_out.code.sibling(label),
                    CodeState.INVITED,
                    role,
                    expires=now + self.invitation_lifetime,
                )
                self._slots[label] = live
                self._to_back(label)
                return live
        raise LocalProtocolError(
            f"{len(self._order)} invitations are open already, as many as a session can "
            "hold; wait until one is used or expires"
        )

    def withdraw(self, label: int) -> LiveCode:
        """The rep takes back the open invitation in slot *label*: it admits nobody now."""
        live = self._slots.get(label)
        if live is None or live.state is not CodeState.INVITED:
            raise LocalProtocolError(f"no open invitation has the label {label}")
        self.move(live, CodeEvent.TAKEN_BACK)
        return live

    def expire(self, now: float) -> list[LiveCode]:
        """Close every invitation whose time is up; return them."""
        late = [
            live for live in self.invitations() if live.expires is not None and live.expires <= now
        ]
        for live in late:
            self.move(live, CodeEvent.TIME_UP)
        return late

    def next_deadline(self) -> float | None:
        times = [live.expires for live in self.invitations() if live.expires is not None]
        return min(times, default=None)

    def _to_back(self, label: int) -> None:
        self._order.remove(label)
        self._order.append(label)
