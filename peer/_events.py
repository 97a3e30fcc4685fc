"""What a session tells its face (CLI or GUI): plain frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from codec import CodeCause

if TYPE_CHECKING:
    from codec import Member, Message, Role

__all__ = [
    "ChatReceived",
    "CodeChanged",
    "ControlChanged",
    "InvitationEnded",
    "JoinAttemptFailed",
    "JoiningPaused",
    "MemberAway",
    "MemberBack",
    "MemberJoined",
    "MemberLeft",
    "MessageReceived",
    "MessageRejected",
    "PrimaryChanged",
    "Reconnected",
    "Reconnecting",
    "RoomTaken",
    "SessionEnded",
    "SessionEvent",
]


@dataclass(frozen=True, slots=True)
class ChatReceived:
    sender: str
    text: str
    private: bool
    #: The sender's role as the controlling rep's roster states it (never the sender's say).
    role: Role | None = None
    #: A private message's recipients by name (this person among them).
    to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A message for another feature (screen, files, ...), from an authenticated member."""

    sender: Member
    message: Message


@dataclass(frozen=True, slots=True)
class MemberJoined:
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class MemberLeft:
    name: str
    #: False when the member's connection dropped rather than it saying goodbye.
    said_goodbye: bool
    #: The controlling rep who removed it, when that is why it is gone.
    removed_by: str | None = None


@dataclass(frozen=True, slots=True)
class MemberAway:
    """*name*'s connection dropped; what it misses waits for it, up to *seconds*."""

    name: str
    role: Role
    seconds: float


@dataclass(frozen=True, slots=True)
class MemberBack:
    """*name* is back: it proved the session's keys and got what it missed."""

    name: str


@dataclass(frozen=True, slots=True)
class Reconnecting:
    """Our connection to the relay dropped (*reason*); the session waits while we come back."""

    reason: str


@dataclass(frozen=True, slots=True)
class Reconnected:
    """We are back with the relay; what was not delivered meanwhile is on its way."""


@dataclass(frozen=True, slots=True)
class PrimaryChanged:
    """*name* is now the primary customer (None: no customer is left)."""

    name: str | None


@dataclass(frozen=True, slots=True)
class ControlChanged:
    """*controller* controls the session now (SPEC M5); *yours* when it is this person.

    Sharing, control and file transfers have stopped on every side; chat goes on.
    """

    controller: str
    yours: bool
    #: Who had control before (the one who handed it over).
    former: str | None = None


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The session is over: *by* ended it, or *lost* says why it broke."""

    by: str | None
    lost: str | None = None
    #: Who removed this person from the session, when that is how it ended for it.
    removed_by: str | None = None


@dataclass(frozen=True, slots=True)
class JoinAttemptFailed:
    """Host only: someone tried to join and did not prove the code."""

    reason: str
    failures: int
    max_failures: int


@dataclass(frozen=True, slots=True)
class JoinerTurnedAway:
    """Host only: someone trying to join was turned away; *reason* says why, in words."""

    reason: str


@dataclass(frozen=True, slots=True)
class CodeChanged:
    """Host only: a new code to give the next person, and why the old one stopped working."""

    code: str
    link: str
    cause: CodeCause = CodeCause.RETIRED


@dataclass(frozen=True, slots=True)
class InvitationEnded:
    """Host only: an invitation's own *code* admits nobody now.

    *why* is "retired", "expired" or "withdrawn".
    """

    code: str
    why: str


@dataclass(frozen=True, slots=True)
class JoiningPaused:
    """Host only: too many failed join attempts in this session; nobody joins until /reopen."""

    failures: int


@dataclass(frozen=True, slots=True)
class RoomTaken:
    """The relay we came back to names someone else as our room's host; *text* says
    what that means for this person (a warning: the session itself goes on)."""

    text: str


@dataclass(frozen=True, slots=True)
class MessageRejected:
    """A message failed its integrity check or validation and was dropped."""

    sender: str
    reason: str


SessionEvent = (
    ChatReceived
    | MemberJoined
    | MemberLeft
    | MemberAway
    | MemberBack
    | Reconnecting
    | Reconnected
    | RoomTaken
    | SessionEnded
    | JoinAttemptFailed
    | JoinerTurnedAway
    | CodeChanged
    | InvitationEnded
    | JoiningPaused
    | MessageReceived
    | MessageRejected
    | PrimaryChanged
    | ControlChanged
)
