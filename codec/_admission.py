"""The host's door: who is mid-handshake, who got in, and when the code changes.

Every joiner's attempt is one :class:`~codec._handshake.HostHandshake`.
An attempt that ends without a valid key confirmation — a wrong code, an
abort, a joiner that vanished or timed out after sending its SPAKE2 message
— is a failed attempt: each gave someone one guess at the code. After
``max_failures`` of them the secret is replaced, so a guesser must start
over against a code it has never seen, and the rep is shown the new one.

Time is an argument: :meth:`Admission.expire` takes ``now`` and
:meth:`Admission.next_deadline` says when to call it next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from codec._errors import ProtocolError
from codec._handshake import HostHandshake, HostState

if TYPE_CHECKING:
    from codec._code import SessionCode
    from codec._keys import ChannelKeys

__all__ = [
    "DEFAULT_HANDSHAKE_TIMEOUT",
    "DEFAULT_MAX_FAILURES",
    "Admission",
    "Admitted",
    "AttemptFailed",
    "HandshakeReply",
]

DEFAULT_MAX_FAILURES = 3
DEFAULT_HANDSHAKE_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class HandshakeReply:
    """Send *payload* to endpoint *to*."""

    to: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Admitted:
    """Endpoint *id* proved it holds the code; open a channel with *keys*."""

    id: int
    keys: ChannelKeys


@dataclass(frozen=True, slots=True)
class AttemptFailed:
    """Endpoint *id* failed. *new_code* is set when this failure retired the code."""

    id: int
    reason: str
    failures: int
    new_code: SessionCode | None


AdmissionEvent = HandshakeReply | Admitted | AttemptFailed


class Admission:
    def __init__(
        self,
        code: SessionCode,
        *,
        max_failures: int = DEFAULT_MAX_FAILURES,
        handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    ) -> None:
        self.code = code
        self.max_failures = max_failures
        self.handshake_timeout = handshake_timeout
        #: Failed attempts against the current code.
        self.failures = 0
        # Bumped each time the code is replaced; an attempt made against an
        # older code fails without counting against the new one.
        self._generation = 0
        self._pending: dict[int, tuple[HostHandshake, int]] = {}

    def receive(self, sender: int, payload: bytes, now: float) -> AdmissionEvent:
        """Feed a handshake payload from *sender*; say what to do about it."""
        fresh = sender not in self._pending
        if fresh:
            handshake = HostHandshake(self.code.password, now + self.handshake_timeout)
            self._pending[sender] = (handshake, self._generation)
        handshake, generation = self._pending[sender]
        try:
            reply = handshake.receive(payload)
        except ProtocolError as e:
            # A first payload we refuse (a stray CONFIRM, a late one after a
            # timeout, a malformed SPAKE2 message) got no reply, so no guess at
            # the code: it fails the attempt but does not count against the code.
            return self._fail(sender, str(e), counts=not fresh)
        if reply is not None:
            return HandshakeReply(sender, reply)
        if generation != self._generation:
            return self._fail(sender, "the code was replaced during the attempt")
        del self._pending[sender]
        return Admitted(sender, handshake.keys)

    def member_left(self, endpoint: int) -> AttemptFailed | None:
        """An endpoint left; if it was mid-handshake, that attempt failed."""
        if endpoint not in self._pending:
            return None
        if self._pending[endpoint][0].state is HostState.AWAITING_PAKE:
            del self._pending[endpoint]
            return None
        return self._fail(endpoint, "left during the handshake")

    def expire(self, now: float) -> list[AttemptFailed]:
        late = [eid for eid, (hs, _) in self._pending.items() if hs.deadline <= now]
        return [self._fail(eid, "did not finish the handshake in time") for eid in late]

    def next_deadline(self) -> float | None:
        return min((hs.deadline for hs, _ in self._pending.values()), default=None)

    def _fail(self, endpoint: int, reason: str, *, counts: bool = True) -> AttemptFailed:
        _, generation = self._pending.pop(endpoint)
        if not counts or generation != self._generation:
            return AttemptFailed(endpoint, reason, self.failures, None)
        self.failures += 1
        failures = self.failures
        new_code = None
        if self.failures >= self.max_failures:
            self.code = self.code.replace_secret()
            self._generation += 1
            self.failures = 0
            new_code = self.code
        return AttemptFailed(endpoint, reason, failures, new_code)
