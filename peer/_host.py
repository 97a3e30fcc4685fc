"""The controlling rep's end of a session: a :class:`codec.HostRules` driven over the relay.

The rules admit joiners (SPAKE2 over a single-use code, with the failure
budgets of :class:`codec.Admission`), keep the roster and decide who may
say what; this class only moves their bytes and offers the rep's commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer._session import Session

if TYPE_CHECKING:
    from codec import HostRules
    from peer._connection import RelayConnection

__all__ = ["HostSession"]


class HostSession(Session):
    """The rep who started the session. Its commands live on :class:`Session`,
    since control can move to an assistant and back (SPEC M5)."""

    def __init__(self, conn: RelayConnection, rules: HostRules, relay: str) -> None:
        super().__init__(conn, rules, relay)
