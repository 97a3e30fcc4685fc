"""What every member's end of a session does: channels, who may say what, chat, silence.

Theory of operation
-------------------
A session machine holds one :class:`~codec.Channel` per endpoint it talks
to. The host (the controlling rep) has one with each member, keyed by the
join handshake; members have one with the host and one with each other
member, derived from the X25519 keys the host's roster vouches for. A
member-to-member channel is keyed on (endpoint id, public key) and lives as
long as that pair, so a counter is never reused under one key.

Every sealed frame is opened, decoded and checked against one table per
side, :data:`HEARS`: which speaker (the controlling rep, a member, a
newcomer that has not introduced itself) may send which message type. A
message the table does not allow is refused and reported, never acted on.
Messages the session rules do not own pass up as
:class:`~codec.MessageArrived` with their authenticated sender.

The host and each member send a sealed keep-alive on their channel when
they have sent nothing for a while. A drop is not the end (SPEC X3): when
our connection is lost (:meth:`SessionRules.connection_lost`), when the
relay says the other end left, when a channel goes silent past the
timeout, or when frames went missing (a gap), the channel stops sending
and asks the other end where to resume (:mod:`codec._resume`); what it
missed is sent again and taken exactly once. Only a channel out of step
past ``resume_timeout`` is given up: see the subclasses for what each side
does then.

Nothing here does IO: every entry point takes ``now`` and returns a
:class:`~codec.Step`; :meth:`SessionRules.next_deadline` says when to call
:meth:`SessionRules.tick`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

import nacl.public

from codec._errors import LocalProtocolError, ProtocolError, TamperedMessageError
from codec._messages import (
    Chat,
    ControlGrant,
    ControlMoved,
    Hello,
    KeepAlive,
    Leave,
    Member,
    Message,
    Role,
    Roster,
    SessionEnd,
    decode_message,
    encode_message_parts,
)
from codec._payload import PayloadKind, payload_kind
from codec._relay_text import relay_says
from codec._resume import SyncState
from codec._session_events import (
    ChatArrived,
    Ended,
    MemberAway,
    MemberBack,
    MessageArrived,
    Outbox,
    Refused,
    RoomMoved,
    RoomTaken,
    SessionTimings,
    Step,
)
from codec._validate import text_problem

if TYPE_CHECKING:
    from collections.abc import Iterable

    from codec._channel import Channel
    from codec._limits import Limits

__all__ = ["HEARS", "RESUMABLE_REFUSALS", "Link", "SessionRules", "SessionState", "Speaker"]

log = logging.getLogger("helpline.codec")


class Speaker(Enum):
    CONTROLLER = "the controlling rep"
    MEMBER = "a member"
    NEWCOMER = "a joiner that has not introduced itself"


class SessionState(Enum):
    JOINING = "joining"  # member only: handshake done or under way, no roster yet
    IN_SESSION = "in session"
    ENDED = "ended"


#: Who may send which message type, as seen by each side. Types not listed
#: (other features' messages) may come from the controlling rep or a member.
HEARS: dict[Role, dict[type[Message], frozenset[Speaker]]] = {
    Role.REP: {
        Hello: frozenset({Speaker.NEWCOMER}),
        Chat: frozenset({Speaker.MEMBER}),
        Leave: frozenset({Speaker.MEMBER}),
        KeepAlive: frozenset({Speaker.MEMBER, Speaker.NEWCOMER}),
        Roster: frozenset(),
        SessionEnd: frozenset(),
        ControlMoved: frozenset(),
        ControlGrant: frozenset(),
    },
    Role.CUSTOMER: {
        Hello: frozenset(),
        Chat: frozenset({Speaker.CONTROLLER, Speaker.MEMBER}),
        Leave: frozenset({Speaker.CONTROLLER}),  # the host turning a joiner away, with why
        # From a member too: one sent to us while we were the controlling
        # rep may still be on its way after we handed control over.
        KeepAlive: frozenset({Speaker.CONTROLLER, Speaker.MEMBER}),
        Roster: frozenset({Speaker.CONTROLLER}),
        SessionEnd: frozenset({Speaker.CONTROLLER}),
        # Control moves only when the controlling rep says so (SPEC M5).
        ControlMoved: frozenset({Speaker.CONTROLLER}),
        ControlGrant: frozenset({Speaker.CONTROLLER}),
    },
}
_OTHER_MESSAGES = frozenset({Speaker.CONTROLLER, Speaker.MEMBER})
#: Fatal relay refusals a session outlives: the connection goes, the peer comes back.
#: "crowded" and "unanswered" reach a member coming back while the rep is away.
#: "kicked" too: it is only the relay's word that its host asked, and a restarted
#: relay's host may be a stranger. A session ends on its controlling rep's sealed
#: SessionEnd or Leave, which /remove sends before the relay is asked to kick.
RESUMABLE_REFUSALS = frozenset(
    {"shutting-down", "idle-timeout", "replaced", "crowded", "unanswered", "kicked"}
)


@dataclass
class Link:
    """One channel and its clocks. *public_key* is the peer's, for member channels."""

    channel: Channel
    public_key: bytes | None
    heard: float
    sent: float
    #: Host-member channels carry keep-alives; member-member ones do not.
    watched: bool
    #: The receive counter at which we last asked for missing frames.
    gap_at: int | None = None

    @property
    def in_step(self) -> bool:
        return self.channel.sync.state is SyncState.IN_STEP


class SessionRules:
    role: Role

    def __init__(
        self,
        local_id: int,
        name: str,
        limits: Limits,
        timings: SessionTimings,
        private_key: nacl.public.PrivateKey | None,
    ) -> None:
        self.local_id = local_id
        self.name = name
        self.limits = limits
        self.timings = timings
        self.private_key = private_key or nacl.public.PrivateKey.generate()
        self.members: dict[int, Member] = {}
        self.links: dict[int, Link] = {}
        #: The primary customer's id (SPEC M1), as the controlling rep decides it.
        self.primary: int | None = None
        self.state = SessionState.IN_SESSION
        #: False while our connection to the relay is down: frames are kept, not sent.
        self.online = True
        #: When our own connection last dropped (see :meth:`reconnected`).
        self._offline_since = -math.inf
        #: Members shown as away (their connection dropped), to be shown back.
        self._away: set[int] = set()
        #: Endpoints that controlled this session before the one that does now
        #: (SPEC M5): one may still hold the relay's door for a moment.
        self.former_controllers: set[int] = set()
        #: The endpoint the relay last welcomed us with as the room's host, if not
        #: one that may be (see :meth:`reconnected`).
        self._room_taken_by: int | None = None
        #: Where the session goes should a stranger hold its room (Roster.standby).
        self.standby_room: str | None = None

    @property
    def public_key(self) -> bytes:
        return bytes(self.private_key.public_key)

    @property
    def ended(self) -> bool:
        return self.state is SessionState.ENDED

    def roster(self) -> list[Member]:
        """Everyone in the session, this person included, in joining order."""
        return sorted(self.members.values(), key=lambda m: m.id)

    # Entry points --------------------------------------------------------------

    def receive(self, sender: int, payload: bytes | memoryview, now: float) -> Step:
        """One payload the relay delivered from *sender* (a view is opened in place)."""
        out = Outbox()
        if not self.ended:
            self._receive(out, sender, payload, now)
        return out.step()

    def endpoint_left(self, endpoint: int, now: float) -> Step:
        """The relay says *endpoint* left the room."""
        out = Outbox()
        if not self.ended:
            self._on_endpoint_left(out, endpoint, now)
        return out.step()

    @property
    def resumable(self) -> bool:
        """Whether a lost connection can be replaced and the session go on."""
        return self.state is SessionState.IN_SESSION

    def connection_lost(self, now: float) -> Step:
        """Our connection to the relay is gone: keep every frame until we are back."""
        out = Outbox()
        self.online = False
        self._offline_since = now
        for link in self.links.values():
            link.channel.sync.lost(now, online=False)
        return out.step()

    @property
    def keeps_room(self) -> bool:
        """Whether this side re-creates the relay's room should the relay have lost it."""
        return False

    def reconnected(self, now: float, *, host: int | None = None) -> Step:
        """We are connected again (same room, same endpoint id): ask every channel.

        *host* is the endpoint the relay's welcome names as the room's host:
        joiners' handshakes go to it, and it may ask the relay to drop anyone.
        One that is not who it should be is reported once, until it is again.
        """
        out = Outbox()
        if host is not None:
            taken = host not in self._room_hosts()
            if taken and self._may_move():
                self._move(out, now)
                return out.step()
            if taken and host != self._room_taken_by:
                out.event(RoomTaken(host, self._room_taken_text))
            self._room_taken_by = host if taken else None
        self.online = True
        for eid, link in self.links.items():
            question = link.channel.sync.lost(now, online=True)
            if question is not None:
                out.transmit(eid, question)
            # The time we were away does not count against the others: they may have
            # been on their way meanwhile. The time they were silent before does, so a
            # member visiting the standby room again and again still gives up at last.
            sync = link.channel.sync
            if sync.away_since is not None:
                sync.away_since = min(now, sync.away_since + (now - self._offline_since))
        return out.step()

    def place_lost(self, now: float) -> Step:
        """The relay keeps our place in the room for someone else (it restarted, and a
        stranger re-created the room first): move to the standby room if we may."""
        out = Outbox()
        if self._may_move():
            self._move(out, now)
        return out.step()

    def standby_found(self, now: float) -> Step:
        """The standby room a :class:`StandbyProbe` named is on the relay: the rep
        moved the session there. We are in it now; resume the channels there."""
        out = Outbox()
        self._found()
        if self._may_move():
            self._move(out, now)
        return out.step()

    def _found(self) -> None:
        """The standby room was found (members stop looking)."""

    def _move(self, out: Outbox, now: float) -> None:
        # Leave the stranger its room: nothing more is sent there, and the
        # channels resume in the standby room, which it does not know.
        room, self.standby_room = self.standby_room, None
        assert room is not None
        out.event(RoomMoved(room, self._room_moved_text))
        self._room_taken_by = None
        self._moved(out, room, now)

    def relay_refused(self, reason: str, message: str, *, fatal: bool) -> Step:
        """The relay refused something; *fatal* means it closes our connection."""
        out = Outbox()
        if fatal and self.resumable and reason in RESUMABLE_REFUSALS:
            log.info("the relay dropped us (%s); the session resumes on a new connection", reason)
        elif fatal and not self.ended:
            self._end(out, Ended(by=None, reason=relay_says(reason, message)))
        elif not fatal:
            log.info("the relay refused something: %s (%s)", message, reason)
        return out.step()

    def send_chat(self, text: str, to: Iterable[int], now: float) -> Step:
        """Chat to everyone, or privately to the members *to*: sealed only to them."""
        recipients = tuple(to)
        if not text.strip():
            raise LocalProtocolError("nothing to send")
        problem = text_problem(text, max_chars=self.limits.max_chat_chars, multiline=True)
        if problem is not None:
            raise LocalProtocolError(f"not sent: {problem}")
        for mid in recipients:
            if mid == self.local_id or mid not in self.members or mid not in self.links:
                raise LocalProtocolError(f"endpoint {mid} is not someone else in the session")
        out = Outbox()
        self._require_in_session()
        message = Chat(text, recipients)
        for target in recipients or self._chat_targets():
            self._seal(out, target, message, now)
        return out.step()

    def send_message(self, to: int, message: Message, now: float) -> Step:
        """Seal another feature's *message* to the member *to*."""
        self._require_in_session()
        if to not in self.members or to not in self.links:
            raise LocalProtocolError(f"endpoint {to} is not someone else in the session")
        out = Outbox()
        self._seal(out, to, message, now)
        return out.step()

    def tick(self, now: float) -> Step:
        """Do what is due at *now*: keep-alives, silences, the subclass's deadlines."""
        out = Outbox()
        if self.ended:
            return out.step()
        for eid, link in list(self.links.items()):
            if eid not in self.links:
                continue
            self._tick_sync(out, eid, link, now)
            if eid not in self.links or not link.watched or not link.in_step:
                pass
            elif now >= link.heard + self.timings.silence_timeout:
                self._on_silence(out, eid, now)
            elif now >= link.sent + self.timings.keepalive_interval:
                self._seal(out, eid, KeepAlive(), now)
            if self.state is SessionState.ENDED:
                return out.step()
        self._tick(out, now)
        return out.step()

    def _tick_sync(self, out: Outbox, eid: int, link: Link, now: float) -> None:
        if not self.online:
            return  # our own drop: the peer's reconnecting gives up, with its reason
        sync = link.channel.sync
        if sync.away_since is not None and now >= sync.away_since + self.timings.resume_timeout:
            sync.away_since = None  # given up once; the subclass decides what that means
            self._on_gave_up(out, eid, now)
            return
        for payload in (sync.ask_again(now), sync.ack_due(now)):
            if payload is not None:
                out.transmit(eid, payload)

    def next_deadline(self) -> float | None:
        if self.ended:
            return None
        deadlines = [d for d in self._deadlines() if d is not None]
        return min(deadlines, default=None)

    # For subclasses ------------------------------------------------------------

    def _deadlines(self) -> list[float | None]:
        t = self.timings
        times: list[float | None] = [
            min(link.heard + t.silence_timeout, link.sent + t.keepalive_interval)
            for link in self.links.values()
            if link.watched and link.in_step
        ]
        if not self.online:
            return times
        for link in self.links.values():
            sync = link.channel.sync
            if sync.away_since is not None:
                times.append(sync.away_since + t.resume_timeout)
            times.append(sync.next_deadline())
        return times

    def _tick(self, out: Outbox, now: float) -> None:
        """Subclass deadlines (admission, hello, join)."""

    def _room_hosts(self) -> set[int]:
        """The endpoints that may be the relay's host of our room: the controlling
        rep, or one that controlled the session before it (a hand-over's door)."""
        return {self._controller_id(), *self.former_controllers}

    def _controller_id(self) -> int:
        raise NotImplementedError

    #: What the person is told when the relay names someone else as the room's host.
    _room_taken_text = ""
    #: ... and when the session moves away from it because of that.
    _room_moved_text = (
        "someone else re-created this session's room on the relay after it restarted; "
        "the session moved to a new room, told to everyone in it end to end, and goes "
        "on there"
    )

    def _may_move(self) -> bool:
        """Whether a stranger holding our room moves us to the standby room."""
        return self.standby_room is not None and self.state is SessionState.IN_SESSION

    def _moved(self, out: Outbox, room: str, now: float) -> None:
        """The session is on its way to *room* (see :meth:`reconnected`)."""

    def _speaker(self, sender: int) -> Speaker | None:
        raise NotImplementedError

    def _chat_targets(self) -> list[int]:
        return [mid for mid in self.members if mid != self.local_id and mid in self.links]

    def _on_handshake(self, out: Outbox, sender: int, payload: bytes, now: float) -> None:
        out.event(Refused(self._label(sender), "a handshake message outside a handshake"))

    def _on_tampered(
        self, out: Outbox, sender: int, error: TamperedMessageError, counter: int, now: float
    ) -> None:
        link = self.links[sender]
        if error.reason == "reordered":
            # Frames went missing on the way: ask for them again (they come in order),
            # once per gap, not once per frame that overtook it.
            if link.gap_at != link.channel.received:
                link.gap_at = link.channel.received
                log.info("frames from %s went missing; asking for them again", sender)
                self._lost(out, sender, now)
            return
        if error.reason == "replayed" and link.channel.sync.expected_duplicate(counter):
            return
        out.event(Refused(self._label(sender), str(error)))

    def _lost(self, out: Outbox, endpoint: int, now: float, *, away: bool = False) -> None:
        """The channel with *endpoint* is out of step: hold frames, ask where to resume."""
        question = self.links[endpoint].channel.sync.lost(now, online=self.online)
        if question is not None:
            out.transmit(endpoint, question)
        member = self.members.get(endpoint)
        if away and member is not None and endpoint not in self._away:
            self._away.add(endpoint)
            out.event(MemberAway(member))

    def _on_sync(self, out: Outbox, sender: int, payload: bytes, now: float) -> None:
        link = self.links.get(sender)
        if link is None:
            out.event(Refused(self._label(sender), "a resume message from outside the session"))
            return
        try:
            synced = link.channel.sync.receive(payload, now)
        except ProtocolError as e:
            if e.reason == "cannot-resume":
                self._on_gave_up(out, sender, now)
            else:
                out.event(Refused(self._label(sender), str(e)))
            return
        for data in synced.send:
            out.transmit(sender, data)
        if synced.resumed:
            link.heard = link.sent = now
            member = self.members.get(sender)
            if sender in self._away and member is not None:
                self._away.discard(sender)
                out.event(MemberBack(member))

    def _on_gave_up(self, out: Outbox, endpoint: int, now: float) -> None:
        """The channel with *endpoint* stayed out of step past the resume timeout."""

    def _on_message(self, out: Outbox, sender: int, message: Message, now: float) -> None:
        member = self.members[sender]
        match message:
            case Chat(text, to):
                if to and self.local_id not in to:
                    out.event(Refused(member.name, "a private message addressed to someone else"))
                else:
                    named = tuple(self.members[mid] for mid in to if mid in self.members)
                    out.event(ChatArrived(member, text, private=bool(to), to=named))
            case KeepAlive():
                pass
            case _:
                out.event(MessageArrived(member, message))

    def _on_endpoint_left(self, out: Outbox, endpoint: int, now: float) -> None:
        raise NotImplementedError

    def _on_silence(self, out: Outbox, endpoint: int, now: float) -> None:
        raise NotImplementedError

    # Helpers -------------------------------------------------------------------

    def _receive(self, out: Outbox, sender: int, payload: bytes | memoryview, now: float) -> None:
        try:
            kind = payload_kind(payload)
        except ProtocolError as e:
            out.event(Refused(self._label(sender), str(e)))
            return
        if kind is not PayloadKind.SEALED:
            small = bytes(payload)  # a copy only if it came as a view; read as bytes
            if kind is PayloadKind.SYNC:
                self._on_sync(out, sender, small, now)
            else:
                self._on_handshake(out, sender, small, now)
            return
        link = self.links.get(sender)
        if link is None:
            out.event(
                Refused(
                    self._label(sender),
                    "an encrypted message from an endpoint we have no channel with "
                    "(not in the session, or no longer); dropped",
                )
            )
            return
        try:
            plaintext = link.channel.open(payload)
        except TamperedMessageError as e:
            self._on_tampered(out, sender, e, _frame_counter(payload), now)
            return
        except ProtocolError as e:
            out.event(Refused(self._label(sender), str(e)))
            return
        link.heard = now
        ack = link.channel.sync.opened(link.channel.received - 1, len(payload), now)
        if ack is not None and self.online:
            out.transmit(sender, ack)
        try:
            message = decode_message(plaintext, self.limits)
        except ProtocolError as e:
            out.event(Refused(self._label(sender), str(e)))
            return
        speaker = self._speaker(sender)
        allowed = HEARS[self.role].get(type(message), _OTHER_MESSAGES)
        if speaker not in allowed:
            what = type(message).__name__
            out.event(Refused(self._label(sender), f"{_speaker_text(speaker)} may not send {what}"))
            return
        self._on_message(out, sender, message, now)

    def _seal(self, out: Outbox, to: int, message: Message, now: float) -> None:
        link = self.links[to]
        counter = link.channel.sent
        frame = link.channel.seal(*encode_message_parts(message))
        # Kept until acknowledged; held back while the channel is out of step.
        if link.channel.sync.sealed(counter, frame) and self.online:
            out.transmit(to, frame)
        link.sent = now

    def _end(self, out: Outbox, ended: Ended) -> None:
        self.state = SessionState.ENDED
        out.event(ended)

    def _require_in_session(self) -> None:
        if self.state is not SessionState.IN_SESSION:
            raise LocalProtocolError(f"the session is {self.state.value}")

    def _label(self, sender: int) -> str:
        member = self.members.get(sender)
        return member.name if member is not None else f"endpoint {sender}"


def _frame_counter(payload: bytes | memoryview) -> int:
    """The counter a sealed frame claims (unauthenticated: only for deciding what to report)."""
    return int.from_bytes(bytes(payload[1:9]).ljust(8, b"\x00"), "big")


def _speaker_text(speaker: Speaker | None) -> str:
    return "someone not in the session" if speaker is None else speaker.value
