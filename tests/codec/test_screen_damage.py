"""The encoder told where the screen was drawn compares only there, and sends the same."""

from __future__ import annotations

import numpy as np

from codec import ScreenDecoder, ScreenEncoder
from tests.codec.test_screen_roundtrip import H, W, desktop, noise


def changes() -> list[tuple[np.ndarray, list[tuple[int, int, int, int]]]]:
    """Frames after the first, each with the boxes it was drawn in."""
    first = desktop(1)
    typed = first.copy()
    typed[150:158, 40:46] = (20, 20, 20, 255)
    scrolled = typed.copy()
    scrolled[20:100, 30:150] = typed[40:120, 30:150]
    scrolled[100:120, 30:150] = noise(9)[:20, :120]
    dragged = scrolled.copy()
    dragged[130:180, 10:240] = (90, 70, 60, 255)
    dragged[134:184, 22:252] = scrolled[130:180, 10:240]
    return [
        (first, [(0, 0, W, H)]),
        (typed, [(40, 150, 6, 8)]),
        (scrolled, [(30, 20, 120, 80), (30, 100, 120, 20)]),
        (dragged, [(10, 130, 242, 54)]),
    ]


def test_updates_told_the_damage_are_the_updates_found_without_it() -> None:
    told, found = ScreenEncoder(W, H), ScreenEncoder(W, H)
    decoder = ScreenDecoder()
    for frame, damage in changes():
        messages = told.encode(frame, now=0.0, damage=damage)
        assert messages == found.encode(frame, now=0.0)
        for message in messages:
            decoder.feed(message)
        assert np.array_equal(decoder.framebuffer, frame[..., :3])


def test_only_the_damage_is_compared() -> None:
    """The promise is taken at its word: a change outside the damage stays unsent."""
    encoder, decoder = ScreenEncoder(W, H), ScreenDecoder()
    before = desktop(2)
    for message in encoder.encode(before, now=0.0):
        decoder.feed(message)
    after = before.copy()
    after[10:20, 10:20] = (0, 0, 255, 255)  # drawn here...
    after[150:160, 200:210] = (0, 255, 0, 255)  # ...and here, but only this is said
    for message in encoder.encode(after, now=0.0, damage=[(200, 150, 10, 10)]):
        decoder.feed(message)
    assert np.array_equal(decoder.framebuffer[150:160, 200:210], after[150:160, 200:210, :3])
    assert np.array_equal(decoder.framebuffer[10:20, 10:20], before[10:20, 10:20, :3])


def test_damage_outside_the_frame_means_nothing_changed() -> None:
    encoder = ScreenEncoder(W, H)
    encoder.encode(desktop(3), now=0.0)
    assert encoder.encode(desktop(3), now=0.0, damage=[(W + 5, 0, 10, 10), (0, -20, 5, 10)]) == []


def test_a_keyframe_and_lossy_mode_compare_everything_whatever_the_damage() -> None:
    for lossy in (False, True):
        encoder, decoder = ScreenEncoder(W, H, lossy=lossy), ScreenDecoder()
        frame = desktop(4)
        for message in encoder.encode(frame, now=0.0, damage=[]):  # the first is a keyframe
            decoder.feed(message)
        assert np.array_equal(decoder.framebuffer, frame[..., :3])
        if lossy:
            frame = frame.copy()
            frame[150:158, 40:46] = (20, 20, 20, 255)  # text, sent exactly though undeclared
            for message in encoder.encode(frame, now=0.1, damage=[]):
                decoder.feed(message)
            assert np.array_equal(decoder.framebuffer, frame[..., :3])


def test_a_copy_that_spans_rows_left_undamaged_is_repaired_there_too() -> None:
    """A scroll whose copy passes over a still mark between the damaged rows: the copy
    moves the mark's pixels away, and the rows between must be compared for it."""
    page = noise(11, 400, W)
    page[70:100] = (120, 130, 140, 255)  # a flat band: a row nearly matches the next ones
    page[70:100:10, 5:15] = (0, 0, 0, 255)

    def viewport(first: int) -> np.ndarray:
        frame = np.full((H, W, 4), 60, dtype=np.uint8)
        frame[20:170] = page[first : first + 150]
        frame[97, 120:122] = (0, 0, 255, 255)  # drawn over the band, not scrolled
        return frame

    encoder, decoder = ScreenEncoder(W, H), ScreenDecoder()
    before, after = viewport(0), viewport(10)
    for message in encoder.encode(before, now=0.0):
        decoder.feed(message)
    still = [y for y in range(H) if np.array_equal(before[y], after[y])]
    assert 97 in still
    gap = [y for y in still if 20 <= y < 170]  # told as not drawn: they did not change
    damage = [(0, 20, W, gap[0] - 20), (0, gap[-1] + 1, W, 170 - gap[-1] - 1)]
    for message in encoder.encode(after, now=0.0, damage=damage):
        decoder.feed(message)
    assert np.array_equal(decoder.framebuffer, after[..., :3])
