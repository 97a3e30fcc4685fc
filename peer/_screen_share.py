"""Both ends of one screen stream: the sharer that captures, the view that decodes.

:class:`ScreenSharer` runs as one task per shared region. It captures only
when a viewer holds credit and the screen changed (X DAMAGE says so, or a
poll), always the newest screen, reading back only what was drawn
(:class:`peer._screen_buffer.ScreenBuffer`), and keeps one encoder per viewer: a second
viewer adds an encoder, not a second capture. It asks ``allowed()`` before
every capture and again before anything leaves, so a revoke that lands
while a frame is being encoded still stops that frame. A large drawing (a
scroll) is read back while its rest is still being drawn; each encoder is
told what was drawn since its viewer's last frame. Large captures run in a
worker thread, small ones (a keystroke) in the task itself.

:class:`ScreenView` is the receiving end: a :class:`codec.ScreenDecoder`,
the credit it hands back, and ``/snapshot`` of exactly what it decoded.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import trio
from PIL import Image

from codec import (
    CreditGrant,
    ProtocolError,
    ScreenDecoder,
    ScreenEncoder,
    ScreenFlow,
    ScreenUpdate,
    ViewerFlow,
)
from peer._capture import Box, CaptureError
from peer._errors import PeerError
from peer._nursery import open_task_nursery
from peer._screen_buffer import DirtyRegion, ScreenBuffer

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from numpy.typing import NDArray

    from codec import Message
    from peer._capture import ScreenSource
    from peer._x11 import ScreenChanges, WindowLookup

__all__ = ["Region", "ScreenSharer", "ScreenView", "WindowGoneError"]

log = logging.getLogger("helpline.peer")

#: Seconds at least between refreshes of lossy pixels, however soon the encoder asks.
REFRESH_GAP = 0.02

#: The encoder's message cap: well inside the channel's, large enough for a 4K keyframe slice.
MESSAGE_BYTES = 1024 * 1024

#: A capture of at most this many drawn pixels (a keystroke, a small window moved)
#: runs in the sharer's own task: it takes a millisecond or two, less than handing
#: it to a worker thread and back costs on a busy machine (up to 20 ms at load 10).
INLINE_PIXELS = 128 * 1024


class WindowGoneError(PeerError):
    """The shared application's window closed or was unmapped."""


@dataclass(slots=True)
class Region:
    """What is shared: monitor *monitor* (0: all), or the one window *window*."""

    monitor: int = 0
    window: int | None = None


@dataclass(slots=True)
class _Viewer:
    flow: ScreenFlow
    encoder: ScreenEncoder | None = None
    lossy: bool = False
    #: Where the screen changed since this viewer's encoder last saw it: the encoder
    #: compares only there (a viewer without credit skips captures, so it is kept
    #: for each viewer).
    unseen: DirtyRegion = field(default_factory=DirtyRegion)


@dataclass(slots=True)
class _Capture:
    box: Box
    frame: NDArray[np.uint8]
    #: What the capture may have changed (screen coordinates; None: anything).
    changed: list[Box] | None
    out: dict[int, list[bytes]] = field(default_factory=dict)


def _deadline(viewer: _Viewer) -> float | None:
    return None if viewer.encoder is None else viewer.encoder.next_deadline()


class ScreenSharer:
    """Captures *region* for the viewers it has, within what ``allowed`` says."""

    def __init__(
        self,
        source: ScreenSource,
        changes: ScreenChanges,
        send: Callable[[int, Message], Awaitable[None]],
        allowed: Callable[[int], bool],
        *,
        region: Region,
        windows: WindowLookup | None = None,
    ) -> None:
        self._source = source
        self._changes = changes
        self._send = send
        self._allowed = allowed
        self._windows = windows
        self.region = region
        self._viewers: dict[int, _Viewer] = {}
        self._buffer = ScreenBuffer(source)
        self._drawn = DirtyRegion()
        #: What was read ahead into the buffer since the last capture.
        self._ahead = DirtyRegion(known=True)
        self._wake = trio.Event()
        #: The screen box of the last capture: where input coordinates start.
        self.box = self._region_box()
        self.frames_sent = 0
        #: Captures begun (the screen read): none may begin without permission.
        self.captures = 0

    # What the controller tells it ------------------------------------------------

    def add_viewer(self, viewer: int) -> None:
        self._viewers.setdefault(viewer, _Viewer(ScreenFlow()))

    def remove_viewer(self, viewer: int) -> None:
        self._viewers.pop(viewer, None)

    @property
    def viewers(self) -> list[int]:
        return list(self._viewers)

    def grant(self, viewer: int, credit: CreditGrant) -> None:
        """Credit from *viewer*; raises :class:`codec.ProtocolError` if it over-grants."""
        self._viewers[viewer].flow.grant(credit)
        self._poke()

    def select(self, viewer: int, monitor: int, lossy: bool) -> None:
        monitors = self._source.monitors()
        if self.region.window is None and monitor > len(monitors):
            raise PeerError(f"there is no monitor {monitor}; the customer has {len(monitors)}")
        self.region.monitor = monitor if self.region.window is None else 0
        self._viewers[viewer].lossy = lossy
        self._drawn.forget()
        for each in self._viewers.values():
            each.flow.note_change()
        self._poke()

    def _poke(self) -> None:
        self._wake.set()
        self._wake = trio.Event()

    # The task --------------------------------------------------------------------

    async def run(self) -> None:
        """Capture and send until cancelled (a revoke or a stop cancels it)."""
        async with open_task_nursery() as nursery:
            nursery.start_soon(self._watch)
            while True:
                ready = [vid for vid, v in self._viewers.items() if v.flow.should_capture()]
                if not ready:
                    if self._may_read_ahead():
                        await self._read_ahead()
                    else:
                        await self._rest()
                    continue
                ready = [vid for vid in ready if self._allowed(vid)]
                if not ready:
                    await self._wake.wait()
                    continue
                # Decided here, not in the worker: grants may change these meanwhile.
                jobs = [
                    (vid, self._viewers[vid], self._viewers[vid].flow.start_capture())
                    for vid in ready
                ]
                drawn = self._drawn.take()
                if any(keyframe for _, _, keyframe in jobs):
                    drawn = None  # a fresh start reads everything: nothing stale survives it
                self.captures += 1
                if self._small(drawn):
                    capture = self._capture(jobs, drawn)
                else:
                    capture = await trio.to_thread.run_sync(self._capture, jobs, drawn)
                self.box = capture.box
                for vid, other in self._viewers.items():
                    if vid not in capture.out:
                        other.unseen.add(capture.changed)
                for vid, messages in capture.out.items():
                    viewer = self._viewers.get(vid)
                    if viewer is None or not self._allowed(vid):
                        # Revoked while encoding: this frame never leaves, and the
                        # encoder's model of that viewer is void.
                        if viewer is not None:
                            viewer.flow.keyframe_due = True
                        continue
                    for data in messages:
                        await self._send(vid, ScreenUpdate(data))
                    viewer.flow.captured(sent=bool(messages))
                    self.frames_sent += bool(messages)

    async def _rest(self) -> None:
        """Until something happens, or until an encoder's lossy pixels are due again.

        With lossy regions on, the viewer holds approximations that the encoder
        refreshes losslessly once they stood still; a still screen draws nothing,
        so nothing else would capture again and it would stay inexact.
        """
        due = [d for v in self._viewers.values() if (d := _deadline(v)) is not None]
        if not due:
            await self._wake.wait()
            return
        with trio.move_on_after(max(min(due) - time.monotonic(), REFRESH_GAP)):
            await self._wake.wait()
            return
        now = time.monotonic()
        for viewer in self._viewers.values():
            if (deadline := _deadline(viewer)) is not None and deadline <= now:
                viewer.flow.note_change()

    async def _watch(self) -> None:
        while True:
            self._drawn.add(await self._changes.wait_change())
            if not self._changes.drawing:  # complete: worth a frame
                for viewer in self._viewers.values():
                    viewer.flow.note_change()
            self._poke()

    def _small(self, drawn: list[Box] | None) -> bool:
        """Is this capture small enough to run in this task rather than a worker thread?"""
        return (
            drawn is not None
            and self.region.window is None  # finding what covers a window asks the X server
            and sum(box.width * box.height for box in drawn) <= INLINE_PIXELS
        )

    def _may_read_ahead(self) -> bool:
        """Is a change still being drawn, and a frame of it wanted once it is complete?"""
        return (
            self._changes.drawing
            and self._drawn.pending
            and self.region.window is None  # a window's region is read whole, blanked
            and any(
                v.flow.credit > 0 and not v.flow.keyframe_due and self._allowed(vid)
                for vid, v in self._viewers.items()
            )
        )

    async def _read_ahead(self) -> None:
        """Read back what a change still being drawn has drawn so far.

        A scroll moves the page, then draws the lines it uncovered; reading the
        moved page meanwhile takes about as long as waiting for the lines does, and
        the capture once it is complete then reads only the lines.
        """
        drawn = self._drawn.take()
        if drawn is None:
            self._drawn.forget()  # anything may have changed: the capture reads it all
            return
        self.captures += 1
        self._ahead.add(await trio.to_thread.run_sync(self._read, drawn))

    # In a worker thread ------------------------------------------------------------

    def _region_box(self) -> Box:
        if self.region.window is not None:
            assert self._windows is not None
            info = self._windows.find(self.region.window)
            box = info.box.clip(self._source.bounds()) if info else None
            if box is None:
                raise WindowGoneError("the shared window was closed or hidden")
            return box
        if self.region.monitor:
            return Box.of(self._source.monitors()[self.region.monitor - 1])
        return self._source.bounds()

    def _read(self, drawn: list[Box]) -> list[Box] | None:
        self._buffer.refresh(self._region_box(), drawn)
        return self._buffer.changed

    def _capture(self, jobs: list[tuple[int, _Viewer, bool]], drawn: list[Box] | None) -> _Capture:
        box = self._region_box()
        covers: list[Box] = []
        if self.region.window is not None:
            assert self._windows is not None
            covers = self._windows.covering(self.region.window)
        frame = self._buffer.refresh(box, drawn, blank=covers)
        # The encoder refreshes lossy pixels after they stood still for a time.
        now = time.monotonic()
        changed = self._ahead.take()
        if changed is not None and self._buffer.changed is not None:
            changed += self._buffer.changed
        capture = _Capture(box, frame, None if self._buffer.changed is None else changed)
        for vid, viewer, keyframe in jobs:
            if viewer.encoder is None:
                viewer.encoder = ScreenEncoder(
                    box.width, box.height, max_message_bytes=MESSAGE_BYTES
                )
            viewer.encoder.lossy = viewer.lossy
            if keyframe:
                viewer.encoder.keyframe()
            viewer.unseen.add(capture.changed)
            unseen = viewer.unseen.take()
            damage = None if unseen is None else [_within(b, box) for b in unseen]
            # Read, not kept: the encoder copies what it must remember itself.
            capture.out[vid] = viewer.encoder.encode(frame, now=now, damage=damage)
        return capture


def _within(part: Box, region: Box) -> tuple[int, int, int, int]:
    """*part* of the screen as ``(x, y, width, height)`` in *region*'s pixels."""
    return (part.x - region.x, part.y - region.y, part.width, part.height)


class ScreenView:
    """One incoming screen stream: decode, give credit back, snapshot."""

    def __init__(self) -> None:
        self.decoder = ScreenDecoder()
        self._flow = ViewerFlow()
        self.frames = 0
        self.refused = 0
        #: When the last frame was complete, on ``time.monotonic()``.
        self.completed_at = 0.0
        #: Set and replaced each time a frame is complete (a GUI repaints then).
        self.frame_done = trio.Event()

    def start(self) -> CreditGrant:
        return self._flow.start()

    def feed(self, data: bytes) -> CreditGrant | None:
        """Apply one update; the credit to send back, if any."""
        try:
            self.decoder.feed(data)
        except ProtocolError as e:
            self.refused += 1
            log.warning("screen update refused (%s); asking for a fresh frame", e)
            return self._flow.refused()
        if self.decoder.frame_complete:
            self.completed_at = time.monotonic()
            self.frames += 1
            self.frame_done.set()
            self.frame_done = trio.Event()
        return self._flow.decoded(frame_complete=self.decoder.frame_complete)

    def picture(self) -> NDArray[np.uint8]:
        """The decoded screen as ``(height, width, 3)`` RGB."""
        return np.ascontiguousarray(self.decoder.framebuffer[..., ::-1])

    def snapshot(self, path: Path) -> tuple[int, int]:
        """Save the decoded framebuffer, full size, as PNG; its (width, height).

        Written beside the target and renamed into place, so a full disk
        never leaves a half-written file under the name asked for.
        """
        width, height = self.decoder.size
        if not width:
            raise CaptureError("no picture yet: the first frame has not arrived")
        partial = path.with_name(f".{path.name}.partial")
        try:
            Image.fromarray(self.picture(), "RGB").save(partial, "PNG")
            os.replace(partial, path)
        except OSError as e:
            partial.unlink(missing_ok=True)
            raise PeerError(f"could not save {path}: {e.strerror or e}") from e
        return width, height
