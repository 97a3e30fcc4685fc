"""What the X server can tell the sharer: its windows, and when the screen changed.

:class:`X11Windows` finds top-level application windows (through the window
manager's ``_NET_CLIENT_LIST`` where there is one, else the root's mapped
children with a name), follows one as it moves, and says which parts of it
other windows cover, so only that application's own pixels leave.

:class:`DamageWatcher` asks the DAMAGE extension to report when anything is
drawn, so an idle screen costs no capture at all; where the server lacks
DAMAGE it reports a change at a fixed polling rate instead. It says where
the drawing was, so the sharer reads back only those boxes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import trio

from peer._capture import Box, CaptureError

__all__ = ["DamageWatcher", "ScreenChanges", "WindowInfo", "WindowLookup", "X11Windows"]

log = logging.getLogger("helpline.peer")

#: Seconds between captures where the server cannot say what changed.
POLL_INTERVAL = 0.05
#: A change is reported once its drawing pauses: for the first figure after a small
#: drawing (a keystroke; a window moved, drawn where it lands and then where it
#: uncovered, two reports a fraction of a millisecond apart), for the second after a
#: large one of this many pixels and up (a scroll), and at most the third after its
#: first report however busy the screen is.
COALESCE_PIXELS = 512 * 512
SMALL_QUIET_SECONDS = 0.0005
QUIET_SECONDS = 0.003
COALESCE_SECONDS = 0.012


@dataclass(frozen=True, slots=True)
class WindowInfo:
    id: int
    title: str
    #: Where the window's contents are, in screen coordinates.
    box: Box


class WindowLookup(Protocol):
    def windows(self) -> list[WindowInfo]:
        """Application windows, bottom to top."""

    def find(self, window_id: int) -> WindowInfo | None:
        """Where *window_id* is now; None once it is gone or unmapped."""

    def covering(self, window_id: int) -> list[Box]:
        """Boxes of other windows stacked above *window_id*."""

    def close(self) -> None: ...


class ScreenChanges(Protocol):
    #: True after :meth:`wait_change` handed over the start of a change still being
    #: drawn: its boxes can be read back meanwhile, the next call gives the rest.
    drawing: bool

    async def wait_change(self) -> list[Box] | None:
        """Return once something may have changed: the boxes drawn, or None if unknown."""

    def close(self) -> None: ...


def _open_display(name: str | None) -> Any:
    from Xlib import display

    try:
        return display.Display(name)
    except Exception as e:
        raise CaptureError(f"cannot open the X display {name or ''}: {e}") from e


class X11Windows:
    def __init__(self, display: str | None) -> None:
        self._display = _open_display(display)
        self._root = self._display.screen().root
        atom = self._display.intern_atom
        self._client_list = atom("_NET_CLIENT_LIST")
        self._net_name = atom("_NET_WM_NAME")
        self._utf8 = atom("UTF8_STRING")

    def close(self) -> None:
        self._display.close()

    def windows(self) -> list[WindowInfo]:
        found = []
        managed = self._managed()
        for top, client in self._stack():
            if managed is not None and client.id not in managed:
                continue  # the manager's own windows (openbox maps one called "Openbox")
            title = self._title(client)
            box = self._box(client)
            if title and box is not None and top is not None:
                found.append(WindowInfo(client.id, title, box))
        return found

    def _managed(self) -> set[int] | None:
        """The application windows the window manager lists; None without a manager."""
        from Xlib import X
        from Xlib.error import XError

        try:
            prop = self._root.get_full_property(self._client_list, X.AnyPropertyType)
        except XError:
            return None
        if prop is None or not len(prop.value):
            return None
        return {int(v) for v in prop.value}

    def find(self, window_id: int) -> WindowInfo | None:
        return next((w for w in self.windows() if w.id == window_id), None)

    def covering(self, window_id: int) -> list[Box]:
        above: list[Box] = []
        seen = False
        for top, client in self._stack():
            if seen and top is not None and (box := self._box(top)) is not None:
                above.append(box)
            seen = seen or client.id == window_id
        return above

    def _stack(self) -> list[tuple[Any, Any]]:
        """(top-level window, its application window) for each viewable one, bottom to top."""
        from Xlib import X
        from Xlib.error import XError

        out = []
        for top in self._root.query_tree().children:
            try:
                if top.get_attributes().map_state != X.IsViewable:
                    continue
                out.append((top, self._client_of(top)))
            except XError:
                continue  # gone while we looked
        return out

    def _client_of(self, top: Any) -> Any:
        """The window inside a manager's frame that carries the application's name."""
        if self._title(top):
            return top
        for child in top.query_tree().children:
            if self._title(child):
                return child
        return top

    def _title(self, window: Any) -> str:
        from Xlib.error import XError

        try:
            prop = window.get_full_property(self._net_name, self._utf8)
            if prop is not None and prop.value:
                value = prop.value
                return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            name = window.get_wm_name()
        except XError:
            return ""
        return name.decode("latin-1") if isinstance(name, bytes) else (name or "")

    def _box(self, window: Any) -> Box | None:
        from Xlib.error import XError

        try:
            geometry = window.get_geometry()
            origin = window.translate_coords(self._root, 0, 0)
        except XError:
            return None
        return Box(-origin.x, -origin.y, geometry.width, geometry.height)


class DamageWatcher:
    """Reports drawing on the screen through X DAMAGE; polls where DAMAGE is missing."""

    def __init__(
        self,
        display: str | None,
        *,
        small_quiet: float = SMALL_QUIET_SECONDS,
        quiet: float = QUIET_SECONDS,
        coalesce: float = COALESCE_SECONDS,
    ) -> None:
        from Xlib.ext import damage

        self._small_quiet, self._quiet, self._coalesce = small_quiet, quiet, coalesce
        #: Reports of the change being gathered, and when its first came.
        self._drawn: list[Box] = []
        self._first = 0.0
        #: A large change is being drawn: what it drew first was handed over already.
        self.drawing = False
        self._display = _open_display(display)
        self._damage: int | None = None
        self._event_type = -1
        if self._display.has_extension("DAMAGE"):
            self._display.damage_query_version()
            root = self._display.screen().root
            # Delta rectangles: one report per box newly added to the damaged region,
            # so their union since the last reset is exactly what was drawn.
            self._damage = root.damage_create(damage.DamageReportDeltaRectangles)
            self._event_type = self._display.extension_event.DamageNotify
            self._display.flush()
        else:
            log.info("the X server has no DAMAGE extension; polling the screen instead")

    @property
    def polling(self) -> bool:
        return self._damage is None

    async def wait_change(self) -> list[Box] | None:
        if self._damage is None:
            await trio.sleep(POLL_INTERVAL)
            return None
        display = self._display
        drawn = self._drawn  # kept on the watcher: a cancelled wait loses no report
        while True:
            # Every report already here is part of one change (each pending_events()
            # is a read from the socket: one per batch, not one per report)...
            while count := display.pending_events():
                for _ in range(count):
                    event = display.next_event()
                    if event.type == self._event_type:
                        area = event.area
                        drawn.append(Box(area.x, area.y, area.width, area.height))
                        self._first = self._first or trio.current_time()
            if not drawn and not self.drawing:
                await trio.lowlevel.wait_readable(display.fileno())
                continue
            # ...and so is what follows within a moment: a scrolled text widget moves its
            # contents with one request and draws the lines it uncovered with the next
            # ones. Taken apart, the first capture would send a screen that is half done
            # and the second would read and compare it all over again. A large drawing
            # waits longer for its rest than a keystroke does, and what it drew first is
            # handed over at once, to be read back while the rest is drawn; a screen that
            # never stops drawing (a video) is still reported promptly.
            large = self.drawing or sum(b.width * b.height for b in drawn) >= COALESCE_PIXELS
            if large and not self.drawing:
                self.drawing = True
                return self._take()
            pause = self._quiet if large else self._small_quiet
            until = min(trio.current_time() + pause, self._first + self._coalesce)
            with trio.move_on_at(until) as quiet:
                await trio.lowlevel.wait_readable(display.fileno())
            if quiet.cancelled_caught:
                self.drawing, self._first = False, 0.0
                return self._take()

    def _take(self) -> list[Box]:
        """The boxes gathered; the region is reset, so the next drawing reports again.

        A report that comes after the reset is left for the next call (its box is read
        twice, harmlessly); dropping it would lose that box.
        """
        assert self._damage is not None
        self._display.damage_subtract(self._damage, 0, 0)
        self._display.flush()
        drawn, self._drawn = self._drawn, []
        return drawn

    def close(self) -> None:
        self._display.close()
