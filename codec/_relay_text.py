"""What to tell a person when the relay refuses something.

The relay is untrusted, and its free text could pose as Helpline's own
words ("your session expired, call this number"). Known reasons get fixed
texts written here; anything else is shown as the relay's, quoted.
"""

from __future__ import annotations

__all__ = ["relay_says"]

_KNOWN = {
    # Only the relay's word: whoever it takes for the room's host asked, perhaps
    # not the rep (a restarted relay gives the room to whoever re-creates it).
    "kicked": "the relay disconnected us",
    "shutting-down": "the relay is shutting down",
    "idle-timeout": "the relay closed the connection after a long silence",
    "handshake-timeout": "the relay closed the connection: we took too long to start",
    "room-full": "the session is full",
    "too-many-rooms": "the relay has too many sessions open; try again later",
    "rate-limited": "too many failed attempts from this address; wait a minute and try again",
    "crowded": "too many people are joining this session at once; try again in a moment",
    "unanswered": "the rep's side did not answer; check the session code and try again",
    "no-such-room": "there is no such session on this relay",
    "room-exists": "that session number is taken on this relay",
    # Coming back after a drop: another connection holds our place and our
    # rejoin token does not match (someone else got there first after a restart).
    "place-taken": "the relay gave our place in the session to another connection",
    "too-big": "the relay refused a message as too large",
}


def relay_says(reason: str, message: str) -> str:
    """A sentence for the person: a fixed one for a known *reason*, else the relay's, quoted."""
    known = _KNOWN.get(reason)
    if known is not None:
        return known
    return f'the relay says: "{message}" ({reason})'
