"""A person's end of a session: moving bytes for the session rules, showing their events.

Every rule of a session (who may say what, whose roster counts, private
delivery, deadlines, the join) lives in :mod:`codec`'s sans-IO machines,
:class:`codec.HostRules` and :class:`codec.MemberRules`. A :class:`Session`
feeds them what the relay delivers and the time, carries out the actions
they return (send these bytes, drop that endpoint) and turns their events
into :mod:`peer._events` for the face.

Whether this person controls the session is the machine's kind, and a
transfer of control (SPEC M5) replaces the machine (the step's
``successor``): the rep's commands (:meth:`Session.end`,
:meth:`Session.reopen`, :meth:`Session.transfer_control`, ...) therefore
ask the current machine, and work for whoever controls the session now.

One reader task (:meth:`Session.run`) takes envelopes from the relay in
order; a clock task calls the machine when its next deadline passes; faces
call the public methods from their own tasks. Each call into the machine
and the sending of what it returns happen under one lock, so frames leave
in counter order whichever task sends them.

When the connection drops (SPEC X3) the reader tells the rules (they keep
every frame from then on), shows :class:`Reconnecting`, and comes back to
the same room with the same endpoint id (:mod:`peer._reconnect`); the rules
then ask each channel where to resume, and :class:`Reconnected` is shown.
What faces send meanwhile is kept and delivered once, in order.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
from contextlib import AsyncExitStack
from functools import partial
from typing import TYPE_CHECKING

import trio

from codec import (
    AttemptRefused,
    ChatArrived,
    CodeIssued,
    ControlChanged,
    Delivered,
    Disconnect,
    Ended,
    FileMessage,
    HandOverDoor,
    HostRules,
    InSession,
    InvitationClosed,
    InvitationIssued,
    JoiningPaused,
    JoinTarget,
    LocalProtocolError,
    Member,
    MemberAdded,
    MemberAway,
    MemberBack,
    MemberLeft,
    MemberRemoved,
    MemberRules,
    MessageArrived,
    PrimaryChanged,
    Refused,
    RelayRejected,
    Role,
    RoomMoved,
    RoomTaken,
    SessionState,
    StandbyProbe,
    Transmit,
    TurnedAway,
    name_key,
    relay_says,
    text_problem,
)
from peer._errors import (
    ConnectionLostError,
    InvalidMessageError,
    NotAllowedError,
    PlaceLostError,
    SessionLostError,
    UnknownMemberError,
)
from peer._events import (
    ChatReceived,
    CodeChanged,
    InvitationEnded,
    JoinAttemptFailed,
    JoinerTurnedAway,
    MemberJoined,
    MessageReceived,
    MessageRejected,
    Reconnected,
    Reconnecting,
    SessionEnded,
    SessionEvent,
)
from peer._events import ControlChanged as ControlChangedEvent
from peer._events import JoiningPaused as JoiningPausedEvent
from peer._events import MemberAway as MemberAwayEvent
from peer._events import MemberBack as MemberBackEvent
from peer._events import MemberLeft as MemberLeftEvent
from peer._events import PrimaryChanged as PrimaryChangedEvent
from peer._events import RoomTaken as RoomTakenEvent
from peer._nursery import open_task_nursery
from peer._reconnect import PLACE_DELAY, reconnect
from peer._reconnect import visit as visit_room

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import nacl.public

    from codec import (
        Limits,
        Message,
        RelayEnvelope,
        RulesEvent,
        SessionCode,
        SessionRules,
        Step,
    )
    from peer._connection import RelayConnection
    from peer._file_transfers import FileTransfers

__all__ = ["MemberSession", "Session"]

log = logging.getLogger("helpline.peer")
#: Why a member leaves its room for a moment (codec.StandbyProbe).
_LOOKING = (
    "the rep's side does not answer in this room; looking for the session in the "
    "room the rep keeps for a move"
)

#: Events a slow face may leave unread before the reader waits for it.
EVENT_BUFFER = 256
#: How long a cancelled step may still take to show what it received (seconds).
EVENT_GRACE = 5.0


class Session:
    def __init__(self, conn: RelayConnection, rules: SessionRules, relay: str) -> None:
        self._conn = conn
        self.rules = rules
        self.relay = relay
        self._lock = trio.Lock()
        self._event_in, self.events = trio.open_memory_channel[SessionEvent](EVENT_BUFFER)
        self._deadline_changed = trio.Event()
        #: When the clock task wakes next (it is woken early only for an earlier deadline).
        self._clock_at = -math.inf
        #: How the rules ended the session, once they have.
        self.ended: Ended | None = None
        #: Set once the session is over for us, whatever the cause.
        self.finished = trio.Event()
        #: The file-transfer engine, once a face has started one (peer._file_session).
        self.files: FileTransfers | None = None
        #: False while the connection is down and we are coming back.
        self.connected = True
        #: Frames handed to connections before the current one.
        self._frames_before = 0
        #: Why the relay said it closes this connection (its close says only a code).
        self._refusal: str | None = None
        #: The room the rules said to move to, coming back (see _come_back).
        self._move_to: str | None = None
        #: The standby room to look for the session in before coming back (StandbyProbe).
        self._visit: str | None = None
        #: Called with a reason the moment control moves (SPEC M5): a sharing side
        #: ends its activities there, before any later message is looked at.
        self.control_hooks: list[Callable[[str], Awaitable[None]]] = []

    @property
    def id(self) -> int:
        return self._conn.id

    @property
    def name(self) -> str:
        return self.rules.name

    @property
    def limits(self) -> Limits:
        return self.rules.limits

    @property
    def private_key(self) -> nacl.public.PrivateKey:
        return self.rules.private_key

    @property
    def members(self) -> dict[int, Member]:
        return self.rules.members

    @property
    def role(self) -> Role:
        """This person's role as the controlling rep's roster states it.

        Right after a transfer of control the new rep's roster may still be on
        its way; the machine's kind already says who is the rep.
        """
        if isinstance(self.rules, HostRules):
            return Role.REP
        me = self.rules.members.get(self.id)
        role = me.role if me is not None else self.rules.role
        return Role.ASSISTANT if role is Role.REP else role

    @property
    def controlling(self) -> bool:
        """Whether this person is the controlling rep now (it can change: SPEC M5)."""
        return isinstance(self.rules, HostRules)

    @property
    def controller(self) -> Member | None:
        """The controlling rep, as this side believes it."""
        rules = self.rules
        mid = rules.controller if isinstance(rules, MemberRules) else self.id
        return rules.members.get(mid)

    @property
    def host_rules(self) -> HostRules:
        """The controlling rep's machine; refused when someone else controls the session."""
        if not isinstance(self.rules, HostRules):
            raise NotAllowedError(self._not_controlling())
        return self.rules

    def _not_controlling(self) -> str:
        controller = self.controller
        who = f" ({controller.name})" if controller is not None and controller.id != self.id else ""
        return f"only the controlling rep{who} can do that"

    @property
    def primary(self) -> Member | None:
        """The primary customer (SPEC M1), as the controlling rep decides it."""
        return None if self.rules.primary is None else self.rules.members.get(self.rules.primary)

    @property
    def me(self) -> Member:
        return Member(self.id, self.name, self.role, self.rules.public_key)

    def roster(self) -> list[Member]:
        """Everyone in the session, this person included, in joining order."""
        return self.rules.roster()

    @property
    def frames_sent(self) -> int:
        """Frames handed to the relay so far; those past :attr:`frames_confirmed`
        may not have reached it (a face names the typed lines among them)."""
        return self._frames_before + self._conn.sent

    @property
    def frames_confirmed(self) -> int:
        return self._frames_before + self._conn.confirmed

    @property
    def resume_timeout(self) -> float:
        """How long a drop may last before the session gives up (SPEC X3)."""
        return self.rules.timings.resume_timeout

    # Faces call these ---------------------------------------------------------

    async def send_chat(self, text: str, to: list[str] | None = None) -> None:
        """Send *text* to everyone, or privately to the members named in *to*."""
        if not text.strip():
            raise InvalidMessageError("nothing to send")
        limit = self.limits.max_chat_chars
        if (problem := text_problem(text, max_chars=limit, multiline=True)) is not None:
            raise InvalidMessageError(f"not sent: {problem}")
        recipients = [self.find(n).id for n in to] if to else []
        await self._call(lambda now: self.rules.send_chat(text, recipients, now))

    async def send_message(self, to: int, message: Message) -> None:
        """Send another feature's *message* to the member *to* over its channel."""
        await self._call(lambda now: self.rules.send_message(to, message, now))

    def find(self, name: str) -> Member:
        """The member called *name* (case and look-alike forms ignored), other than oneself."""
        wanted = name_key(name)
        for member in self.members.values():
            if member.id != self.id and name_key(member.name) == wanted:
                return member
        raise UnknownMemberError(f"nobody called {name!r} is in the session; /who lists who is")

    # The controlling rep's commands ---------------------------------------------

    @property
    def code(self) -> SessionCode:
        """The code to give the next person; it changes once someone used it."""
        return self.host_rules.code

    @property
    def link(self) -> str:
        return JoinTarget(self.relay, self.code).link

    @property
    def paused(self) -> bool:
        """Joining is paused: the session's failure budget is spent; :meth:`reopen`."""
        return self.host_rules.paused

    async def reopen(self) -> None:
        """Reopen joining with a fresh code (a :class:`CodeChanged` event shows it)."""
        await self._call(self.host_rules.reopen)

    async def assistant_code(self) -> None:
        """Issue a code that admits one assistant (a :class:`CodeChanged` event shows it)."""
        rules = self.host_rules
        await self._call(lambda now: rules.issue_code(Role.ASSISTANT, now))

    async def invite(self, role: Role) -> SessionCode:
        """A code of its own for an invitation (SPEC S4) that admits one *role* until it expires.

        The code the rep reads out stays as it is.
        """
        rules = self.host_rules
        minted: list[SessionCode] = []

        def mint(now: float) -> Step:
            step = rules.invite(role, now)
            minted.extend(e.code for e in step.events if isinstance(e, InvitationIssued))
            return step

        await self._call(mint)
        return minted[0]

    def invitations(self) -> list[tuple[SessionCode, Role, float]]:
        """The open invitations: code, whom it admits, seconds until it expires; soonest first."""
        now = trio.current_time()
        return [(code, role, at - now) for code, role, at in self.host_rules.invitations(now)]

    async def withdraw_invitation(self, code: SessionCode) -> None:
        """Take back an open invitation: its code admits nobody from now on."""
        rules = self.host_rules
        await self._call(lambda now: rules.withdraw_invitation(code.label, now))

    async def set_primary(self, name: str) -> None:
        """Make the customer called *name* the primary customer (SPEC M1)."""
        rules, member = self.host_rules, self.find(name)
        await self._call(lambda now: rules.set_primary(member.id, now))

    async def transfer_control(self, name: str) -> None:
        """Hand the session to the assistant called *name* (SPEC M5).

        Every activity stops (a :class:`ControlChanged` event on each side
        says so); this person goes on as an assistant.
        """
        rules, member = self.host_rules, self.find(name)
        if member.role is not Role.ASSISTANT:
            raise NotAllowedError(
                f"{member.name} is a {member.role.value}: control goes only to an assistant "
                "(invite another rep with /assistant)"
            )
        await self._call(lambda now: rules.transfer_control(member.id, now))

    async def remove_member(self, name: str) -> None:
        """Put the member called *name* out of the session: the controlling rep only.

        It is told who removed it and its session ends; everyone else gets
        the roster without it (a :class:`MemberLeft` with ``removed_by``).
        """
        rules, member = self.host_rules, self.find(name)
        await self._call(lambda now: rules.remove(member.id, now))

    async def end(self) -> None:
        """End the session for everyone (SPEC S5): the controlling rep only."""
        if not isinstance(self.rules, HostRules):
            controller = self.controller
            hint = (
                f"; {controller.name} can hand control back with /transfer-control"
                if controller is not None and self.role is not Role.CUSTOMER
                else ""
            )
            raise NotAllowedError(
                "only the controlling rep can end the session; use /quit to leave it" + hint
            )
        if self.finished.is_set():
            return
        rules = self.rules
        with contextlib.suppress(ConnectionLostError):
            await self._call(rules.end, local_end=True)
        self.finished.set()

    async def leave(self) -> None:
        """Leave the session; the controlling rep's leaving ends it (nobody keeps the door)."""
        if isinstance(self.rules, HostRules):
            await self.end()
            return
        if self.finished.is_set():
            return
        rules = self.rules
        assert isinstance(rules, MemberRules)
        with contextlib.suppress(ConnectionLostError):
            await self._call(rules.leave, local_end=True)
        self.finished.set()

    # The reader ----------------------------------------------------------------

    async def run(self) -> None:
        """Read the relay until the session is over for us, coming back after drops."""
        async with open_task_nursery() as nursery, AsyncExitStack() as stack:
            nursery.start_soon(self._clock)
            while not self.finished.is_set():
                lost = await self._read()
                if lost is None or not await self._come_back(stack, lost):
                    break
            nursery.cancel_scope.cancel()

    async def _read(self) -> str | None:
        """Read this connection until the session is over (None) or it drops (why)."""
        lost: str | None = None
        self._refusal = None
        try:
            async with open_task_nursery() as nursery:
                nursery.start_soon(self._conn.keep_alive)
                while not self.finished.is_set():
                    await self.handle(await self._conn.receive())
                nursery.cancel_scope.cancel()
        except* ConnectionLostError as group:
            # The pinger and the reader often notice the same drop together.
            lost = self._refusal or _first(group)
        return lost

    async def _come_back(self, stack: AsyncExitStack, why: str) -> bool:
        """Reconnect after a drop; False if the session is over instead."""
        if not self.rules.resumable:
            await self._finish(SessionEnded(by=None, lost=why))
            return False
        self.connected = False
        await self._call(self.rules.connection_lost)
        visit, self._visit = self._visit, None
        if visit is not None:
            why = _LOOKING
        await self._emit(Reconnecting(why))
        log.info("connection lost (%s); reconnecting", why)
        give_up_at = trio.current_time() + self.resume_timeout
        room, tried = None, False
        if visit is not None and await self._visit_standby(stack, visit):
            await self._emit(Reconnected())
            return True
        while True:
            await stack.aclose()  # the previous replacement connection, if any
            try:
                conn = await reconnect(
                    stack,
                    self._conn,
                    room=room,
                    floor=self._floor(),
                    limits=self.limits,
                    # A move or a second try gets what is left of the resume time.
                    within=(
                        self.resume_timeout
                        if room is None and not tried
                        else max(0.0, give_up_at - trio.current_time())
                    ),
                    why=why,
                )
            except PlaceLostError as e:
                if self.rules.keeps_room:
                    await self._call(self.rules.place_lost)
                    if self._move_to is not None:
                        room, self._move_to = self._move_to, None
                        continue
                else:
                    # Someone holds our place here: the rep may have moved the session.
                    standby = self.rules.standby_room
                    if standby is not None and await self._visit_standby(stack, standby):
                        break
                    if trio.current_time() < give_up_at:
                        await trio.sleep(random.uniform(PLACE_DELAY / 2, PLACE_DELAY))
                        tried = True
                        continue
                await self._finish(SessionEnded(by=None, lost=str(e)))
                return False
            except SessionLostError as e:
                await self._finish(SessionEnded(by=None, lost=str(e)))
                return False
            self._frames_before += self._conn.sent
            self._conn = conn
            self.connected = True
            await self._call(partial(self._reconnected, conn.welcome.host))
            if self._move_to is None:
                break
            # A stranger holds the room: the rules sent nothing there, and the
            # session goes on in the standby room they named.
            room, self._move_to = self._move_to, None
            self.connected = False
        await self._emit(Reconnected())
        return True

    async def _visit_standby(self, stack: AsyncExitStack, room: str) -> bool:
        """Look for the session in the standby *room*; True if we are in it now."""
        await stack.aclose()
        found = await visit_room(stack, self._conn, room=room, limits=self.limits)
        if found is None:
            return False
        self._frames_before += self._conn.sent
        self._conn = found
        self.connected = True
        await self._call(self.rules.standby_found)
        self._move_to = None  # the move it announced: we are there already
        await self._call(partial(self._reconnected, found.welcome.host))
        return True

    def _reconnected(self, host: int, now: float) -> Step:
        return self.rules.reconnected(now, host=host)

    def _floor(self) -> int | None:
        """For the side that keeps the room: ids below this belong to the session
        (None: a member, which joins the room someone else re-creates)."""
        if not self.rules.keeps_room:
            return None
        # A relay that restarted must not give a newcomer the id of a member
        # still on its way back: ids up to the highest ever used stay ours.
        return max([self.id, *self.rules.members, *self.rules.links]) + 1

    async def handle(self, env: RelayEnvelope) -> None:
        """Feed one relay envelope to the rules and do what they say."""
        match env:
            case Delivered(sender, payload):
                await self._call(lambda now: self.rules.receive(sender, payload, now))
            case MemberLeft(endpoint):
                await self._call(lambda now: self.rules.endpoint_left(endpoint, now))
            case RelayRejected(reason, message, fatal):
                if fatal:
                    self._refusal = relay_says(reason, message)
                await self._call(lambda _: self.rules.relay_refused(reason, message, fatal=fatal))

    async def _clock(self) -> None:
        """Call the rules back when their next deadline passes (keep-alives, timeouts)."""
        while True:
            deadline = self.rules.next_deadline()
            self._clock_at = math.inf if deadline is None else deadline
            with trio.move_on_at(self._clock_at):
                await self._deadline_changed.wait()
                self._deadline_changed = trio.Event()
                continue
            await self._call(self.rules.tick)

    # Applying a step -------------------------------------------------------------

    async def _call(self, fn: Callable[[float], Step], *, local_end: bool = False) -> None:
        async with self._lock:
            former = self.controller
            try:
                step = fn(trio.current_time())
            except LocalProtocolError as e:
                raise InvalidMessageError(str(e)) from None
            if step.successor is not None:
                # Control moved (SPEC M5): the old machine is finished; this one goes on.
                self.rules = step.successor
            # Waking the clock per message cost a task switch per file chunk; a
            # deadline that moved later only makes it tick once for nothing.
            deadline = self.rules.next_deadline()
            if step.successor is not None or (deadline is not None and deadline < self._clock_at):
                self._clock_at = -math.inf
                self._deadline_changed.set()
            try:
                await self._carry_out(step)
            except BaseException:
                # Cancelled mid-send (the reader, when the pinger noticed a drop
                # first): the channels have moved past the frames this step opened,
                # so what they carried is shown all the same, or it is lost for good.
                with trio.CancelScope(shield=True, deadline=trio.current_time() + EVENT_GRACE):
                    await self._show_all(step, former, local_end)
                raise
            await self._show_all(step, former, local_end)

    async def _carry_out(self, step: Step) -> None:
        try:
            for action in step.actions:
                if not self.connected:
                    break  # kept by the rules' channels; sent again after the resume
                match action:
                    case Transmit(to, payload):
                        await self._conn.send(to, payload)
                    case Disconnect(eid):
                        await self._conn.kick(eid)
                    case HandOverDoor(eid):
                        await self._conn.hand_over(eid)
        except ConnectionLostError as e:
            # The reader sees the same drop and reconnects; sealed frames are kept.
            log.info("a send failed (%s); it is sent again after the resume", e)

    async def _show_all(self, step: Step, former: Member | None, local_end: bool) -> None:
        for event in step.events:
            if isinstance(event, ControlChanged):
                await self._control_changed(event, former)
            else:
                await self._show(event, local_end=local_end)

    async def _show(self, event: RulesEvent, *, local_end: bool) -> None:
        match event:
            case ChatArrived(sender, text, private, to):
                names = tuple(m.name for m in to)
                await self._emit(ChatReceived(sender.name, text, private, sender.role, names))
            case MessageArrived(sender, message):
                if self.files is not None and isinstance(message, FileMessage):
                    self.files.handle(sender, message)  # never waits: safe under the lock
                else:
                    await self._emit(MessageReceived(sender, message))
            case MemberAdded(member):
                if self.files is not None:
                    self.files.member_joined(member)
                await self._emit(MemberJoined(member.name, member.role))
            case MemberRemoved(member, said_goodbye, removed_by):
                if self.files is not None:
                    how = (
                        f" (removed by {removed_by})"
                        if removed_by
                        else ("" if said_goodbye else " (connection lost)")
                    )
                    self.files.member_left(member, f"{member.name} left{how}")
                await self._emit(MemberLeftEvent(member.name, said_goodbye, removed_by))
            case Refused(sender, reason):
                log.warning("rejected something from %s: %s", sender, reason)
                await self._emit(MessageRejected(sender, reason))
            case TurnedAway(reason):
                log.warning("turned away someone trying to join: %s", reason)
                await self._emit(JoinerTurnedAway(reason))
            case AttemptRefused(reason, failures, max_failures):
                log.warning("failed join attempt: %s", reason)
                await self._emit(JoinAttemptFailed(reason, failures, max_failures))
            case CodeIssued(code, cause):
                link = JoinTarget(self.relay, code).link
                await self._emit(CodeChanged(str(code), link, cause))
            case JoiningPaused(failures):
                await self._emit(JoiningPausedEvent(failures))
            case InvitationClosed(code, why):
                await self._emit(InvitationEnded(str(code), why.value))
            case PrimaryChanged(member):
                await self._emit(PrimaryChangedEvent(None if member is None else member.name))
            case MemberAway(member):
                away = MemberAwayEvent(member.name, member.role, self.resume_timeout)
                await self._emit(away)
            case MemberBack(member):
                await self._emit(MemberBackEvent(member.name))
            case RoomTaken(host, text):
                log.warning("the relay names endpoint %d as our room's host: %s", host, text)
                await self._emit(RoomTakenEvent(text))
            case StandbyProbe(room):
                log.info("the rep does not answer in our room; looking in room %s", room)
                self._visit = room
                await self._conn.drop()
            case RoomMoved(room, text):
                log.warning("a stranger holds our room on the relay; moving to room %s", room)
                self._move_to = room
                await self._emit(RoomTakenEvent(text))
            case InSession():
                pass
            case Ended(by, reason, _, removed_by):
                self.ended = event
                if local_end:
                    self.finished.set()
                else:
                    lost = None if by else reason
                    await self._finish(SessionEnded(by=by, lost=lost, removed_by=removed_by))

    async def _control_changed(self, event: ControlChanged, former: Member | None) -> None:
        reason = f"control of the session moved to {event.controller.name}"
        if self.files is not None:
            # Transfers stop on every side; the new rep's engine acts as the rep.
            self.files.control_moved(self.role, reason)
        for hook in self.control_hooks:
            await hook(reason)
        name = None if former is None else former.name
        await self._emit(ControlChangedEvent(event.controller.name, event.yours, name))

    async def _emit(self, event: SessionEvent) -> None:
        await self._event_in.send(event)

    async def _finish(self, event: SessionEnded) -> None:
        if not self.finished.is_set():
            self.finished.set()
            await self._emit(event)


class MemberSession(Session):
    """A customer's or an assistant's end: it joins through the controlling rep."""

    def __init__(self, conn: RelayConnection, rules: MemberRules, relay: str) -> None:
        super().__init__(conn, rules, relay)
        self._joining = rules

    @property
    def host_id(self) -> int:
        """The controlling rep's endpoint id (it changes when control moves: SPEC M5)."""
        controller = self.controller
        return self.id if controller is None else controller.id

    async def join(self) -> None:
        """Run the join until the host's first roster or the join's end.

        Raises the join's own error (a wrong code, a host not admitting) or
        SessionLostError with the reason.
        """
        rules = self._joining
        await self._call(rules.start)
        with trio.fail_after(4 * rules.timings.join_timeout):
            while rules.state is SessionState.JOINING and self.ended is None:
                await self._wait_or_tick()
        if self.ended is not None:
            if self.ended.error is not None:
                raise self.ended.error
            raise SessionLostError(self.ended.reason or "the rep's side did not let us in")

    async def _wait_or_tick(self) -> None:
        deadline = self.rules.next_deadline()
        env = None
        with trio.move_on_at(math.inf if deadline is None else deadline):
            env = await self._conn.receive()
        if env is None:
            await self._call(self.rules.tick)
        else:
            await self.handle(env)


def _first(group: BaseExceptionGroup[ConnectionLostError]) -> str:
    """The first drop's sentence, from a group of one or more."""
    first: BaseException = group
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return str(first)
