"""Screen capture behind one small interface: mss where it works, plain X11 where not.

A :class:`ScreenSource` lists the monitors and grabs a box of the screen as
a ``(height, width, 4)`` BGRA array, the layout :class:`codec.ScreenEncoder`
takes. :func:`open_screen_source` picks ``mss`` (shared memory on X11, also
Windows and macOS) and falls back to python-xlib's ``GetImage`` where mss
cannot start: it refuses X servers that list a pixel depth twice, as
TigerVNC's Xvnc does.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from codec import Monitor
from peer._errors import PeerError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "Box",
    "CaptureError",
    "MssSource",
    "NoScreenError",
    "ScreenSource",
    "XlibSource",
    "open_screen_source",
]

log = logging.getLogger("helpline.peer")


class CaptureError(PeerError):
    """The screen could not be read (no display, or the X server refused)."""


class NoScreenError(CaptureError):
    """There is no screen here to capture at all; *short* says why in a few words."""

    def __init__(self, message: str, short: str) -> None:
        super().__init__(message)
        self.short = short


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in the X screen's coordinates."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def of(cls, monitor: Monitor) -> Box:
        return cls(monitor.x, monitor.y, monitor.width, monitor.height)

    def clip(self, other: Box) -> Box | None:
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1 = min(self.x + self.width, other.x + other.width)
        y1 = min(self.y + self.height, other.y + other.height)
        return Box(x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


class ScreenSource(Protocol):
    def bounds(self) -> Box:
        """The whole screen (all monitors)."""

    def monitors(self) -> list[Monitor]:
        """Each monitor, in the order the rep numbers them (from 1)."""

    def grab(self, box: Box) -> NDArray[np.uint8]:
        """The pixels of *box* as ``(height, width, 4)`` BGRA."""

    def close(self) -> None: ...


class MssSource:
    def __init__(self, display: str | None) -> None:
        import mss

        try:
            self._mss = mss.MSS(display=display) if display else mss.MSS()
            self._all = self._mss.monitors
        except Exception as e:
            raise CaptureError(f"mss cannot read this screen: {e}") from e

    def bounds(self) -> Box:
        whole = self._all[0]
        return Box(whole["left"], whole["top"], whole["width"], whole["height"])

    def monitors(self) -> list[Monitor]:
        return [Monitor(m["left"], m["top"], m["width"], m["height"]) for m in self._all[1:]]

    def grab(self, box: Box) -> NDArray[np.uint8]:
        try:
            shot = self._mss.grab(
                {"left": box.x, "top": box.y, "width": box.width, "height": box.height}
            )
        except Exception as e:
            raise CaptureError(f"mss failed to grab the screen: {e}") from e
        frame = np.frombuffer(shot.raw, dtype=np.uint8)
        return frame.reshape(shot.height, shot.width, 4)

    def close(self) -> None:
        self._mss.close()


class XlibSource:
    """Plain ``GetImage`` through python-xlib: slower, but any X server serves it."""

    def __init__(self, display: str | None) -> None:
        from Xlib import display as xdisplay

        try:
            self._display = xdisplay.Display(display)
        except Exception as e:
            name = display or os.environ.get("DISPLAY", "")
            raise NoScreenError(
                f"cannot open the X display {display or ''}: {e}",
                f"the X display {name} cannot be opened",
            ) from e
        screen = self._display.screen()
        self._root = screen.root
        if screen.root_depth not in (24, 32):
            raise CaptureError(f"the X screen has {screen.root_depth}-bit colour; 24 is needed")
        self._bounds = Box(0, 0, screen.width_in_pixels, screen.height_in_pixels)
        self._monitors = [Monitor(0, 0, self._bounds.width, self._bounds.height)]
        if self._display.has_extension("RANDR"):
            heads = self._root.xrandr_get_monitors().monitors
            self._monitors = [
                Monitor(h.x, h.y, h.width_in_pixels, h.height_in_pixels) for h in heads
            ] or self._monitors

    def bounds(self) -> Box:
        return self._bounds

    def monitors(self) -> list[Monitor]:
        return list(self._monitors)

    def grab(self, box: Box) -> NDArray[np.uint8]:
        from Xlib import X

        try:
            image = self._root.get_image(box.x, box.y, box.width, box.height, X.ZPixmap, 0xFFFFFFFF)
        except Exception as e:
            raise CaptureError(f"the X server refused to send the screen: {e}") from e
        data = image.data if isinstance(image.data, bytes) else image.data.encode("latin-1")
        return np.frombuffer(data, dtype=np.uint8).reshape(box.height, box.width, 4)

    def close(self) -> None:
        self._display.close()


def open_screen_source(display: str | None) -> ScreenSource:
    """The best capture this display allows; raises :class:`CaptureError` if none."""
    if display is None and sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        raise NoScreenError(
            "there is no X display to share (DISPLAY is not set); Wayland is not supported yet",
            "no X display",
        )
    try:
        source: ScreenSource = MssSource(display)
        source.grab(Box(0, 0, 1, 1))
    except CaptureError as e:
        log.warning("%s; capturing with plain X11 requests instead", e)
        return XlibSource(display)
    return source
