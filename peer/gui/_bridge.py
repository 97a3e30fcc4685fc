"""Where a click becomes trio work: the one door from Qt's callbacks into the session.

In guest mode Qt's callbacks run between trio's steps, outside any trio
task, so they may not call trio (or anything that sends on a memory
channel) directly. A widget's callback hands the call to :meth:`Bridge.call`
instead; it runs as a task of the bridge's nursery on trio's side. A
refusal the session raises for the person (:class:`codec.HelplineError`:
not allowed, no customer yet, a bad file name) goes to *on_error*, which a
window shows in its status line: a mistake costs a message, never the
session.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any

import trio

from codec import HelplineError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Bridge"]

log = logging.getLogger("helpline.peer.gui")


class Bridge:
    def __init__(self, nursery: trio.Nursery, on_error: Callable[[str], None]) -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._nursery = nursery
        self.on_error = on_error

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` (awaited if it is async) on trio's side, soon."""

        def start() -> None:
            self._nursery.start_soon(self._run, fn, args)

        try:
            self._token.run_sync_soon(start)
        except trio.RunFinishedError:
            log.info("a click after the session's trio run ended; ignored")

    async def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            result = fn(*args)
            if inspect.isawaitable(result):
                await result
        except HelplineError as e:
            self.on_error(str(e))
