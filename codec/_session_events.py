"""What a session machine hands back: actions for the peer, events for the person.

Every entry point of :class:`~codec.HostRules` and :class:`~codec.MemberRules`
returns one :class:`Step`: the *actions* to carry out in order (send these
bytes to that endpoint, ask the relay to drop that one) and the *events*
that happened (a chat arrived, someone joined, the session ended). The
peer performs the actions and shows the events; it decides nothing.

Messages the session rules do not own (screen, input, files, consent, ...)
come out as :class:`MessageArrived` with their authenticated sender, so
those features can run their own machines beside these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from codec._live_codes import DEFAULT_INVITATION_LIFETIME

if TYPE_CHECKING:
    from codec._code import SessionCode
    from codec._errors import HelplineError
    from codec._live_codes import CodeState
    from codec._messages import Member, Message, Role
    from codec._session_rules import SessionRules

__all__ = [
    "Action",
    "AttemptRefused",
    "ChatArrived",
    "CodeCause",
    "CodeIssued",
    "ControlChanged",
    "Disconnect",
    "Ended",
    "HandOverDoor",
    "InSession",
    "InvitationClosed",
    "InvitationIssued",
    "JoiningPaused",
    "MemberAdded",
    "MemberAway",
    "MemberBack",
    "MemberRemoved",
    "MessageArrived",
    "PrimaryChanged",
    "Refused",
    "RoomMoved",
    "RoomTaken",
    "RulesEvent",
    "SessionTimings",
    "StandbyProbe",
    "Step",
    "Transmit",
    "TurnedAway",
]


@dataclass(frozen=True, slots=True)
class SessionTimings:
    """How long a session waits for things; each a setting, tests shorten them."""

    #: A side that has sent nothing on a host-member channel this long sends a keep-alive.
    keepalive_interval: float = 10.0
    #: Nothing heard on a host-member channel this long: the other side is gone.
    silence_timeout: float = 35.0
    #: A joiner that proved the code has this long to say who it is.
    hello_timeout: float = 30.0
    #: A joiner waits this long for each answer of the host (reply, then roster).
    join_timeout: float = 20.0
    #: A member told it is out has this long to leave before the relay is asked to drop it.
    farewell_grace: float = 3.0
    #: A channel out of step this long (a drop nobody came back from) is given up:
    #: the host removes the member, a member's session ends (SPEC X3).
    resume_timeout: float = 120.0
    #: An invitation's own code admits nobody after this long (SPEC S4).
    invitation_lifetime: float = DEFAULT_INVITATION_LIFETIME
    #: A member back in its room whose rep has not answered this long looks for the
    #: session in its standby room (the rep may have moved there: a stranger re-created
    #: the room first after a relay restart), and comes back here if it is not there.
    standby_probe_after: float = 10.0


# Actions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transmit:
    """Send *payload* to endpoint *to* through the relay."""

    to: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Host only: ask the relay to drop endpoint *id* from the room."""

    id: int


@dataclass(frozen=True, slots=True)
class HandOverDoor:
    """Ask the relay to welcome later joiners with endpoint *id* as the host (SPEC M5)."""

    id: int


Action = Transmit | Disconnect | HandOverDoor


# Events --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatArrived:
    sender: Member
    text: str
    private: bool
    #: A private message's recipients, as the sender addressed it (this member among them).
    to: tuple[Member, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageArrived:
    """A message for another feature's machine, from an authenticated member."""

    sender: Member
    message: Message


@dataclass(frozen=True, slots=True)
class MemberAdded:
    member: Member


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    member: Member
    #: False when the member's connection dropped or went silent.
    said_goodbye: bool
    #: The controlling rep who removed it, when that is why it is gone.
    removed_by: str | None = None


@dataclass(frozen=True, slots=True)
class PrimaryChanged:
    """The primary customer is now *member* (None: no customer left).

    Screen activities are with the primary only: a feature ends the former
    primary's activities on this event (SPEC M2).
    """

    member: Member | None


@dataclass(frozen=True, slots=True)
class MemberAway:
    """*member*'s connection dropped (or went silent); its frames wait for it to resume."""

    member: Member


@dataclass(frozen=True, slots=True)
class MemberBack:
    """*member* resumed: it proved the channel's keys, and what it missed was sent again."""

    member: Member


@dataclass(frozen=True, slots=True)
class ControlChanged:
    """*controller* controls the session now (SPEC M5); *yours* when that is this person.

    Every support activity stops on this event, on every side: sharing,
    control and file transfers end; chat carries on.
    """

    controller: Member
    yours: bool


@dataclass(frozen=True, slots=True)
class Refused:
    """Something from *sender* was dropped unread or unused; *reason* says why."""

    sender: str
    reason: str


@dataclass(frozen=True, slots=True)
class TurnedAway:
    """Host only: someone trying to join was turned away before they were in.

    *reason* is for the rep, in words: "the session has 1 customer, as many
    as the site policy allows".
    """

    reason: str


@dataclass(frozen=True, slots=True)
class RoomMoved:
    """The relay named a stranger our room's host, so the session moves to *room*,
    the standby room the controlling rep told everyone end to end: reconnect
    there (same endpoint id). *text* says so to the person."""

    room: str
    text: str


@dataclass(frozen=True, slots=True)
class StandbyProbe:
    """Our rep does not answer in our room: look for the session in the standby
    *room* (join it with our endpoint id; create nothing). If it is there, tell
    :meth:`~codec.MemberRules.standby_found`; if not, come back to our room."""

    room: str


@dataclass(frozen=True, slots=True)
class RoomTaken:
    """The relay welcomed us back naming *host* as the room's host, not the one that
    should be: after a restart someone else re-created the room. *text* says so."""

    host: int
    text: str


@dataclass(frozen=True, slots=True)
class InSession:
    """Member only: the host's first roster arrived; the member is in."""


@dataclass(frozen=True, slots=True)
class AttemptRefused:
    """Host only: someone tried to join and did not prove the code (counted)."""

    reason: str
    failures: int
    max_failures: int


class CodeCause(Enum):
    USED = "used"  # the previous code admitted someone
    RETIRED = "retired"  # too many failed attempts against the previous code
    REOPENED = "reopened"  # the rep reopened joining
    FOR_ASSISTANT = "for an assistant"  # the rep asked for a code that admits an assistant
    TAKEN_OVER = "taken over"  # control of the session came to this rep (SPEC M5)
    MOVED = "moved"  # the session moved to a new room (a stranger held the old one)


@dataclass(frozen=True, slots=True)
class CodeIssued:
    """Host only: *code* is the one to give the next person."""

    code: SessionCode
    cause: CodeCause


@dataclass(frozen=True, slots=True)
class InvitationIssued:
    """Host only: *code* is an invitation's own; it admits one *role* until *expires*."""

    code: SessionCode
    role: Role
    expires: float


@dataclass(frozen=True, slots=True)
class InvitationClosed:
    """Host only: the invitation's *code* admits nobody now: retired, expired or withdrawn."""

    code: SessionCode
    why: CodeState


@dataclass(frozen=True, slots=True)
class JoiningPaused:
    """Host only: the session's failure budget is spent; nobody joins until reopened."""

    failures: int


@dataclass(frozen=True, slots=True)
class Ended:
    """The session is over: *by* ended it, or *reason* says why it broke.

    *error* is set when a join failed for a reason with its own error type
    (a wrong code, a host that is not admitting).
    """

    by: str | None
    reason: str | None = None
    error: HelplineError | None = None
    #: The controlling rep who removed this member, when that is how it ended for it.
    removed_by: str | None = None


RulesEvent = (
    ChatArrived
    | MessageArrived
    | MemberAdded
    | MemberRemoved
    | MemberAway
    | MemberBack
    | PrimaryChanged
    | ControlChanged
    | Refused
    | TurnedAway
    | RoomTaken
    | RoomMoved
    | StandbyProbe
    | InSession
    | AttemptRefused
    | CodeIssued
    | InvitationIssued
    | InvitationClosed
    | JoiningPaused
    | Ended
)


@dataclass(frozen=True, slots=True)
class Step:
    actions: tuple[Action, ...] = ()
    events: tuple[RulesEvent, ...] = ()
    #: After a transfer of control, the machine that carries on for this
    #: endpoint (the new host's, or the former host's as a member); the old
    #: one is finished and answers nothing more.
    successor: SessionRules | None = None


@dataclass
class Outbox:
    """Where a machine collects one step's actions and events."""

    actions: list[Action] = field(default_factory=list)
    events: list[RulesEvent] = field(default_factory=list)
    successor: SessionRules | None = None

    def transmit(self, to: int, payload: bytes) -> None:
        self.actions.append(Transmit(to, payload))

    def event(self, event: RulesEvent) -> None:
        self.events.append(event)

    def step(self) -> Step:
        return Step(tuple(self.actions), tuple(self.events), self.successor)
