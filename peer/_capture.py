"""Screen capture behind one small interface: mss where it works, plain X11 where not.

A :class:`ScreenSource` lists the monitors and grabs a box of the screen as
a ``(height, width, 4)`` BGRA array, the layout :class:`codec.ScreenEncoder`
takes, or reads it straight into the sharer's BGR copy of the screen.
:func:`open_screen_source` picks ``mss`` (shared memory on X11, also Windows
and macOS) and falls back to python-xlib's ``GetImage`` where mss cannot
start: it refuses X servers that list a pixel depth twice, as TigerVNC's
Xvnc does.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.lib.stride_tricks import as_strided

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
    "copy_bgr",
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

    def read_bgr(self, box: Box, out: NDArray[np.uint8]) -> None:
        """Write the pixels of *box* into *out*, a ``(height, width, 3)`` BGR view.

        The sharer keeps its own BGR copy of the screen: where the platform allows,
        the pixels go straight into it, with no image of their own in between.
        """

    def close(self) -> None: ...


class MssSource:
    def __init__(self, display: str | None) -> None:
        import mss

        try:
            self._mss = mss.MSS(display=display) if display else mss.MSS()
            self._all = self._mss.monitors
        except Exception as e:
            raise CaptureError(f"mss cannot read this screen: {e}") from e
        #: The X server's shared-memory image, once mss has shown it works (see peek).
        self._shared: NDArray[np.uint8] | None = None

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

    def read_bgr(self, box: Box, out: NDArray[np.uint8]) -> None:
        """Convert *box* from the X server's shared memory, where mss had it drawn.

        mss copies each image out of its shared segment into fresh memory, which
        costs more than the X server's own copy for a large box (the new pages
        fault in), only for the sharer to convert it and drop it. This reads the
        segment in place (leaning on mss's XShmGetImage backend, mss 10.2); where
        that backend is not in use it grabs as usual.
        """
        shared = self._shared if self._shared is not None else self._share()
        if shared is None or box.width * box.height * 4 > shared.size:
            copy_bgr(out, self.grab(box))
            return
        from mss.linux import xcbgen

        impl: Any = self._mss._impl
        try:
            with self._mss._lock:
                xcbgen.shm_get_image(
                    *(impl.conn, impl.drawable, box.x, box.y, box.width, box.height),
                    *(0xFFFFFFFF, xcbgen.ImageFormat.ZPixmap, impl._shmseg, 0),
                )
        except Exception as e:
            raise CaptureError(f"the X server refused to share the screen: {e}") from e
        # A view, dropped on return: mss must be able to unmap the segment on close.
        copy_bgr(out, shared[: box.width * box.height * 4].reshape(box.height, box.width, 4))

    def _share(self) -> NDArray[np.uint8] | None:
        """The shared segment mss reads through, once a grab has used it; else None."""
        try:
            from mss.linux.xshmgetimage import MSSImplXShmGetImage, ShmStatus
        except ImportError:  # not on X11, or another mss
            return None
        impl = getattr(self._mss, "_impl", None)
        if not isinstance(impl, MSSImplXShmGetImage) or impl.shm_status is not ShmStatus.AVAILABLE:
            return None
        buffer = getattr(impl, "_buf", None)
        if buffer is None or getattr(impl, "_shmseg", None) is None:
            return None
        self._shared = np.frombuffer(buffer, dtype=np.uint8)
        return self._shared

    def close(self) -> None:
        self._shared = None  # mss cannot unmap its segment while we look into it
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

    def read_bgr(self, box: Box, out: NDArray[np.uint8]) -> None:
        copy_bgr(out, self.grab(box))

    def close(self) -> None:
        self._display.close()


def copy_bgr(bgr: NDArray[np.uint8], bgra: NDArray[np.uint8]) -> None:
    """Write *bgra*'s first three bytes per pixel into *bgr*, in place.

    Each pixel goes as one 4-byte word to its 3-byte place: its fourth byte lands
    on the first byte of the pixel to its right, which that pixel's own word then
    writes (numpy assigns a row from left to right). One pass, against three for
    copying channel by channel (the fastest numpy way otherwise), and nothing new
    is allocated (fresh megabyte buffers page-fault). The last column, whose
    fourth byte would land outside the box, goes channel by channel.
    """
    height, width = bgra.shape[:2]
    if width > 1 and bgr.strides[1:] == (3, 1) and bgra.strides[1:] == (4, 1):
        spill = as_strided(bgr, (height, width - 1, 4), (bgr.strides[0], 3, 1))
        spill.view(np.uint32)[..., 0] = bgra[:, : width - 1].view(np.uint32)[..., 0]
        bgr, bgra = bgr[:, width - 1 :], bgra[:, width - 1 :]
    for channel in range(3):
        bgr[..., channel] = bgra[..., channel]


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
