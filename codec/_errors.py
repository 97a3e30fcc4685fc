"""The one error tree of Helpline's protocol code.

Split as h11 does it: :class:`ProtocolError` means the *other side* (a peer,
the relay, or whoever sits on the wire) sent something we refuse;
:class:`LocalProtocolError` means our own code asked for something the
protocol does not allow. Decoders let nothing else escape: a ``KeyError``,
``ValueError`` or ``msgpack`` exception from hostile bytes is a bug.
"""

from __future__ import annotations

__all__ = [
    "HelplineError",
    "LimitExceededError",
    "LocalProtocolError",
    "NotAdmittedError",
    "ProtocolError",
    "TamperedMessageError",
    "WrongCodeError",
]


class HelplineError(Exception):
    """Root of every error Helpline raises on purpose."""


class ProtocolError(HelplineError):
    """The bytes we were given break the protocol; the sender is at fault.

    ``reason`` is a short machine-readable word (it travels in relay error
    envelopes and metrics labels); the message is for a person.
    """

    reason: str = "protocol"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class LimitExceededError(ProtocolError):
    """Something declared or sent is larger than a hard limit allows."""

    reason = "limit"


class WrongCodeError(ProtocolError):
    """The two sides did not type the same session code, or someone altered the reply.

    Check the code with the other person and join again; each wrong try is
    counted and the code is replaced after a few, so ask the rep for the
    current one.
    """

    reason = "wrong-code"


class NotAdmittedError(ProtocolError):
    """The host answered a join attempt without letting it in (busy, or paused).

    The attempt was not counted against the code; the message says whether
    to wait and try again or to ask the rep to reopen joining.
    """

    reason = "not-admitting"


class TamperedMessageError(ProtocolError):
    """An encrypted message was replayed, reordered, cut short or altered.

    Someone between the two peers (the relay or the network) changed the
    traffic. The message was dropped unread; nothing from it was used.
    """

    reason = "tampered"


class LocalProtocolError(HelplineError):
    """Our own side tried something the protocol forbids (a programming error)."""
