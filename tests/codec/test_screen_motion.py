"""Moves found as copies stay as large as what moved, frame after frame."""

from __future__ import annotations

import numpy as np
import pytest

from codec import ScreenDecoder, ScreenEncoder
from tests.codec.test_screen_roundtrip import H, W, noise

#: A long document of rows that do not compress, and where its viewport is.
PAGE = noise(7, 800, W)
TOP, ROWS = 10, 160
#: Rows a scroll step moves the page by.
STEP = 10


def viewport(first: int) -> np.ndarray:
    frame = np.full((H, W, 4), 200, dtype=np.uint8)
    frame[TOP : TOP + ROWS] = PAGE[first : first + ROWS]
    return frame


@pytest.mark.parametrize("told", [False, True], ids=["found", "told-the-damage"])
def test_a_scroll_copied_short_once_is_copied_whole_again(told: bool) -> None:
    """A step that moved only part of the page (a redraw caught half done) leaves a
    short copy behind; the steps after it are whole scrolls and go as one copy again."""
    encoder, decoder = ScreenEncoder(W, H), ScreenDecoder()
    half = viewport(STEP)
    half[TOP + 130 : TOP + 150] = PAGE[STEP + 140 : STEP + 160]
    frames = [viewport(0), viewport(STEP), half, viewport(2 * STEP), viewport(3 * STEP)]
    sizes = []
    for frame in frames:
        damage = [(0, TOP, W, ROWS)] if told else None
        messages = encoder.encode(frame, now=0.0, damage=damage)
        for message in messages:
            decoder.feed(message)
        assert np.array_equal(decoder.framebuffer, frame[..., :3])
        sizes.append(sum(len(m) for m in messages))
    new_rows = STEP * W * 3
    assert sizes[-1] < new_rows + 500
