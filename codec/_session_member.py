"""A customer's (or assistant's) session rules: the join, the roster, the rep's channel.

The member speaks first: :meth:`MemberRules.start` makes the SPAKE2
message; the host's reply is checked (a wrong code, or a reply someone
altered, ends the join); then the member confirms, introduces itself and
waits for the host's roster.

Only the controlling rep's roster is believed. A roster entry whose key no
channel can be built on is dropped and reported, the rest applied. A
roster that leaves this member out ends the session: the rep's side
removed it (or believed the relay that it left), and talking on would
reach nobody. The channel to the controlling rep carries the session's
control messages, so a gap in it (frames the relay dropped: perhaps a
roster, perhaps the end) is repaired by asking for them again, never
skipped; when the rep's side drops or goes silent, its frames wait for it
to resume, and only a rep gone past ``resume_timeout`` ends the session.

A rep that handed control over (SPEC M5) still keeps the relay's room
until the new rep's first roster reaches it: a relay restarting while the
grant is on its way must find someone to re-create the room, and until
that roster the new rep may not know it controls the session. Should the
relay then welcome this side as the room's host, the next roster from the
controlling rep makes it pass the door on (:class:`HandOverDoor`), so
joiners and removals go to the rep in control.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec._channel import Channel
from codec._errors import (
    LocalProtocolError,
    NotAdmittedError,
    ProtocolError,
    WrongCodeError,
)
from codec._handshake import JoinerHandshake, abort_payload
from codec._keys import member_channel_keys
from codec._limits import DEFAULT_LIMITS
from codec._messages import (
    ControlGrant,
    ControlMoved,
    Departure,
    Hello,
    KeepAlive,
    Leave,
    Member,
    Role,
    Roster,
    SessionEnd,
)
from codec._session_events import (
    Ended,
    HandOverDoor,
    InSession,
    MemberAdded,
    MemberRemoved,
    Outbox,
    PrimaryChanged,
    Refused,
    SessionTimings,
    StandbyProbe,
    Step,
)
from codec._session_rules import Link, SessionRules, SessionState, Speaker

if TYPE_CHECKING:
    import nacl.public

    from codec._code import SessionCode
    from codec._limits import Limits
    from codec._messages import Message
    from codec._session_host import HostRules

__all__ = ["MemberRules"]


class MemberRules(SessionRules):
    role = Role.CUSTOMER

    def __init__(
        self,
        local_id: int,
        host_id: int,
        name: str,
        code: SessionCode,
        *,
        limits: Limits = DEFAULT_LIMITS,
        timings: SessionTimings | None = None,
        private_key: nacl.public.PrivateKey | None = None,
        assist: bool = False,
        max_customers: int | None = None,
    ) -> None:
        super().__init__(local_id, name, limits, timings or SessionTimings(), private_key)
        self.controller = host_id
        self.assist = assist
        #: The relay room; a rep that takes control admits joiners into it (SPEC M5).
        self.room = code.room
        #: The slot label of the code it joined with; a rep taking control keeps it.
        self.label = code.label
        #: The site policy's customer cap, for when this rep takes control.
        self.max_customers = max_customers
        #: The session type and tracking code, once a controlling rep passed them on (SPEC M5).
        self.kind: tuple[str, str | None] | None = None
        self.state = SessionState.JOINING
        self.session_id: bytes | None = None
        self._handshake: JoinerHandshake | None = JoinerHandshake(code)
        self._join_deadline: float | None = None
        #: When to look for the session in the standby room, should the rep not answer.
        self._probe_at: float | None = None
        #: Set by a hand-over: see the module's last paragraph.
        self._keeps_room = False
        #: The relay's welcome named us the room's host though we do not control it.
        self._door_here = False
        # (endpoint id, key) pairs whose channel has ended: never keyed again,
        # so no counter restarts at zero under a key that was already used.
        self._retired: set[tuple[int, bytes]] = set()

    def start(self, now: float) -> Step:
        """The first payload of the join: our SPAKE2 message to the host."""
        if self._handshake is None:
            raise LocalProtocolError("the join was already started")
        out = Outbox()
        out.transmit(self.controller, self._handshake.start())
        self._join_deadline = now + self.timings.join_timeout
        return out.step()

    def leave(self, now: float) -> Step:
        """Say goodbye to the host (it tells the others); the session is over for us."""
        out = Outbox()
        if self.ended:
            return out.step()
        if self.controller in self.links:
            self._seal(out, self.controller, Leave(), now)
        self._end(out, Ended(by=None, reason="you left the session"))
        return out.step()

    @property
    def keeps_room(self) -> bool:
        return self._keeps_room

    def reconnected(self, now: float, *, host: int | None = None) -> Step:
        self._door_here = host == self.local_id and self.state is SessionState.IN_SESSION
        step = super().reconnected(now, host=host)
        if self.standby_room is not None and self.state is SessionState.IN_SESSION:
            self._probe_at = now + self.timings.standby_probe_after
        return step

    def carry_on(self, host: HostRules, now: float) -> None:
        """Go on as a member of *host*'s session, after handing control to :attr:`controller`.

        Every channel stays as it is (keyed as before, so no counter restarts);
        each is a member channel now, keyed on the member's (id, key), and only
        the one with the new controlling rep carries keep-alives.
        """
        self._handshake = None
        self.state = SessionState.IN_SESSION
        self.session_id = host.session_id
        self.kind = host.kind
        self.members = dict(host.members)
        self.primary = host.primary
        self.links = host.links
        self._keeps_room = True
        self.former_controllers = {*host.former_controllers, host.local_id}
        self.standby_room = host.standby_room
        for mid, link in self.links.items():
            link.public_key = self.members[mid].public_key
            link.watched = False
        self._watch(self.controller, now)

    def switch_controller(self, to: int, now: float) -> None:
        """The controlling rep said *to* controls the session now: believe only it."""
        former = self.links[self.controller]
        former.public_key = self.members[self.controller].public_key
        former.watched = False
        self.former_controllers.add(self.controller)
        self.controller = to
        self._watch(to, now)

    _room_taken_text = (
        "the relay now names someone other than the rep as this session's host "
        "(it may have restarted and let someone else re-create the room); the session "
        "goes on with the rep end to end, but only the rep can end it or remove you"
    )

    def _controller_id(self) -> int:
        return self.controller

    def _moved(self, out: Outbox, room: str, now: float) -> None:
        # Where a rep taking control admits joiners from now on (SPEC M5).
        self.room = room

    def _watch(self, mid: int, now: float) -> None:
        link = self.links[mid]
        link.watched = True
        link.heard = link.sent = now

    # The join --------------------------------------------------------------------

    def _on_handshake(self, out: Outbox, sender: int, payload: bytes, now: float) -> None:
        handshake = self._handshake
        if sender != self.controller or handshake is None or self.controller in self.links:
            super()._on_handshake(out, sender, payload, now)
            return
        try:
            confirmation = handshake.receive(payload)
        except WrongCodeError as e:
            out.transmit(self.controller, abort_payload())
            self._end(out, Ended(by=None, reason=str(e), error=e))
            return
        except NotAdmittedError as e:
            self._end(out, Ended(by=None, reason=str(e), error=e))
            return
        except ProtocolError as e:
            self._end(out, Ended(by=None, reason=f"the rep's side answered oddly ({e})", error=e))
            return
        self._handshake = None
        out.transmit(self.controller, confirmation)
        channel = Channel(handshake.keys, self.local_id, self.controller, self.limits)
        self.links[self.controller] = Link(channel, None, heard=now, sent=now, watched=True)
        self._seal(out, self.controller, Hello(self.name, self.public_key, self.assist), now)
        self._join_deadline = now + self.timings.join_timeout

    # Messages --------------------------------------------------------------------

    def _speaker(self, sender: int) -> Speaker | None:
        if sender == self.controller:
            return Speaker.CONTROLLER
        return Speaker.MEMBER if sender in self.members else None

    def _on_message(self, out: Outbox, sender: int, message: Message, now: float) -> None:
        if isinstance(message, Roster):
            self._apply_roster(out, message, now)
        elif isinstance(message, SessionEnd):
            self._end(out, Ended(by=message.by))
        elif isinstance(message, ControlMoved | ControlGrant):
            # The two machines build each other on a hand-over: imported here
            # to keep the modules free of an import cycle.
            from codec._session_control import follow, take_over

            if self.state is SessionState.JOINING:
                self._require_roster_first(out, sender, message)
            elif isinstance(message, ControlMoved):
                follow(self, message, out, now)
            else:
                take_over(self, message, out, now)
        elif isinstance(message, Leave) and self.state is SessionState.IN_SESSION:
            # The controlling rep put us out; its own name, not its words, says by whom.
            rep = self.members.get(self.controller)
            by = rep.name if rep is not None else "the rep"
            self._end(out, Ended(None, f"{by} removed you from the session", removed_by=by))
        elif isinstance(message, Leave):
            reason = f"the rep's side did not let us in: {message.reason}"
            self._end(out, Ended(by=None, reason=reason))
        elif self.state is SessionState.JOINING:
            self._require_roster_first(out, sender, message)
        else:
            super()._on_message(out, sender, message, now)

    def _require_roster_first(self, out: Outbox, sender: int, message: Message) -> None:
        if not isinstance(message, KeepAlive):
            out.event(Refused(self._label(sender), "a message before the roster"))

    def _apply_roster(self, out: Outbox, roster: Roster, now: float) -> None:
        if self.session_id is None:
            self.session_id = roster.session
        elif roster.session != self.session_id:
            out.event(Refused("the rep", "a roster for another session"))
            return
        entries = {m.id: m for m in roster.members}
        rep = entries.get(self.controller)
        if rep is None or rep.role is not Role.REP:
            out.event(Refused("the rep", "a roster that does not list the rep as the rep"))
            return
        primary = entries.get(roster.primary) if roster.primary is not None else None
        if roster.primary is not None and (primary is None or primary.role is not Role.CUSTOMER):
            out.event(Refused("the rep", "a roster whose primary is not a customer in it"))
            return
        me = entries.get(self.local_id)
        if me is None or me.public_key != self.public_key:
            self._end(out, Ended(by=None, reason=self._left_out_reason()))
            return
        first = self.state is SessionState.JOINING
        self.state = SessionState.IN_SESSION
        self.standby_room = roster.standby
        # The rep in control acts as one: the room is its to keep from now on.
        self._keeps_room = False
        if self._door_here:
            self._door_here = False
            out.actions.append(HandOverDoor(self.controller))
        self._join_deadline = None
        self.name = me.name  # the host may have told two Bobs apart
        new = {
            mid: member
            for mid, member in entries.items()
            if mid in (self.local_id, self.controller) or self._keep_link(out, member, now)
        }
        old, self.members = self.members, new
        old_primary, self.primary = self.primary, roster.primary
        if not first and old_primary != self.primary:
            out.event(PrimaryChanged(primary))
        gone = dict(roster.gone)
        for mid, member in old.items():
            if mid not in new:
                self._retire(mid)
                if mid not in (self.local_id, self.controller):
                    how = gone.get(mid, Departure.LEFT)
                    remover = old[self.controller].name if self.controller in old else None
                    out.event(
                        MemberRemoved(
                            member,
                            said_goodbye=how is Departure.LEFT,
                            removed_by=remover if how is Departure.REMOVED else None,
                        )
                    )
        if first:
            out.event(InSession())
            return
        for mid, member in new.items():
            if mid not in old:
                out.event(MemberAdded(member))

    def _keep_link(self, out: Outbox, member: Member, now: float) -> bool:
        """Make sure there is a channel for *member*'s (id, key); False to drop the entry."""
        link = self.links.get(member.id)
        if link is not None and link.public_key == member.public_key:
            return True
        if link is not None:
            self._retire(member.id)
        if (member.id, member.public_key) in self._retired:
            out.event(Refused("the rep", f"dropped {member.name} from the roster: a reused key"))
            return False
        assert self.session_id is not None
        try:
            keys = member_channel_keys(
                self.private_key, member.public_key, self.local_id, member.id, self.session_id
            )
        except ProtocolError as e:
            out.event(Refused("the rep", f"dropped {member.name} from the roster: {e}"))
            return False
        channel = Channel(keys, self.local_id, member.id, self.limits)
        self.links[member.id] = Link(channel, member.public_key, now, now, watched=False)
        return True

    def _retire(self, mid: int) -> None:
        link = self.links.pop(mid, None)
        if link is not None and link.public_key is not None:
            self._retired.add((mid, link.public_key))

    def _left_out_reason(self) -> str:
        if self.state is SessionState.JOINING:
            return "the rep's side did not let us in; ask the rep to check"
        return (
            "the rep's side no longer lists you in the session (it removed you, or "
            "believed the relay that you left); join again with a new code"
        )

    # Departures and deadlines ----------------------------------------------------

    def _on_endpoint_left(self, out: Outbox, endpoint: int, now: float) -> None:
        if endpoint == self.controller and self.state is SessionState.JOINING:
            self._end(out, Ended(by=None, reason="the rep left the session before we could join"))
        elif endpoint in self.links:
            self._lost(out, endpoint, now, away=True)

    def _on_silence(self, out: Outbox, endpoint: int, now: float) -> None:
        if self.state is SessionState.JOINING:
            self._end(out, Ended(by=None, reason="the rep's side stopped answering"))
        else:
            self._lost(out, endpoint, now, away=True)

    def _on_gave_up(self, out: Outbox, endpoint: int, now: float) -> None:
        if endpoint == self.controller:
            self._end(
                out,
                Ended(
                    by=None,
                    reason="the rep's side did not come back within "
                    f"{self.timings.resume_timeout:.0f} s; the session is over",
                ),
            )
        # Another member: the rep's roster says whether it is still in.

    def _deadlines(self) -> list[float | None]:
        return [*super()._deadlines(), self._join_deadline, self._probe_at]

    def _tick(self, out: Outbox, now: float) -> None:
        if self._probe_at is not None and now >= self._probe_at:
            self._probe_at = None
            rep = self.links.get(self.controller)
            if self.online and rep is not None and not rep.in_step and self._may_move():
                # Only a rep that moved away stays silent to a question it can answer
                # in a round trip; a stranger holding its place cannot answer at all.
                assert self.standby_room is not None
                out.event(StandbyProbe(self.standby_room))
        if self._join_deadline is not None and now >= self._join_deadline:
            reason = (
                "the rep's side did not answer; ask the rep to check the session"
                if self._handshake is not None
                else "the rep's side did not let us in; ask the rep to check"
            )
            self._end(out, Ended(by=None, reason=reason))

    def _found(self) -> None:
        self._probe_at = None
