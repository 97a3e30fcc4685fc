"""The program both sides run: one session API under the CLI (and later the GUI)."""

from __future__ import annotations

from peer._errors import (
    ConnectionLostError,
    InvalidMessageError,
    NotAllowedError,
    PeerError,
    RelayRefusedError,
    RelayUnreachableError,
    SessionLostError,
    UnknownMemberError,
)
from peer._events import (
    ChatReceived,
    CodeChanged,
    JoinAttemptFailed,
    JoinerTurnedAway,
    MemberJoined,
    MemberLeft,
    MessageRejected,
    PrimaryChanged,
    SessionEnded,
    SessionEvent,
)
from peer._host import HostSession
from peer._open import open_hosted_session, open_joined_session
from peer._session import MemberSession, Session

__all__ = [
    "ChatReceived",
    "CodeChanged",
    "ConnectionLostError",
    "HostSession",
    "InvalidMessageError",
    "JoinAttemptFailed",
    "JoinerTurnedAway",
    "MemberJoined",
    "MemberLeft",
    "MemberSession",
    "MessageRejected",
    "NotAllowedError",
    "PeerError",
    "PrimaryChanged",
    "RelayRefusedError",
    "RelayUnreachableError",
    "Session",
    "SessionEnded",
    "SessionEvent",
    "SessionLostError",
    "UnknownMemberError",
    "open_hosted_session",
    "open_joined_session",
]
