"""The controlling rep's end of a session: a :class:`codec.HostRules` driven over the relay.

The rules admit joiners (SPAKE2 over a single-use code, with the failure
budgets of :class:`codec.Admission`), keep the roster and decide who may
say what; this class only moves their bytes and offers the rep's commands.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from codec import JoinTarget, Role
from peer._errors import ConnectionLostError
from peer._session import Session

if TYPE_CHECKING:
    from codec import HostRules, SessionCode
    from peer._connection import RelayConnection

__all__ = ["HostSession"]


class HostSession(Session):
    def __init__(self, conn: RelayConnection, rules: HostRules, relay: str) -> None:
        super().__init__(conn, rules, relay)
        self.host_rules = rules

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
        await self._call(lambda now: self.host_rules.issue_code(Role.ASSISTANT, now))

    async def set_primary(self, name: str) -> None:
        """Make the customer called *name* the primary customer (SPEC M1)."""
        member = self.find(name)
        await self._call(lambda now: self.host_rules.set_primary(member.id, now))

    def _floor(self) -> int:
        # A relay that restarted must not give a newcomer the id of a member
        # still on its way back: ids up to the highest ever used stay ours.
        return max([self.id, *self.rules.members, *self.rules.links]) + 1

    async def end(self) -> None:
        """End the session for everyone (SPEC S5)."""
        if self.finished.is_set():
            return
        with contextlib.suppress(ConnectionLostError):
            await self._call(self.host_rules.end, local_end=True)
        self.finished.set()

    async def leave(self) -> None:
        # Nobody else can admit joiners or keep the roster: the host leaving ends it.
        await self.end()
