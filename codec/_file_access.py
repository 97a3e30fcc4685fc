"""The customer's file consent: who may send, fetch or list what, and when.

Consent lives on the customer's machine. For each rep, :class:`FileGate`
tracks the access the customer granted once (F2) in :class:`AccessState`,
the transfers the customer allowed one by one, and the requests the
customer made itself (``/get``, F1, needs no further question). Whatever
the rep's peer sends, the customer's peer asks this gate first; the gate
answers with a refusal reason or lets it through. While any rep views or
controls one of the customer's applications no transfer starts (F3): the
gate asks an :class:`ApplicationSharing` (the screen-sharing activity
state) before every admission.

Once the customer has said no to a rep's request for access
(:meth:`FileGate.decline`), or taken access back, that rep may not ask
again for ``reask_delay`` seconds, as with screen sharing and system
information: a rep that re-asks the moment it hears no would otherwise
keep a question before the customer for ever.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from codec._consent import DEFAULT_REASK_DELAY, Activity
from codec._errors import LocalProtocolError, ProtocolError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from codec._consent import ConsentMachine
    from codec._file_messages import FileOffer

__all__ = [
    "ACCESS_TRANSITIONS",
    "APPLICATION_ACTIVITIES",
    "APPLICATION_SHARING_REFUSAL",
    "AccessState",
    "ApplicationSharing",
    "ConsentSharing",
    "FileGate",
    "NoApplicationSharing",
]

APPLICATION_SHARING_REFUSAL = (
    "stop application sharing first: no file transfer while a rep views or controls an application"
)
NO_ACCESS_REFUSAL = "the customer has not granted file access; ask with /file-access"


class ApplicationSharing(Protocol):
    """The part of the activity state file transfer needs (SPEC F3)."""

    def application_shared(self) -> bool:
        """True while any rep views or controls one of this customer's applications."""
        ...


class NoApplicationSharing:
    """For a peer that cannot share applications at all."""

    def application_shared(self) -> bool:
        return False


#: The activities that share one of the customer's applications (F3).
APPLICATION_ACTIVITIES = frozenset({Activity.VIEW_APP, Activity.CONTROL_APP})


class ConsentSharing:
    """F3 read from screen sharing's consent machines, one per rep on the customer's side."""

    def __init__(self, machines: Callable[[], Iterable[ConsentMachine]]) -> None:
        self._machines = machines

    def application_shared(self) -> bool:
        return any(m.active in APPLICATION_ACTIVITIES for m in self._machines())


class AccessState(Enum):
    NOT_GRANTED = "not granted"
    ASKING_CUSTOMER = "asking the customer"
    GRANTED = "granted"


#: (state, what happened) → new state; anything else is refused.
ACCESS_TRANSITIONS: dict[AccessState, dict[str, AccessState]] = {
    AccessState.NOT_GRANTED: {
        "ask": AccessState.ASKING_CUSTOMER,
        "revoke": AccessState.NOT_GRANTED,
        "end": AccessState.NOT_GRANTED,
    },
    AccessState.ASKING_CUSTOMER: {
        "grant": AccessState.GRANTED,
        "refuse": AccessState.NOT_GRANTED,
        "revoke": AccessState.NOT_GRANTED,
        "end": AccessState.NOT_GRANTED,
    },
    AccessState.GRANTED: {
        "revoke": AccessState.NOT_GRANTED,
        "end": AccessState.NOT_GRANTED,
    },
}


@dataclass(slots=True)
class _Expected:
    """What a request of the customer's own lets in without another question."""

    count: int
    size: int


class FileGate:
    def __init__(
        self, sharing: ApplicationSharing | None = None, *, reask_delay: float = DEFAULT_REASK_DELAY
    ) -> None:
        self.sharing: ApplicationSharing = sharing or NoApplicationSharing()
        self.reask_delay = reask_delay
        self._access: dict[int, AccessState] = {}
        self._quiet_until: dict[int, float] = {}  # rep → when it may ask for access again
        self._allowed: set[tuple[int, int]] = set()  # (rep, tid) the customer said yes to
        self._expected: dict[tuple[int, int], _Expected] = {}  # (rep, request) of ours
        self._fetches: set[tuple[int, int]] = set()  # (rep, request) the customer allowed

    def access(self, rep: int) -> AccessState:
        return self._access.get(rep, AccessState.NOT_GRANTED)

    def _move(self, rep: int, event: str, *, remote: bool) -> AccessState:
        new = ACCESS_TRANSITIONS[self.access(rep)].get(event)
        if new is None:
            what = f"file access {event} while {self.access(rep).value}"
            if remote:
                raise ProtocolError(f"unexpected {what}", reason="consent")
            raise LocalProtocolError(f"cannot {what}")
        self._access[rep] = new
        if new is not AccessState.GRANTED:
            self._forget(rep, keep_own_requests=event != "end")
        return new

    # Access, granted once (F2) ------------------------------------------------------

    def quiet_for(self, rep: int, now: float) -> float:
        """Seconds before *rep* may ask for access again (0: it may)."""
        return max(0.0, self._quiet_until.get(rep, -math.inf) - now)

    def asked(self, rep: int, now: float) -> bool:
        """The rep asks for access; True when the customer must now be asked.

        Raises ProtocolError (reason ``too-soon``) while the customer's last
        no to this rep is fresh (:meth:`decline`).
        """
        if self.access(rep) is not AccessState.NOT_GRANTED:
            return False  # asked already, or granted: nothing new to decide
        if (left := self.quiet_for(rep, now)) > 0:
            raise ProtocolError(
                f"the customer said no a moment ago; ask again in {math.ceil(left)} s",
                reason="too-soon",
            )
        self._move(rep, "ask", remote=True)
        return True

    def grant(self, rep: int) -> None:
        self._move(rep, "grant", remote=False)

    def refuse(self, rep: int) -> None:
        """The request cannot be granted (this machine's policy): no question was put."""
        self._move(rep, "refuse", remote=False)

    def decline(self, rep: int, now: float) -> None:
        """The customer said no: refused, and *rep* waits ``reask_delay`` s to ask again."""
        self._move(rep, "refuse", remote=False)
        self._quiet_until[rep] = now + self.reask_delay

    def revoke(self, rep: int, now: float | None = None) -> None:
        """The customer takes access back: nothing it allowed stays allowed.

        With *now*, a rep that had access or was asking waits ``reask_delay``
        s before it may ask again, as after a no.
        """
        had = self.access(rep) is not AccessState.NOT_GRANTED
        self._move(rep, "revoke", remote=False)
        if had and now is not None:
            self._quiet_until[rep] = now + self.reask_delay

    def end(self, rep: int) -> None:
        """The rep ended the file activity (F4): access and requests are gone."""
        self._move(rep, "end", remote=True)

    def control_moved(self) -> None:
        """Control of the session moved (SPEC M5): no rep keeps access or any permission.

        The new controlling rep asks afresh, and the customer decides afresh.
        """
        self._access.clear()
        self._allowed.clear()
        self._expected.clear()
        self._fetches.clear()

    def _forget(self, rep: int, *, keep_own_requests: bool) -> None:
        self._allowed = {k for k in self._allowed if k[0] != rep}
        self._fetches = {k for k in self._fetches if k[0] != rep}
        if not keep_own_requests:
            self._expected = {k: v for k, v in self._expected.items() if k[0] != rep}

    def refusal(self, rep: int, *, needs_access: bool) -> str | None:
        """Why nothing may start for *rep* now, or None."""
        if self.sharing.application_shared():
            return APPLICATION_SHARING_REFUSAL
        if needs_access and self.access(rep) is not AccessState.GRANTED:
            return NO_ACCESS_REFUSAL
        return None

    # Offers to the customer -----------------------------------------------------------

    def requested(self, rep: int, request: int, count: int, size: int) -> None:
        """The customer asked *rep* for a shared item: its files come in without a question."""
        self._expected[rep, request] = _Expected(count, size)

    def offer_needs_question(self, rep: int, offer: FileOffer) -> bool:
        """True when the customer must be asked about *offer* (it is not one it asked for).

        Raises ProtocolError for an offer under a request the customer never
        made, or beyond what that request announced.
        """
        if offer.request == 0:
            return True
        expected = self._expected.get((rep, offer.request))
        if expected is None or expected.count < 1 or offer.size > expected.size:
            raise ProtocolError(f"an offer the customer did not ask for (request {offer.request})")
        expected.count -= 1
        expected.size -= offer.size
        self._allowed.add((rep, offer.tid))
        return False

    def allow(self, rep: int, tid: int) -> None:
        """The customer said yes to this one transfer."""
        self._allowed.add((rep, tid))

    def admit(self, rep: int, offer: FileOffer) -> str | None:
        """May the customer's peer accept *offer* now? The refusal reason, or None."""
        refusal = self.refusal(rep, needs_access=False)
        if refusal is not None:
            return refusal
        if (rep, offer.tid) not in self._allowed:
            return "the customer did not allow this transfer"
        if offer.request == 0 and self.access(rep) is not AccessState.GRANTED:
            return NO_ACCESS_REFUSAL
        self._allowed.discard((rep, offer.tid))
        return None

    # Fetches and listings from the customer -------------------------------------------

    def allow_fetch(self, rep: int, request: int) -> None:
        self._fetches.add((rep, request))

    def admit_fetch(self, rep: int, request: int) -> str | None:
        """May the customer's peer send what *request* asked for? The refusal, or None."""
        refusal = self.refusal(rep, needs_access=True)
        if refusal is not None:
            return refusal
        if (rep, request) not in self._fetches:
            return "the customer did not allow this transfer"
        self._fetches.discard((rep, request))
        return None
