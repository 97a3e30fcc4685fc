"""The sessions one rep runs at once (SPEC M3): what a face shows as a list, or as tabs.

A :class:`RepSessions` starts sessions for one rep, numbers them 1, 2, ...
in the order they started and holds each open until it is over; which one
typed lines go to (or which tab is shown) is the face's business. Each
session keeps everything of its own (roster, chat, activities, history
record): the face runs one driver per session, given to :meth:`start`.
The site policy's ``max_sessions`` caps how many are open at once.

:attr:`RepSessions.changes` says when a session starts or ends, so a GUI
can add and remove its tab; each session's own events come from its
:class:`~peer._host.HostSession` as ever.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio

from codec import Role
from peer._errors import NotAllowedError, PeerError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from contextlib import AbstractAsyncContextManager

    from peer._host import HostSession

__all__ = ["RepSession", "RepSessions", "SessionClosed", "SessionOpened"]


@dataclass(eq=False)
class RepSession:
    """One of the rep's sessions: its number in this program, the session, its type."""

    number: int
    session: HostSession
    #: The session type and tracking code it was started with.
    kind: tuple[str, str | None]
    #: Set by the face once it shows the session (typed lines can go to it).
    ready: trio.Event = field(default_factory=trio.Event)

    def customers(self) -> list[str]:
        return [m.name for m in self.session.roster() if m.role is Role.CUSTOMER]


@dataclass(frozen=True, slots=True)
class SessionOpened:
    number: int


@dataclass(frozen=True, slots=True)
class SessionClosed:
    number: int


class RepSessions:
    def __init__(
        self,
        nursery: trio.Nursery,
        opener: Callable[[tuple[str, str | None]], AbstractAsyncContextManager[HostSession]],
        *,
        max_sessions: int,
    ) -> None:
        self._nursery = nursery
        self._open = opener
        self.max_sessions = max_sessions
        #: The open sessions, in the order they started.
        self.sessions: list[RepSession] = []
        self._numbers = itertools.count(1)
        # Unbounded: two small notices per session, and a face that reads none
        # of them (the CLI) must not block the sessions.
        self._changes_in, self.changes = trio.open_memory_channel[SessionOpened | SessionClosed](
            math.inf
        )
        #: Set when the last open session is over.
        self.all_closed = trio.Event()

    def __len__(self) -> int:
        return len(self.sessions)

    async def start(
        self,
        kind: tuple[str, str | None],
        drive: Callable[[RepSession], Awaitable[None]],
    ) -> RepSession:
        """Open a session of *kind* and run *drive* on it (in the background) until it is over.

        Refused past the site policy's ``max_sessions``.
        """
        if len(self.sessions) >= self.max_sessions:
            raise NotAllowedError(
                f"the site policy allows {self.max_sessions} session"
                f"{'' if self.max_sessions == 1 else 's'} at once; end one first"
            )
        started: RepSession = await self._nursery.start(self._hold, kind, drive)
        return started

    def find(self, number: int) -> RepSession:
        for rs in self.sessions:
            if rs.number == number:
                return rs
        open_ = ", ".join(str(rs.number) for rs in self.sessions) or "none"
        raise PeerError(f"there is no open session {number} (open: {open_}); /sessions lists them")

    async def _hold(
        self,
        kind: tuple[str, str | None],
        drive: Callable[[RepSession], Awaitable[None]],
        *,
        task_status: trio.TaskStatus[RepSession] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        async with self._open(kind) as session:
            rs = RepSession(next(self._numbers), session, kind)
            self.sessions.append(rs)
            self._changes_in.send_nowait(SessionOpened(rs.number))
            task_status.started(rs)
            try:
                await drive(rs)
            finally:
                self.sessions.remove(rs)
                self._changes_in.send_nowait(SessionClosed(rs.number))
                if not self.sessions:
                    self.all_closed.set()
