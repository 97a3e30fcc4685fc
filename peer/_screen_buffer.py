"""A BGR copy of the shared part of the screen, kept current at the cost of what changed.

The encoder wants the whole region as ``(height, width, 3)`` BGR. Reading
and converting a whole 1080p screen for every keystroke costs tens of
milliseconds once fresh 8 MB buffers page-fault on a busy machine, so
:class:`ScreenBuffer` keeps one BGR array and touches only what changed:

* where X DAMAGE said what was drawn, it reads and converts just those boxes;
* where nobody can say (polling, a blanked application window, the first
  frame), it reads the whole region but converts only the rows that differ
  from the previous whole read, found by one word-wise comparison.

:class:`DirtyRegion` collects the boxes DAMAGE reports between captures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from peer._capture import Box, copy_bgr

if TYPE_CHECKING:
    from collections.abc import Iterable

    from numpy.typing import NDArray

    from peer._capture import ScreenSource

__all__ = ["DirtyRegion", "ScreenBuffer"]

#: Boxes kept apart before they are folded into their bounding box: each one is a
#: separate read from the X server, and a few hundred small ones cost more than one.
MAX_BOXES = 16


class DirtyRegion:
    """What was drawn since the last capture: a few boxes, or "anything" (None)."""

    def __init__(self, *, known: bool = False) -> None:
        """Empty if *known*; else "anything" (a new sharer knows nothing yet)."""
        self._boxes: list[Box] | None = [] if known else None

    @property
    def pending(self) -> bool:
        """Was anything drawn (or may it have been) since the last take?"""
        return self._boxes is None or bool(self._boxes)

    def add(self, boxes: Iterable[Box] | None) -> None:
        """Note *boxes* as drawn; None when the reporter cannot say where."""
        if boxes is None or self._boxes is None:
            self._boxes = None
            return
        for box in boxes:
            self._add(box)

    def _add(self, box: Box) -> None:
        assert self._boxes is not None
        for i, have in enumerate(self._boxes):
            if _touch(have, box):
                del self._boxes[i]
                self._add(_union(have, box))  # the union may now touch another
                return
        self._boxes.append(box)
        if len(self._boxes) > MAX_BOXES:
            self._boxes = [_bounding(self._boxes)]

    def take(self) -> list[Box] | None:
        """The boxes drawn so far (None: anything may have changed); starts afresh."""
        boxes, self._boxes = self._boxes, []
        return boxes

    def forget(self) -> None:
        """The next capture reads everything (a new region, a keyframe)."""
        self._boxes = None


class ScreenBuffer:
    """The region's pixels as BGR, refreshed from *source* where they changed."""

    def __init__(self, source: ScreenSource) -> None:
        self._source = source
        #: Where the last refresh may have changed the buffer (screen coordinates);
        #: None when it cannot say (a new region, or nothing to compare with).
        self.changed: list[Box] | None = None
        self._box: Box | None = None
        self._bgr: NDArray[np.uint8] = np.zeros((0, 0, 3), dtype=np.uint8)
        #: The last whole read, while it still matches ``_bgr`` row for row.
        self._last: NDArray[np.uint8] | None = None

    def refresh(
        self, box: Box, drawn: list[Box] | None, *, blank: Iterable[Box] = ()
    ) -> NDArray[np.uint8]:
        """Bring the buffer to the screen's *box* now; *drawn* is what changed (None: unknown).

        *blank* are boxes (screen coordinates) to paint black: windows that cover
        a shared application. The array returned is the buffer itself; it
        changes with the next refresh.
        """
        blank = list(blank)
        if box != self._box or drawn is None or blank:
            self._read_whole(box, blank)
        else:
            self.changed = []
            for part in drawn:
                clipped = part.clip(box)
                if clipped is not None:
                    self._read_part(box, clipped)
                    self.changed.append(clipped)
        return self._bgr

    def _read_whole(self, box: Box, blank: list[Box]) -> None:
        frame = self._source.grab(box)
        if blank:
            frame = np.array(frame)  # our own copy, to paint over
            for cover in blank:
                part = cover.clip(box)
                if part is not None:
                    x, y = part.x - box.x, part.y - box.y
                    frame[y : y + part.height, x : x + part.width] = 0
        last, self._last = self._last, frame
        if box != self._box:
            self._box = box
            self._bgr = np.empty((box.height, box.width, 3), dtype=np.uint8)
            last = None
        if last is None:
            copy_bgr(self._bgr, frame)
            self.changed = None
            return
        # Four bytes a pixel compare as one word; only rows that differ are converted.
        rows = np.flatnonzero((frame.view(np.uint32) != last.view(np.uint32)).any(axis=(1, 2)))
        self.changed = []
        if rows.size:
            top, bottom = int(rows[0]), int(rows[-1]) + 1
            copy_bgr(self._bgr[top:bottom], frame[top:bottom])
            self.changed.append(Box(box.x, box.y + top, box.width, bottom - top))

    def _read_part(self, box: Box, part: Box) -> None:
        x, y = part.x - box.x, part.y - box.y
        self._source.read_bgr(part, self._bgr[y : y + part.height, x : x + part.width])
        # The last whole read no longer matches the buffer here: compare against it
        # and a change back to what it held would go unseen.
        self._last = None


def _touch(a: Box, b: Box) -> bool:
    return (
        a.x <= b.x + b.width
        and b.x <= a.x + a.width
        and a.y <= b.y + b.height
        and b.y <= a.y + a.height
    )


def _union(a: Box, b: Box) -> Box:
    return _bounding([a, b])


def _bounding(boxes: list[Box]) -> Box:
    x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
    x1 = max(b.x + b.width for b in boxes)
    y1 = max(b.y + b.height for b in boxes)
    return Box(x0, y0, x1 - x0, y1 - y0)
