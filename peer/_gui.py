"""trio inside Qt's event loop (guest mode), and the viewer windows the CLI opens.

With a display and PySide6, ``helpline`` runs its one trio run as a guest
of Qt's loop (:func:`trio.lowlevel.start_guest_run`): one process, one
thread for trio and Qt, the CLI still reading stdin. Without either it runs
plain ``trio.run`` and nothing else changes; ``/snapshot`` works the same.

Qt callbacks run between trio's steps, outside any trio task, so the
windows reach trio only through :meth:`trio.lowlevel.TrioToken.run_sync_soon`.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from typing import TYPE_CHECKING, Any, TypeVar

import trio

from peer._nursery import open_task_nursery
from peer._share_events import ViewClosed, ViewOpened

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from peer._screen_share import ScreenView
    from peer._share_events import ShareEvent
    from peer._share_rep import InputMessage
    from peer._viewer import ViewerWindow

__all__ = ["ViewerFace", "gui_available", "run_trio"]

log = logging.getLogger("helpline.peer")

T = TypeVar("T")


def gui_available() -> bool:
    """A display to open windows on, and PySide6 to draw them."""
    if os.environ.get("HELPLINE_GUI", "1") == "0":
        return False
    if importlib.util.find_spec("PySide6") is None:
        return False
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    on_x11_or_wayland = sys.platform.startswith(("linux", "freebsd", "openbsd"))
    return not on_x11_or_wayland or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def run_trio(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run *fn* as trio's main task: inside Qt's loop when a GUI is possible."""
    if not gui_available():
        return trio.run(fn, *args)
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    event_type = QEvent.Type(QEvent.registerEventType())

    class _Call(QEvent):
        def __init__(self, fn: Callable[[], object]) -> None:
            super().__init__(event_type)
            self.fn = fn

    class _Runner(QObject):
        def event(self, event: QEvent) -> bool:
            if isinstance(event, _Call):
                event.fn()
                return True
            return False

    runner = _Runner()
    outcome: list[Any] = []

    def done(result: Any) -> None:
        outcome.append(result)
        app.quit()

    trio.lowlevel.start_guest_run(
        fn,
        *args,
        run_sync_soon_threadsafe=lambda call: app.postEvent(runner, _Call(call)),
        done_callback=done,
    )
    app.exec()
    return outcome[0].unwrap()  # type: ignore[no-any-return]


class ViewerFace:
    """Opens a viewer window for each view that starts and closes it when it stops."""

    def __init__(self, send_input: Callable[[InputMessage], Awaitable[None]]) -> None:
        self._send_input = send_input
        self._windows: dict[int, tuple[ViewerWindow, trio.CancelScope]] = {}
        self._token: trio.lowlevel.TrioToken | None = None
        self._in, self._out = trio.open_memory_channel[Any](1024)
        self._nursery: trio.Nursery | None = None

    @property
    def active(self) -> bool:
        return gui_available()

    async def run(self) -> None:
        """Forward what the windows post; runs until cancelled."""
        self._token = trio.lowlevel.current_trio_token()
        async with open_task_nursery() as nursery:
            self._nursery = nursery
            async for message in self._out:
                await self._send_input(message)

    def _post(self, message: InputMessage) -> None:
        # Called by Qt outside trio: hand it over thread-safely; drop if flooded.
        def deliver() -> None:
            try:
                self._in.send_nowait(message)
            except trio.WouldBlock:
                log.info("viewer input dropped: the link is slower than the mouse")

        assert self._token is not None
        self._token.run_sync_soon(deliver)

    async def show(self, event: ShareEvent) -> None:
        if not self.active or self._nursery is None:
            return
        if isinstance(event, ViewOpened):
            key = id(event.view)
            if key in self._windows:
                window, _ = self._windows[key]
                window.set_banner(event.banner, control=event.control)
                return
            from peer._viewer import ViewerWindow

            window = ViewerWindow(event.banner, control=event.control, post=self._post)
            scope = trio.CancelScope()
            self._windows[key] = (window, scope)
            window.show()
            log.info("viewer window opened: %s", event.banner)
            self._nursery.start_soon(self._paint, window, event.view, scope)
        elif isinstance(event, ViewClosed):
            entry = self._windows.pop(id(event.view), None)
            if entry is not None:
                window, scope = entry
                scope.cancel()
                window.close()
                log.info("viewer window closed")

    async def _paint(self, window: ViewerWindow, view: ScreenView, scope: trio.CancelScope) -> None:
        with scope:
            while True:
                if view.frames:
                    window.show_frame(view.picture())
                await view.frame_done.wait()
