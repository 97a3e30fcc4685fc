"""Fakes for the OS adapters, for tests of the sharing logic that need no X server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import trio

from codec import Monitor
from peer._capture import Box, copy_bgr

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray


class FakeScreen:
    """A 64x48 screen whose picture the test paints; counts every grab."""

    def __init__(self, width: int = 64, height: int = 48) -> None:
        self.pixels = np.zeros((height, width, 4), dtype=np.uint8)
        self.grabs = 0
        #: Pixels read so far: a sharer that reads only what changed reads few.
        self.pixels_read = 0
        #: Called inside each grab (from the capture thread): a test can act mid-capture.
        self.during_grab: Callable[[], None] | None = None

    def bounds(self) -> Box:
        return Box(0, 0, self.pixels.shape[1], self.pixels.shape[0])

    def monitors(self) -> list[Monitor]:
        return [Monitor(0, 0, self.pixels.shape[1], self.pixels.shape[0])]

    def grab(self, box: Box) -> NDArray[np.uint8]:
        self.grabs += 1
        self.pixels_read += box.width * box.height
        if self.during_grab is not None:
            self.during_grab()
        return self.pixels[box.y : box.y + box.height, box.x : box.x + box.width].copy()

    def read_bgr(self, box: Box, out: NDArray[np.uint8]) -> None:
        copy_bgr(out, self.grab(box))

    def paint(self, value: int) -> None:
        self.pixels[:, :, :3] = value

    def close(self) -> None:
        pass


class FakeChanges:
    """Reports a change each time the test calls :meth:`changed`, where it says (or not)."""

    def __init__(self) -> None:
        self._send, self._receive = trio.open_memory_channel[tuple[list[Box] | None, bool]](100)
        self.drawing = False

    def changed(self, *boxes: Box, more: bool = False) -> None:
        """Report *boxes* (none: anywhere); *more* when the change is still being drawn."""
        self._send.send_nowait((list(boxes) or None, more))

    async def wait_change(self) -> list[Box] | None:
        boxes, self.drawing = await self._receive.receive()
        return boxes

    def close(self) -> None:
        pass
