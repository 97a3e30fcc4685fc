"""Small helpers for session tests: waiting for events with a time limit."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import trio

from codec import JoinTarget

if TYPE_CHECKING:
    from peer._events import SessionEvent
    from peer._session import Session

E = TypeVar("E")

WAIT = 10.0


async def next_event(session: Session, kind: type[E], *, within: float = WAIT) -> E:
    """The next event of *kind*; other events before it are skipped."""
    with trio.fail_after(within):
        async for event in session.events:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"session events ended before a {kind.__name__}")


def pending_events(session: Session) -> list[SessionEvent]:
    """Events already delivered and not yet read, without waiting."""
    out: list[SessionEvent] = []
    while True:
        try:
            out.append(session.events.receive_nowait())
        except trio.WouldBlock:
            return out


def invite(rep: Session) -> JoinTarget:
    """Where the next person joins: the rep's relay and its current code (a code admits one)."""
    return JoinTarget(rep.relay, rep.code)
