"""The controlling rep's session rules: the door, the roster, removals, the end.

The host admits joiners through :class:`~codec.Admission`, learns each
newcomer's name and key from its first sealed message (:class:`Hello`),
refuses a key no channel can be built on, and tells everyone who is in the
session in a :class:`Roster` that carries the session id. Only the host's
roster is believed, so only the host decides who is in.

A member removed for any reason other than its own goodbye (the relay said
it left, or it went silent) is sent the roster without it, so a member the
relay falsely reported gone learns it is out instead of talking into the
void; and the relay is asked to drop it.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import TYPE_CHECKING

from codec._admission import (
    DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_MAX_FAILURES,
    DEFAULT_MAX_SESSION_FAILURES,
    Admission,
    Admitted,
    AttemptFailed,
    DoorState,
    HandshakeReply,
    NotAdmitted,
    NotAdmittingReason,
    not_admitting_payload,
)
from codec._channel import Channel
from codec._code import fresh_room
from codec._errors import LocalProtocolError, ProtocolError
from codec._keys import SESSION_ID_BYTES, check_public_key
from codec._limits import DEFAULT_LIMITS
from codec._live_codes import CodeState
from codec._messages import Departure, Hello, Leave, Member, Role, Roster, SessionEnd
from codec._session_events import (
    AttemptRefused,
    CodeCause,
    CodeIssued,
    Disconnect,
    Ended,
    InvitationClosed,
    InvitationIssued,
    JoiningPaused,
    MemberAdded,
    MemberRemoved,
    Outbox,
    PrimaryChanged,
    Refused,
    SessionTimings,
    Step,
    TurnedAway,
)
from codec._session_rules import Link, SessionRules, Speaker
from codec._validate import name_key

if TYPE_CHECKING:
    import nacl.public

    from codec._code import SessionCode
    from codec._limits import Limits
    from codec._messages import Message

__all__ = ["HostRules"]

#: What the rep is told when a joiner names a code that is not open (the joiner is told too).
_CLOSED_CODE_NOTES = {
    NotAdmittingReason.NO_SUCH_CODE: "their code is not one of this session's",
    NotAdmittingReason.USED: "they used an invitation's code that was used already",
    NotAdmittingReason.EXPIRED: "they used an invitation's code that has expired",
    NotAdmittingReason.RETIRED: "they used an invitation's code withdrawn after failed attempts",
    NotAdmittingReason.WITHDRAWN: "they used an invitation's code you withdrew",
}


class HostRules(SessionRules):
    role = Role.REP

    def __init__(
        self,
        local_id: int,
        name: str,
        code: SessionCode,
        *,
        limits: Limits = DEFAULT_LIMITS,
        timings: SessionTimings | None = None,
        max_failures: int = DEFAULT_MAX_FAILURES,
        max_session_failures: int = DEFAULT_MAX_SESSION_FAILURES,
        handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
        private_key: nacl.public.PrivateKey | None = None,
        session_id: bytes | None = None,
        max_customers: int | None = None,
        kind: tuple[str, str | None] | None = None,
    ) -> None:
        super().__init__(local_id, name, limits, timings or SessionTimings(), private_key)
        #: The session type and tracking code (for the records; a transfer passes them on).
        self.kind = kind
        self.admission = Admission(
            code,
            max_failures=max_failures,
            max_session_failures=max_session_failures,
            handshake_timeout=handshake_timeout,
            invitation_lifetime=self.timings.invitation_lifetime,
        )
        self.session_id = session_id or secrets.token_bytes(SESSION_ID_BYTES)
        if len(self.session_id) != SESSION_ID_BYTES:
            raise LocalProtocolError(f"a session id is {SESSION_ID_BYTES} bytes")
        self.members[local_id] = Member(local_id, name, Role.REP, self.public_key)
        #: Admitted endpoints that have not said who they are, and their deadline.
        self.awaiting_hello: dict[int, float] = {}
        #: The site policy's cap on customers in this session (None: no cap).
        self.max_customers = max_customers
        #: Whom the code each of those used was for.
        self._admitted_as: dict[int, Role] = {}
        #: Endpoints told they are out, and when to ask the relay to drop them.
        self._farewells: dict[int, float] = {}
        self.standby_room = fresh_room()

    @property
    def code(self) -> SessionCode:
        return self.admission.code

    _room_taken_text = (
        "someone else re-created this session's room on the relay after it restarted: "
        "new customers cannot reach you with this code (those in the session stay, "
        "end to end); to take new customers, start a new session"
    )

    def _controller_id(self) -> int:
        return self.local_id

    def _may_move(self) -> bool:
        return self.standby_room is not None and not self.ended

    def _moved(self, out: Outbox, room: str, now: float) -> None:
        # The next standby, for a stranger who finds this room too; the roster
        # that tells it waits in the channels until they resume there.
        self.standby_room = fresh_room()
        self._broadcast_roster(out, now)
        code, closed = self.admission.move_room(room)
        out.event(CodeIssued(code, CodeCause.MOVED))
        for invitation in closed:
            out.event(InvitationClosed(invitation, CodeState.RETIRED))

    # Entry points for the rep ----------------------------------------------------

    def end(self, now: float) -> Step:
        """End the session for everyone (SPEC S5): only the controlling rep can."""
        out = Outbox()
        if self.ended:
            return out.step()
        for mid in self._chat_targets():
            self._seal(out, mid, SessionEnd(self.name), now)
        self._end(out, Ended(by=self.name))
        return out.step()

    def reopen(self, now: float) -> Step:
        """Reopen joining (after a pause, or to replace the code): a fresh code."""
        self._require_in_session()
        out = Outbox()
        out.event(CodeIssued(self.admission.reopen(), CodeCause.REOPENED))
        return out.step()

    def issue_code(self, role: Role, now: float) -> Step:
        """A fresh code that admits one *role*: a customer, or an assistant (SPEC M4).

        The current code stops working: one code is outstanding at a time.
        """
        self._require_in_session()
        if role is Role.REP:
            raise LocalProtocolError("a code admits a customer or an assistant")
        out = Outbox()
        cause = CodeCause.FOR_ASSISTANT if role is Role.ASSISTANT else CodeCause.REOPENED
        out.event(CodeIssued(self.admission.issue(role), cause))
        return out.step()

    def invite(self, role: Role, now: float) -> Step:
        """A code of its own for an invitation (SPEC S4): it admits one *role* until it expires.

        The read-out code stays as it is; a wrong guess at either costs that code alone.
        """
        self._require_in_session()
        out = Outbox()
        code, expires = self.admission.invite(role, now)
        out.event(InvitationIssued(code, role, expires))
        return out.step()

    def withdraw_invitation(self, label: int, now: float) -> Step:
        """Take back the open invitation in slot *label* (sent to the wrong address, say).

        Its code admits nobody from now on; whoever tries it is told the rep
        withdrew it, and an attempt with it already under way is not admitted.
        """
        self._require_in_session()
        out = Outbox()
        code = self.admission.withdraw_invitation(label)
        out.event(InvitationClosed(code, CodeState.WITHDRAWN))
        return out.step()

    def invitations(self, now: float) -> list[tuple[SessionCode, Role, float]]:
        """The open invitations: code, whom it admits, when it expires (soonest first)."""
        return self.admission.invitations(now)

    def set_primary(self, member_id: int, now: float) -> Step:
        """Make another customer the primary one (SPEC M1) and tell everyone."""
        self._require_in_session()
        member = self.members.get(member_id)
        if member is None or member.role is not Role.CUSTOMER:
            raise LocalProtocolError("only a customer in the session can be the primary customer")
        out = Outbox()
        if member_id != self.primary:
            self.primary = member_id
            self._broadcast_roster(out, now)
            out.event(PrimaryChanged(member))
        return out.step()

    def transfer_control(self, member_id: int, now: float) -> Step:
        """Hand the session to the assistant *member_id* (SPEC M5).

        The step's :attr:`~codec.Step.successor` is this rep's machine from
        now on: a member of the session the new controlling rep runs.
        """
        # The two machines build each other: imported here to avoid a cycle.
        from codec._session_control import hand_over

        return hand_over(self, member_id, now)

    def remove(self, member_id: int, now: float) -> Step:
        """Put another member out of the session; it is told so, then the relay drops it.

        Everyone else gets the roster without it. Its part is over for good:
        a member back from a drop is not let in again (its channel is gone).
        """
        self._require_in_session()
        member = self.members.get(member_id)
        if member is None or member_id == self.local_id:
            raise LocalProtocolError("only another member of the session can be removed")
        out = Outbox()
        # Told first, in words it shows: the roster without it follows (see _remove).
        self._seal(out, member_id, Leave(f"{self.name} removed you from the session"), now)
        self._remove(out, member_id, said_goodbye=False, now=now, by=self.name)
        return out.step()

    def set_role(self, member_id: int, role: Role, now: float) -> Step:
        """Give a member another role (an assistant, say) and tell everyone.

        The member's channels stay as they are: they are keyed on (endpoint
        id, public key), which a role change does not touch.
        """
        self._require_in_session()
        member = self.members.get(member_id)
        if member is None or member_id == self.local_id or role is Role.REP:
            raise LocalProtocolError("only another member's role can change, and not to rep")
        self.members[member_id] = replace(member, role=role)
        demoted = role is not Role.CUSTOMER and self._choose_primary_without(member_id)
        out = Outbox()
        self._broadcast_roster(out, now)
        if demoted:
            out.event(PrimaryChanged(None if self.primary is None else self.members[self.primary]))
        return out.step()

    # Admission -------------------------------------------------------------------

    def _on_handshake(self, out: Outbox, sender: int, payload: bytes, now: float) -> None:
        if sender in self.links:
            out.event(
                Refused(self._label(sender), "an admitted member may not start a new handshake")
            )
            return
        if not self.admission.is_pending(sender) and self._full(self.admission.role_for(payload)):
            # Turned away before any reply: no guess at the code, and the code stays unused.
            out.transmit(sender, not_admitting_payload(NotAdmittingReason.FULL))
            cap = self.max_customers
            out.event(
                TurnedAway(
                    f"the session has {cap} customer{'' if cap == 1 else 's'}, "
                    "as many as the site policy allows"
                )
            )
            return
        event = self.admission.receive(sender, payload, now)
        match event:
            case HandshakeReply(to, reply):
                out.transmit(to, reply)
            case NotAdmitted(to, reply, reason):
                out.transmit(to, reply)
                if reason in _CLOSED_CODE_NOTES:
                    out.event(TurnedAway(_CLOSED_CODE_NOTES[reason]))
                    # Final for that joiner. Without this one connection could probe
                    # label after label for free, each a line on the rep's screen;
                    # now each probe costs a join the relay rate-limits per address.
                    out.actions.append(Disconnect(to))
            case AttemptFailed():
                self._attempt_failed(out, event)
            case Admitted(eid, keys, next_code, role):
                self._admitted_as[eid] = role
                channel = Channel(keys, self.local_id, eid, self.limits)
                self.links[eid] = Link(channel, None, heard=now, sent=now, watched=True)
                self.awaiting_hello[eid] = now + self.timings.hello_timeout
                if next_code is not None:  # None: an invitation's own code was used
                    out.event(CodeIssued(next_code, CodeCause.USED))

    def _attempt_failed(self, out: Outbox, event: AttemptFailed) -> None:
        if event.failures:
            out.event(AttemptRefused(event.reason, event.failures, self.admission.max_failures))
        else:
            out.event(Refused(f"endpoint {event.id}", f"a join attempt: {event.reason}"))
        if event.new_code is not None:
            out.event(CodeIssued(event.new_code, CodeCause.RETIRED))
        if event.withdrawn is not None:
            out.event(InvitationClosed(event.withdrawn, CodeState.RETIRED))
        if event.paused:
            out.event(JoiningPaused(self.admission.session_failures))
        # Free its place in the room; if it already left, the relay ignores this.
        out.actions.append(Disconnect(event.id))

    @property
    def keeps_room(self) -> bool:
        return True

    @property
    def paused(self) -> bool:
        return self.admission.state is DoorState.PAUSED

    def _full(self, role: Role | None) -> bool:
        """Whether the cap is reached for a joiner of *role*, counting those not yet in."""
        if self.max_customers is None or role is not Role.CUSTOMER:
            return False  # the cap is on customers; an assistant's code (or no code) is not one
        customers = sum(m.role is Role.CUSTOMER for m in self.members.values())
        waiting = sum(role is Role.CUSTOMER for role in self._admitted_as.values())
        return customers + waiting >= self.max_customers

    # Members ---------------------------------------------------------------------

    def _speaker(self, sender: int) -> Speaker | None:
        if sender in self.awaiting_hello:
            return Speaker.NEWCOMER
        return Speaker.MEMBER if sender in self.members else None

    def _on_message(self, out: Outbox, sender: int, message: Message, now: float) -> None:
        if sender in self.awaiting_hello:
            if isinstance(message, Hello):
                del self.awaiting_hello[sender]
                self._admit(out, sender, message, now)
            # A keep-alive before the Hello is harmless; the table refused the rest.
            return
        if isinstance(message, Leave):
            self._remove(out, sender, said_goodbye=True, now=now)
            return
        super()._on_message(out, sender, message, now)

    def _admit(self, out: Outbox, endpoint: int, hello: Hello, now: float) -> None:
        try:
            check_public_key(hello.public_key)
        except ProtocolError as e:
            self.links.pop(endpoint, None)
            out.event(TurnedAway(f"they sent {e}"))
            out.actions.append(Disconnect(endpoint))
            return
        role = self._admitted_as.pop(endpoint, Role.CUSTOMER)
        if hello.assist != (role is Role.ASSISTANT):
            self._turn_away(out, endpoint, hello.assist, now)
            return
        member = Member(endpoint, self._unique_name(hello.name), role, hello.public_key)
        self.members[endpoint] = member
        promoted = role is Role.CUSTOMER and self.primary is None
        if promoted:
            self.primary = endpoint
        # Existing members first: the relay keeps each sender's order, so they
        # hold the newcomer's key before the newcomer can write to them.
        self._broadcast_roster(out, now, last=endpoint)
        out.event(MemberAdded(member))
        if promoted:
            out.event(PrimaryChanged(member))

    def _turn_away(self, out: Outbox, endpoint: int, asked_to_assist: bool, now: float) -> None:
        if asked_to_assist:
            told = "this is a customer's code; an assistant needs a code the rep issued for one"
            shown = "they asked to join as an assistant with a customer's code"
        else:
            told = "this is an assistant's code: join with --assist, or ask for a customer's code"
            shown = "they used an assistant's code without asking to assist"
        self._seal(out, endpoint, Leave(told), now)
        del self.links[endpoint]
        out.event(TurnedAway(shown))
        self._disconnect_later(endpoint, now)

    def _disconnect_later(self, endpoint: int, now: float) -> None:
        # Dropped at once, it might never read why: the relay's close can
        # overtake the last message. It gets a moment to leave on its own.
        self._farewells[endpoint] = now + self.timings.farewell_grace

    def _remove(
        self, out: Outbox, endpoint: int, *, said_goodbye: bool, now: float, by: str | None = None
    ) -> None:
        member = self.members.pop(endpoint)
        self._away.discard(endpoint)
        demoted = self._choose_primary_without(endpoint)
        if not said_goodbye:
            # Tell it it is out, in case it is not really gone (the relay may lie).
            self._seal(out, endpoint, self._roster(), now)
            self._disconnect_later(endpoint, now)
        del self.links[endpoint]
        if self.standby_room is not None:
            # It knew where the session would move; the others learn a new place.
            self.standby_room = fresh_room()
        how = Departure.REMOVED if by else Departure.LEFT if said_goodbye else Departure.LOST
        self._broadcast_roster(out, now, gone=((endpoint, how),))
        out.event(MemberRemoved(member, said_goodbye, by))
        if demoted:
            out.event(PrimaryChanged(None if self.primary is None else self.members[self.primary]))

    def _choose_primary_without(self, endpoint: int) -> bool:
        """If *endpoint* was primary, the first other customer is now; whether it changed."""
        if endpoint != self.primary:
            return False
        customers = [m for m in self.roster() if m.role is Role.CUSTOMER and m.id != endpoint]
        self.primary = customers[0].id if customers else None
        return True

    def _on_endpoint_left(self, out: Outbox, endpoint: int, now: float) -> None:
        if self._farewells.pop(endpoint, None) is not None:
            return
        if endpoint in self.awaiting_hello:
            del self.awaiting_hello[endpoint]
            del self.links[endpoint]
            self._admitted_as.pop(endpoint, None)
        elif endpoint in self.members:
            # Perhaps a drop it comes back from (SPEC X3): its frames wait for it.
            self._lost(out, endpoint, now, away=True)
        elif (failed := self.admission.member_left(endpoint)) is not None:
            self._attempt_failed(out, failed)

    def _on_silence(self, out: Outbox, endpoint: int, now: float) -> None:
        if endpoint in self.awaiting_hello:
            self._drop_newcomer(out, endpoint, "did not say who they are in time")
        else:
            self._lost(out, endpoint, now, away=True)

    def _on_gave_up(self, out: Outbox, endpoint: int, now: float) -> None:
        if endpoint in self.awaiting_hello:
            self._drop_newcomer(out, endpoint, "dropped before saying who they are")
        elif endpoint in self.members:
            self._remove(out, endpoint, said_goodbye=False, now=now)

    def _drop_newcomer(self, out: Outbox, endpoint: int, reason: str) -> None:
        del self.awaiting_hello[endpoint]
        del self.links[endpoint]
        out.event(TurnedAway(f"they proved the code but {reason}"))
        out.actions.append(Disconnect(endpoint))

    def _chat_targets(self) -> list[int]:
        return [mid for mid in self.members if mid != self.local_id]

    def _roster(self, gone: tuple[tuple[int, Departure], ...] = ()) -> Roster:
        return Roster(tuple(self.roster()), self.session_id, self.primary, gone, self.standby_room)

    def _broadcast_roster(
        self,
        out: Outbox,
        now: float,
        last: int | None = None,
        gone: tuple[tuple[int, Departure], ...] = (),
    ) -> None:
        roster = self._roster(gone)
        for mid in sorted(self._chat_targets(), key=lambda m: m == last):
            self._seal(out, mid, roster, now)

    def _unique_name(self, wanted: str) -> str:
        """*wanted*, or *wanted* cut and suffixed " (2)", " (3)"... until no name looks the same."""
        taken = {name_key(m.name) for m in self.members.values()}
        limit = self.limits.max_name_chars
        base = wanted.strip()[:limit]
        name, n = base, 2
        while name_key(name) in taken:
            suffix = f" ({n})"
            name = base[: limit - len(suffix)].rstrip() + suffix
            n += 1
        return name

    # Deadlines -------------------------------------------------------------------

    def _deadlines(self) -> list[float | None]:
        return [
            *super()._deadlines(),
            self.admission.next_deadline(),
            *self.awaiting_hello.values(),
            *self._farewells.values(),
        ]

    def _tick(self, out: Outbox, now: float) -> None:
        for eid, deadline in list(self._farewells.items()):
            if deadline <= now:
                del self._farewells[eid]
                out.actions.append(Disconnect(eid))
        for failed in self.admission.expire(now):
            self._attempt_failed(out, failed)
        for code in self.admission.expire_invitations(now):
            out.event(InvitationClosed(code, CodeState.EXPIRED))
        for eid, deadline in list(self.awaiting_hello.items()):
            if deadline <= now:
                self._drop_newcomer(out, eid, "did not say who they are in time")
