"""Driving Qt widgets from a trio test: Qt's events pumped beside trio, waits with a limit.

The tests run trio as usual (pytest-trio) and let Qt process its events
from a task every few milliseconds, so a click made with QTest reaches the
widget, and the widget's callback reaches trio through the face's Bridge,
just as in guest mode. Every wait has a time limit and names what it
waited for.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from PySide6.QtWidgets import QApplication

WAIT = 20.0


@asynccontextmanager
async def pumping(app: QApplication) -> AsyncIterator[None]:
    """Qt's events processed every 5 ms until the block ends."""

    async def pump() -> None:
        while True:
            app.processEvents()
            await trio.sleep(0.005)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(pump)
        yield
        nursery.cancel_scope.cancel()


async def until(check: Callable[[], object], what: str, within: float = WAIT) -> None:
    """Wait until *check()* is true; fail naming *what* after *within* seconds."""
    with trio.move_on_after(within):
        # Polling, not an event: what is checked is widget state, which has no trio events.
        while not check():  # noqa: ASYNC110
            await trio.sleep(0.02)
        return
    raise AssertionError(f"gave up after {within:.0f} s waiting for {what}")
