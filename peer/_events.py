"""What a session tells its face (CLI or GUI): plain frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codec import Role

__all__ = [
    "ChatReceived",
    "CodeChanged",
    "JoinAttemptFailed",
    "MemberJoined",
    "MemberLeft",
    "MessageRejected",
    "SessionEnded",
    "SessionEvent",
]


@dataclass(frozen=True, slots=True)
class ChatReceived:
    sender: str
    text: str
    private: bool


@dataclass(frozen=True, slots=True)
class MemberJoined:
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class MemberLeft:
    name: str
    #: False when the member's connection dropped rather than it saying goodbye.
    said_goodbye: bool


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The session is over: *by* ended it, or *lost* says why it broke."""

    by: str | None
    lost: str | None = None


@dataclass(frozen=True, slots=True)
class JoinAttemptFailed:
    """Host only: someone tried to join and did not prove the code."""

    reason: str
    failures: int
    max_failures: int


@dataclass(frozen=True, slots=True)
class CodeChanged:
    """Host only: the code was retired; read the new one to the customer."""

    code: str
    link: str


@dataclass(frozen=True, slots=True)
class MessageRejected:
    """A message failed its integrity check or validation and was dropped."""

    sender: str
    reason: str


SessionEvent = (
    ChatReceived
    | MemberJoined
    | MemberLeft
    | SessionEnded
    | JoinAttemptFailed
    | CodeChanged
    | MessageRejected
)
