"""The relay's errors, rooted at :class:`codec.HelplineError`.

A :class:`RejectedError` is something the relay refuses an endpoint: it
travels back as a ``RelayRejected`` envelope carrying :attr:`reason` (a short
word that is also a metrics label) and the message, which is written for the
person reading the peer's error output. *fatal* rejections close the
connection right after the envelope.
"""

from __future__ import annotations

from codec import HelplineError

__all__ = [
    "AlreadyJoinedError",
    "NoSuchMemberError",
    "NoSuchRoomError",
    "NotHostError",
    "NotJoinedError",
    "PlaceTakenError",
    "RateLimitedError",
    "RejectedError",
    "RelayError",
    "RelaySettingsError",
    "RoomExistsError",
    "RoomFullError",
    "TooManyRoomsError",
]


class RelayError(HelplineError):
    """Root of every error the relay raises on purpose."""


class RelaySettingsError(RelayError):
    """A relay setting is out of range; the message names the setting and the fix."""


class RejectedError(RelayError):
    """The relay refuses what an endpoint asked for."""

    reason: str = "rejected"
    fatal: bool = True


class RoomExistsError(RejectedError):
    """CreateRoom for a room id that is in use: the peer should pick a new random id."""

    reason = "room-exists"


class NoSuchRoomError(RejectedError):
    """JoinRoom for a room nobody created (a mistyped code, or the session ended)."""

    reason = "no-such-room"


class RoomFullError(RejectedError):
    reason = "room-full"


class PlaceTakenError(RejectedError):
    """JoinRoom for an endpoint id that is someone else's: the rejoin token is missing or wrong."""

    reason = "place-taken"


class TooManyRoomsError(RejectedError):
    reason = "too-many-rooms"


class RateLimitedError(RejectedError):
    """Too many join attempts from one address; the limit is per minute."""

    reason = "rate-limited"


class NotJoinedError(RejectedError):
    """Send or Kick before the endpoint created or joined its room."""

    reason = "not-joined"


class NotHostError(RejectedError):
    reason = "not-host"
    fatal = False


class NoSuchMemberError(RejectedError):
    """Send or Kick addressed to an endpoint id that is not (or no longer) in the room."""

    reason = "no-such-member"
    fatal = False


class AlreadyJoinedError(RejectedError):
    """A second CreateRoom or JoinRoom on a connection that is already in its room."""

    reason = "already-joined"
    fatal = False
