"""A person's end of a session: channels, roster, chat, leaving.

:class:`Session` holds what every member has; :class:`MemberSession` is a
customer's (or assistant's) end, :class:`peer._host.HostSession` the
controlling rep's. One reader task (:meth:`Session.run`) takes envelopes
from the relay in order and turns them into :mod:`peer._events`; faces call
the public methods from their own tasks. Sealing a frame and handing it to
the socket happen under one lock, so frames leave in counter order whichever
task sends them.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import nacl.public
import trio

from codec import (
    Channel,
    Chat,
    Delivered,
    Hello,
    Leave,
    Member,
    MemberLeft,
    Message,
    PayloadKind,
    ProtocolError,
    RelayRejected,
    Role,
    Roster,
    SessionEnd,
    decode_message,
    encode_message,
    member_channel_keys,
    name_problem,
    payload_kind,
    text_problem,
)
from peer._errors import (
    ConnectionLostError,
    InvalidMessageError,
    NotAllowedError,
    UnknownMemberError,
)
from peer._events import (
    ChatReceived,
    MemberJoined,
    MessageRejected,
    SessionEnded,
    SessionEvent,
)
from peer._events import (
    MemberLeft as MemberLeftEvent,
)
from peer._nursery import open_task_nursery

if TYPE_CHECKING:
    from codec import Limits, RelayEnvelope
    from peer._connection import RelayConnection

__all__ = ["MemberSession", "Session"]

log = logging.getLogger("helpline.peer")

#: Events a slow face may leave unread before the reader waits for it.
EVENT_BUFFER = 256


class Session:
    role: Role

    def __init__(self, conn: RelayConnection, name: str, limits: Limits) -> None:
        if (problem := name_problem(name, max_chars=limits.max_name_chars)) is not None:
            raise InvalidMessageError(problem)
        self._conn = conn
        self._limits = limits
        self.name = name
        self.private_key = nacl.public.PrivateKey.generate()
        self.members: dict[int, Member] = {}
        self._channels: dict[int, Channel] = {}
        self._send_lock = trio.Lock()
        self._event_in, self.events = trio.open_memory_channel[SessionEvent](EVENT_BUFFER)
        #: Set once the session is over for us, whatever the cause.
        self.finished = trio.Event()

    @property
    def id(self) -> int:
        return self._conn.id

    @property
    def me(self) -> Member:
        return Member(self.id, self.name, self.role, bytes(self.private_key.public_key))

    def roster(self) -> list[Member]:
        """Everyone in the session, this person included, in joining order."""
        return sorted(self.members.values(), key=lambda m: m.id)

    # Faces call these ---------------------------------------------------------

    async def send_chat(self, text: str, to: list[str] | None = None) -> None:
        """Send *text* to everyone, or privately to the members named in *to*."""
        if not text.strip():
            raise InvalidMessageError("nothing to send")
        limit = self._limits.max_chat_chars
        if (problem := text_problem(text, max_chars=limit, multiline=True)) is not None:
            raise InvalidMessageError(f"not sent: {problem}")
        recipients = [self.find(n).id for n in to] if to else []
        targets = recipients or [mid for mid in self.members if mid != self.id]
        message = Chat(text, tuple(recipients))
        for target in targets:
            await self._send_message(target, message)

    def find(self, name: str) -> Member:
        """The member called *name* (case-insensitive), other than oneself."""
        wanted = name.strip().casefold()
        for member in self.members.values():
            if member.id != self.id and member.name.casefold() == wanted:
                return member
        raise UnknownMemberError(f"nobody called {name!r} is in the session; /who lists who is")

    async def end(self) -> None:
        raise NotAllowedError("only the controlling rep can end the session; use /quit to leave it")

    async def leave(self) -> None:
        raise NotImplementedError

    # The reader ----------------------------------------------------------------

    async def run(self) -> None:
        """Read the relay until the session is over for us; then return."""
        try:
            async with open_task_nursery() as nursery:
                nursery.start_soon(self._conn.keep_alive)
                nursery.start_soon(self._background)
                while not self.finished.is_set():
                    await self._on_envelope(await self._conn.receive())
                nursery.cancel_scope.cancel()
        except ConnectionLostError as e:
            await self._finish(SessionEnded(by=None, lost=str(e)))

    async def _background(self) -> None:
        """Work a side does besides reading (the host's deadlines)."""

    async def _on_envelope(self, env: RelayEnvelope) -> None:
        match env:
            case Delivered(sender, payload):
                await self._on_delivered(sender, payload)
            case MemberLeft(endpoint):
                await self._on_endpoint_left(endpoint)
            case RelayRejected(reason, message, fatal):
                log.warning("relay refused something: %s (%s)", message, reason)
                if fatal:
                    await self._finish(SessionEnded(by=None, lost=f"the relay said: {message}"))

    async def _on_delivered(self, sender: int, payload: bytes) -> None:
        try:
            kind = payload_kind(payload)
        except ProtocolError as e:
            await self._reject(sender, str(e))
            return
        if kind is not PayloadKind.SEALED:
            await self._on_handshake(sender, payload)
            return
        channel = self._channels.get(sender)
        if channel is None:
            log.info("sealed frame from endpoint %d with no channel; dropped", sender)
            return
        try:
            message = decode_message(channel.open(payload), self._limits)
        except ProtocolError as e:
            await self._reject(sender, str(e))
            return
        await self._on_message(sender, message)

    async def _on_handshake(self, sender: int, payload: bytes) -> None:
        log.info("handshake payload from endpoint %d outside a handshake; dropped", sender)

    async def _on_message(self, sender: int, message: Message) -> None:
        member = self.members.get(sender)
        if isinstance(message, Chat) and member is not None:
            if message.to and self.id not in message.to:
                await self._reject(sender, "a private message addressed to someone else")
                return
            await self._emit(ChatReceived(member.name, message.text, private=bool(message.to)))
        else:
            await self._reject(sender, f"unexpected {type(message).__name__} message")

    async def _on_endpoint_left(self, endpoint: int) -> None:
        pass

    # Helpers for both sides ------------------------------------------------------

    async def _send_message(self, to: int, message: Message) -> None:
        channel = self._channels.get(to)
        if channel is None:
            raise UnknownMemberError("that member is no longer in the session")
        async with self._send_lock:
            await self._conn.send(to, channel.seal(encode_message(message)))

    async def _emit(self, event: SessionEvent) -> None:
        await self._event_in.send(event)

    async def _reject(self, sender: int, reason: str) -> None:
        member = self.members.get(sender)
        who = member.name if member else f"endpoint {sender}"
        log.warning("rejected a message from %s: %s", who, reason)
        await self._emit(MessageRejected(who, reason))

    async def _finish(self, event: SessionEnded) -> None:
        if not self.finished.is_set():
            self.finished.set()
            await self._emit(event)


class MemberSession(Session):
    """A customer's end: one channel to the host, one to each other member."""

    role = Role.CUSTOMER

    def __init__(
        self, conn: RelayConnection, name: str, limits: Limits, host_channel: Channel
    ) -> None:
        super().__init__(conn, name, limits)
        self.host_id = host_channel.remote_id
        self._channels[self.host_id] = host_channel
        self._seen_roster = False

    async def send_hello(self) -> None:
        """Tell the host who we are: the first sealed message after the handshake."""
        await self._send_message(self.host_id, Hello(self.name, bytes(self.private_key.public_key)))

    @property
    def has_roster(self) -> bool:
        return self._seen_roster

    async def leave(self) -> None:
        """Say goodbye to the host (it tells the others) and stop."""
        if self.finished.is_set():
            return
        with contextlib.suppress(ConnectionLostError, UnknownMemberError):
            await self._send_message(self.host_id, Leave())
        self.finished.set()

    async def _on_message(self, sender: int, message: Message) -> None:
        if sender == self.host_id and isinstance(message, Roster):
            await self._apply_roster(message)
        elif sender == self.host_id and isinstance(message, SessionEnd):
            await self._finish(SessionEnded(by=message.by))
        else:
            await super()._on_message(sender, message)

    async def _on_endpoint_left(self, endpoint: int) -> None:
        if endpoint == self.host_id:
            await self._finish(
                SessionEnded(by=None, lost="the rep's connection dropped; the session is over")
            )

    async def _apply_roster(self, roster: Roster) -> None:
        new = {m.id: m for m in roster.members}
        me = new.get(self.id)
        if me is None or self.host_id not in new or new[self.host_id].role is not Role.REP:
            await self._reject(self.host_id, "a roster that leaves out this member or the rep")
            return
        first = not self._seen_roster
        self._seen_roster = True
        self.name = me.name  # the host may have told two Bobs apart
        old = self.members
        self.members = new
        for mid, member in new.items():
            if mid in (self.id, self.host_id) or (mid in old and old[mid] == member):
                continue
            keys = member_channel_keys(self.private_key, member.public_key, self.id, mid)
            self._channels[mid] = Channel(keys, self.id, mid, self._limits)
            if not first:
                await self._emit(MemberJoined(member.name, member.role))
        for mid, member in old.items():
            if mid not in new:
                self._channels.pop(mid, None)
                await self._emit(MemberLeftEvent(member.name, said_goodbye=True))

    async def wait_for_roster(self) -> None:
        """Process envelopes until the host's first roster arrives."""
        while not self._seen_roster:
            await self._on_envelope(await self._conn.receive())
            if self.finished.is_set():
                return
