"""Transfer of control (SPEC M5): the controlling rep hands the session to an assistant.

Theory of operation
-------------------
Authority in a session is whoever the members believe controls it, and
they believe only the controlling rep. So control moves by the controlling
rep's word alone, over the channels members already trust:

1. The controlling rep (a :class:`~codec.HostRules`) ends every admission
   in flight (the door closes with it), tells every member but the new one
   :class:`~codec.ControlMoved`, asks the relay to route later joiners to
   the new rep (:class:`~codec.HandOverDoor`; the relay's word on that is
   routing only), and last sends the new rep a :class:`~codec.ControlGrant`:
   the session's spent failure budget. The new rep draws its code's secret
   itself: a secret the former rep chose, or ever saw, would let the former
   rep (with the relay routing a joiner to it) answer the next joiner's
   handshake as the host. The relay keeps each sender's order, so every member has
   switched before the new rep's first roster can reach it.
2. A member (:class:`~codec.MemberRules`) that hears ControlMoved from the
   controlling rep, naming an assistant it has a channel with, takes that
   assistant as its controlling rep: from then on only its roster and its
   end count, and the former rep is a member like any other (the channel
   with it stays as it is, keyed as before).
3. The assistant that hears ControlGrant from the controlling rep becomes
   the host: a :class:`~codec.HostRules` over the channels it already has,
   with the former rep as an assistant. Its first act is a roster saying so.

The machine of each side is replaced, not mutated into another kind: the
step that moves control carries the :attr:`~codec.Step.successor` that
goes on for that endpoint. Anyone else's ControlMoved or ControlGrant (an
assistant's, say), like anyone else's roster, is refused by the
:data:`~codec.HEARS` table and reported; the relay cannot forge one, since
it cannot seal for a channel.
"""

from __future__ import annotations

from dataclasses import replace

from codec._code import SessionCode
from codec._errors import LocalProtocolError
from codec._messages import ControlGrant, ControlMoved, Role
from codec._session_events import (
    CodeCause,
    CodeIssued,
    ControlChanged,
    Disconnect,
    HandOverDoor,
    JoiningPaused,
    Outbox,
    Refused,
    Step,
)
from codec._session_host import HostRules
from codec._session_member import MemberRules
from codec._session_rules import SessionState

__all__ = ["follow", "hand_over", "take_over"]


def hand_over(host: HostRules, to: int, now: float) -> Step:
    """The controlling rep gives control to the assistant *to*; see the module's steps."""
    host._require_in_session()
    new = host.members.get(to)
    if new is None or to == host.local_id or new.role is not Role.ASSISTANT:
        raise LocalProtocolError("control can go only to an assistant in the session")
    out = Outbox()
    # Whoever is half-way through our door would be stuck there: send them off.
    half_in = host.admission.close_for_hand_over() + list(host.awaiting_hello)
    half_in += list(host._farewells)
    for eid in half_in:
        host.links.pop(eid, None)
        out.actions.append(Disconnect(eid))
    host.awaiting_hello.clear()
    host._admitted_as.clear()
    host._farewells.clear()
    for mid in host._chat_targets():
        if mid != to:
            host._seal(out, mid, ControlMoved(to), now)
    out.actions.append(HandOverDoor(to))
    session_type, tracking = host.kind or (None, None)
    grant = ControlGrant(host.admission.session_failures, session_type, tracking)
    host._seal(out, to, grant, now)
    successor = MemberRules(
        host.local_id,
        to,
        host.name,
        host.code,
        limits=host.limits,
        timings=host.timings,
        private_key=host.private_key,
        assist=True,
        max_customers=host.max_customers,
    )
    successor.carry_on(host, now)
    host.state = SessionState.ENDED  # silently: the successor goes on
    out.event(ControlChanged(new, yours=False))
    out.successor = successor
    return out.step()


def follow(member: MemberRules, moved: ControlMoved, out: Outbox, now: float) -> None:
    """A member told by the controlling rep that *moved.to* controls the session now."""
    new = member.members.get(moved.to)
    if (
        new is None
        or new.role is not Role.ASSISTANT
        or moved.to == member.local_id
        or moved.to not in member.links
    ):
        out.event(
            Refused("the rep", "a transfer of control to someone who is not an assistant here")
        )
        return
    member.switch_controller(moved.to, now)
    out.event(ControlChanged(new, yours=False))


def take_over(member: MemberRules, grant: ControlGrant, out: Outbox, now: float) -> None:
    """The assistant the controlling rep granted control becomes the host."""
    me = member.members.get(member.local_id)
    if me is None or me.role is not Role.ASSISTANT or member.session_id is None:
        out.event(Refused("the rep", "control handed to a member that is not an assistant"))
        return
    former = member.controller
    # Our own secret, never one the former rep knows (see the module's step 1).
    code = SessionCode.fresh_for(member.room, member.label)
    host = HostRules(
        member.local_id,
        member.name,
        code,
        limits=member.limits,
        timings=member.timings,
        private_key=member.private_key,
        session_id=member.session_id,
        max_customers=member.max_customers,
        kind=None if grant.session_type is None else (grant.session_type, grant.tracking),
    )
    host.admission.carry_over(grant.session_failures)
    roles = {member.local_id: Role.REP, former: Role.ASSISTANT}
    host.members = {
        mid: replace(m, role=roles.get(mid, m.role)) for mid, m in member.members.items()
    }
    host.primary = member.primary
    for link in member.links.values():
        # Every channel is host-member now: watched, with fresh clocks.
        link.watched = True
        link.heard = link.sent = now
    host.links = member.links
    host.former_controllers = {*member.former_controllers, former}
    member.state = SessionState.ENDED  # silently: the successor goes on
    host._broadcast_roster(out, now)
    out.event(ControlChanged(host.members[member.local_id], yours=True))
    if host.paused:
        out.event(JoiningPaused(host.admission.session_failures))
    else:
        out.event(CodeIssued(code, CodeCause.TAKEN_OVER))
    out.successor = host
