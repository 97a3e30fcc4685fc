"""The sharer's copy of the screen: only what was drawn is read, and it always equals the screen."""

from __future__ import annotations

import numpy as np

from peer._capture import Box
from peer._screen_buffer import MAX_BOXES, DirtyRegion, ScreenBuffer
from tests.sharing.fakes import FakeScreen

WHOLE = Box(0, 0, 64, 48)


def bgr_of(screen: FakeScreen) -> np.ndarray:
    return screen.pixels[..., :3]


def test_the_first_refresh_reads_the_whole_region() -> None:
    screen = FakeScreen()
    screen.pixels[..., :3] = np.arange(64 * 48 * 3, dtype=np.uint32).reshape(48, 64, 3) % 251
    frame = ScreenBuffer(screen).refresh(WHOLE, [])
    assert screen.pixels_read == 64 * 48
    assert np.array_equal(frame, bgr_of(screen))


def test_only_the_boxes_drawn_are_read() -> None:
    screen = FakeScreen()
    buffer = ScreenBuffer(screen)
    buffer.refresh(WHOLE, None)
    screen.pixels[10:14, 20:30, :3] = 200
    read = screen.pixels_read
    frame = buffer.refresh(WHOLE, [Box(20, 10, 10, 4)])
    assert screen.pixels_read - read == 40
    assert np.array_equal(frame, bgr_of(screen))


def test_a_box_read_back_is_exact_and_leaves_its_neighbours_alone() -> None:
    """Whatever the alpha bytes hold, none of them ends up in the picture."""
    rng = np.random.default_rng(5)
    screen = FakeScreen()
    screen.pixels[...] = rng.integers(0, 256, screen.pixels.shape, dtype=np.uint8)
    buffer = ScreenBuffer(screen)
    buffer.refresh(WHOLE, None)
    screen.pixels[...] = rng.integers(0, 256, screen.pixels.shape, dtype=np.uint8)
    before = buffer.refresh(WHOLE, []).copy()
    frame = buffer.refresh(WHOLE, [Box(11, 7, 23, 9), Box(63, 40, 1, 8)])
    expected = before.copy()
    expected[7:16, 11:34] = screen.pixels[7:16, 11:34, :3]
    expected[40:48, 63:64] = screen.pixels[40:48, 63:64, :3]
    assert np.array_equal(frame, expected)


def test_drawing_outside_the_region_is_not_read() -> None:
    screen = FakeScreen()
    buffer = ScreenBuffer(screen)
    left = Box(0, 0, 32, 48)
    buffer.refresh(left, None)
    read = screen.pixels_read
    buffer.refresh(left, [Box(40, 0, 8, 8)])
    assert screen.pixels_read == read


def test_an_unknown_change_converts_only_the_rows_that_differ_yet_stays_exact() -> None:
    screen = FakeScreen()
    buffer = ScreenBuffer(screen)
    buffer.refresh(WHOLE, None)
    screen.pixels[30, 5, :3] = (1, 2, 3)
    frame = buffer.refresh(WHOLE, None)
    assert np.array_equal(frame, bgr_of(screen))


def test_a_change_back_after_a_partial_read_is_seen() -> None:
    """The whole read before a partial one must not be trusted to spot later changes."""
    screen = FakeScreen()
    buffer = ScreenBuffer(screen)
    buffer.refresh(WHOLE, None)  # holds all zeros
    screen.pixels[0:4, 0:4, :3] = 90
    buffer.refresh(WHOLE, [Box(0, 0, 4, 4)])
    screen.pixels[0:4, 0:4, :3] = 0  # back to what the whole read saw
    frame = buffer.refresh(WHOLE, None)
    assert np.array_equal(frame, bgr_of(screen))


def test_a_moved_region_is_read_afresh() -> None:
    screen = FakeScreen()
    screen.pixels[..., :3] = np.arange(64, dtype=np.uint8)[None, :, None]
    buffer = ScreenBuffer(screen)
    buffer.refresh(Box(0, 0, 32, 16), None)
    frame = buffer.refresh(Box(8, 4, 32, 16), [])
    assert np.array_equal(frame, screen.pixels[4:20, 8:40, :3])


def test_covering_windows_are_blanked() -> None:
    screen = FakeScreen()
    screen.paint(120)
    frame = ScreenBuffer(screen).refresh(WHOLE, [], blank=[Box(60, 40, 10, 10)])
    assert int(frame[45, 62, 0]) == 0
    assert int(frame[39, 62, 0]) == 120


def test_touching_boxes_are_merged() -> None:
    drawn = DirtyRegion()
    drawn.take()
    drawn.add([Box(0, 0, 10, 10), Box(10, 0, 10, 10), Box(50, 50, 2, 2)])
    assert sorted(drawn.take() or [], key=lambda b: b.x) == [Box(0, 0, 20, 10), Box(50, 50, 2, 2)]


def test_many_boxes_fold_into_their_bounding_box() -> None:
    drawn = DirtyRegion()
    drawn.take()
    drawn.add(Box(4 * n, 4 * n, 1, 1) for n in range(MAX_BOXES + 1))
    assert drawn.take() == [Box(0, 0, 4 * MAX_BOXES + 1, 4 * MAX_BOXES + 1)]


def test_an_unknown_change_outweighs_any_boxes_until_taken() -> None:
    drawn = DirtyRegion()
    drawn.take()
    drawn.add(None)
    drawn.add([Box(0, 0, 1, 1)])
    assert drawn.take() is None
    assert drawn.take() == []
