"""What can go wrong for a person running ``helpline``, said so they can act."""

from __future__ import annotations

from codec import HelplineError

__all__ = [
    "ConnectionLostError",
    "InvalidMessageError",
    "NotAllowedError",
    "PeerError",
    "PlaceLostError",
    "RelayRefusedError",
    "RelayUnreachableError",
    "SessionLostError",
    "UnknownMemberError",
]


class PeerError(HelplineError):
    """Root of the errors the peer program reports to its user."""


class RelayUnreachableError(PeerError):
    """No WebSocket could be opened to the relay.

    Check the relay address (``--relay``, ``HELPLINE_RELAY`` or the config
    file) and that the relay is running and reachable from this machine.
    """


class RelayRefusedError(PeerError):
    """The relay answered but refused us; ``reason`` is its word for why."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ConnectionLostError(PeerError):
    """The connection to the relay broke."""


class SessionLostError(PeerError):
    """The session ended without anyone ending it (the rep's connection dropped)."""


class PlaceLostError(SessionLostError):
    """After a relay restart someone else holds our place in our room for good.

    The session can go on only in another room, the standby room its
    members know end to end: the host moves there, a member looks there.
    """


class NotAllowedError(PeerError):
    """This role may not do that (for example a customer ending the session)."""


class UnknownMemberError(PeerError):
    """A name that matches nobody in the session; ``/who`` lists who is there."""


class InvalidMessageError(PeerError):
    """What was typed cannot be sent (empty, too long, or control characters)."""
