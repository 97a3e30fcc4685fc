"""The controlling rep's end of a session: the door, the roster, the end.

The host admits joiners through :class:`codec.Admission` (SPAKE2 over the
session code), learns each newcomer's name and key in its first sealed
message, and tells everyone who is in the session. Only the host's roster
is believed, so only the host decides who is in.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import trio

from codec import (
    Admission,
    Admitted,
    AttemptFailed,
    Channel,
    Hello,
    JoinTarget,
    Leave,
    Member,
    Message,
    Role,
    Roster,
    SessionCode,
    SessionEnd,
)
from peer._errors import ConnectionLostError
from peer._events import CodeChanged, JoinAttemptFailed, MemberJoined
from peer._events import MemberLeft as MemberLeftEvent
from peer._session import Session

if TYPE_CHECKING:
    from codec import Limits
    from peer._connection import RelayConnection

__all__ = ["HostSession"]

log = logging.getLogger("helpline.peer")

#: A joiner that proved the code has this long to say who it is.
HELLO_TIMEOUT = 30.0


class HostSession(Session):
    role = Role.REP

    def __init__(
        self,
        conn: RelayConnection,
        name: str,
        limits: Limits,
        *,
        relay: str,
        code: SessionCode,
        max_failures: int,
        handshake_timeout: float,
    ) -> None:
        super().__init__(conn, name, limits)
        self.relay = relay
        self.admission = Admission(
            code, max_failures=max_failures, handshake_timeout=handshake_timeout
        )
        self.members[self.id] = self.me
        self._awaiting_hello: dict[int, float] = {}
        self._deadline_changed = trio.Event()

    @property
    def code(self) -> SessionCode:
        return self.admission.code

    @property
    def link(self) -> str:
        return JoinTarget(self.relay, self.code).link

    async def end(self) -> None:
        """End the session for everyone (SPEC S5)."""
        if self.finished.is_set():
            return
        for mid in list(self.members):
            if mid != self.id:
                try:
                    await self._send_message(mid, SessionEnd(self.name))
                except ConnectionLostError:
                    break
        self.finished.set()

    async def leave(self) -> None:
        # Nobody else can admit joiners or keep the roster: the host leaving ends it.
        await self.end()

    # Admission -------------------------------------------------------------------

    async def _on_handshake(self, sender: int, payload: bytes) -> None:
        if sender in self.members or sender in self._awaiting_hello:
            log.info("handshake payload from admitted endpoint %d; dropped", sender)
            return
        event = self.admission.receive(sender, payload, trio.current_time())
        self._deadline_changed.set()
        if isinstance(event, AttemptFailed):
            await self._attempt_failed(event)
        elif isinstance(event, Admitted):
            self._channels[sender] = Channel(event.keys, self.id, sender, self._limits)
            self._awaiting_hello[sender] = trio.current_time() + HELLO_TIMEOUT
        else:
            await self._conn.send(event.to, event.payload)

    async def _attempt_failed(self, event: AttemptFailed) -> None:
        log.warning("failed join attempt from endpoint %d: %s", event.id, event.reason)
        await self._emit(
            JoinAttemptFailed(event.reason, event.failures, self.admission.max_failures)
        )
        if event.new_code is not None:
            await self._emit(CodeChanged(str(event.new_code), self.link))
        # Free its place in the room; if it already left, the relay ignores this.
        await self._conn.kick(event.id)

    async def _background(self) -> None:
        """Expire handshakes and silent newcomers when their deadlines pass."""
        while True:
            deadlines = [d for d in (self.admission.next_deadline(),) if d is not None]
            deadlines += self._awaiting_hello.values()
            with trio.move_on_at(min(deadlines, default=math.inf)):
                await self._deadline_changed.wait()
                self._deadline_changed = trio.Event()
                continue
            now = trio.current_time()
            for failed in self.admission.expire(now):
                await self._attempt_failed(failed)
            for mid, deadline in list(self._awaiting_hello.items()):
                if deadline <= now:
                    del self._awaiting_hello[mid]
                    self._channels.pop(mid, None)
                    await self._conn.kick(mid)

    # Members ---------------------------------------------------------------------

    async def _on_message(self, sender: int, message: Message) -> None:
        if sender in self._awaiting_hello:
            if isinstance(message, Hello):
                del self._awaiting_hello[sender]
                await self._admit(sender, message)
            else:
                await self._reject(sender, "a newcomer must introduce itself first")
        elif isinstance(message, Leave) and sender in self.members:
            await self._remove(sender, said_goodbye=True)
        else:
            await super()._on_message(sender, message)

    async def _on_endpoint_left(self, endpoint: int) -> None:
        self._awaiting_hello.pop(endpoint, None)
        if endpoint in self.members:
            await self._remove(endpoint, said_goodbye=False)
        elif (failed := self.admission.member_left(endpoint)) is not None:
            await self._attempt_failed(failed)
        self._channels.pop(endpoint, None)

    async def _admit(self, endpoint: int, hello: Hello) -> None:
        name = self._unique_name(hello.name)
        member = Member(endpoint, name, Role.CUSTOMER, hello.public_key)
        self.members[endpoint] = member
        # Existing members first: the relay keeps each sender's order, so they
        # hold the newcomer's key before the newcomer can write to them.
        await self._broadcast_roster(last=endpoint)
        await self._emit(MemberJoined(name, member.role))

    async def _remove(self, endpoint: int, *, said_goodbye: bool) -> None:
        member = self.members.pop(endpoint)
        self._channels.pop(endpoint, None)
        await self._broadcast_roster()
        await self._emit(MemberLeftEvent(member.name, said_goodbye))

    async def _broadcast_roster(self, last: int | None = None) -> None:
        roster = Roster(tuple(self.roster()))
        order = sorted((m for m in self.members if m != self.id), key=lambda m: m == last)
        for mid in order:
            await self._send_message(mid, roster)

    def _unique_name(self, wanted: str) -> str:
        taken = {m.name.casefold() for m in self.members.values()}
        name, n = wanted.strip(), 2
        while name.casefold() in taken:
            name = f"{wanted.strip()} ({n})"
            n += 1
        return name[: self._limits.max_name_chars]
