"""Screen codec: what the viewer sees is what was captured.

Frames are small (256x192) synthetic screens: noise where content must not
compress (so a small update proves a copy was used), flat panels and text-like
strokes elsewhere. Every test feeds an encoder's messages to a decoder and
compares the framebuffer with the captured BGR pixels.
"""

from __future__ import annotations

import numpy as np
import pytest

from codec import ScreenDecoder, ScreenEncoder

W, H = 256, 192


def noise(seed: int, height: int = H, width: int = W) -> np.ndarray:
    frame = np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)
    frame[..., 3] = 255
    return frame


def desktop(seed: int = 0) -> np.ndarray:
    """A flat desktop with a noisy 'photo' window and a text-like panel."""
    frame = np.zeros((H, W, 4), dtype=np.uint8)
    frame[...] = (90, 70, 60, 255)
    frame[20:120, 30:150] = noise(seed)[:100, :120]
    frame[130:180, 10:240] = (250, 250, 250, 255)
    frame[140:170:6, 20:230:3] = (20, 20, 20, 255)
    return frame


def send(encoder: ScreenEncoder, decoder: ScreenDecoder, frame: np.ndarray) -> int:
    messages = encoder.encode(frame, now=0.0)
    for message in messages:
        decoder.feed(message)
    assert np.array_equal(decoder.framebuffer, frame[..., :3])
    return sum(len(m) for m in messages)


@pytest.fixture
def pair() -> tuple[ScreenEncoder, ScreenDecoder]:
    return ScreenEncoder(W, H), ScreenDecoder()


def test_first_frame_is_a_self_contained_keyframe(
    pair: tuple[ScreenEncoder, ScreenDecoder],
) -> None:
    encoder, decoder = pair
    send(encoder, decoder, desktop())
    assert decoder.size == (W, H)
    assert decoder.frame_complete


def test_unchanged_frame_gives_no_message(pair: tuple[ScreenEncoder, ScreenDecoder]) -> None:
    encoder, decoder = pair
    send(encoder, decoder, desktop())
    assert encoder.encode(desktop(), now=0.0) == []


def test_alpha_changes_alone_are_not_changes(pair: tuple[ScreenEncoder, ScreenDecoder]) -> None:
    encoder, decoder = pair
    frame = desktop()
    send(encoder, decoder, frame)
    frame[..., 3] = 0
    assert encoder.encode(frame, now=0.0) == []


def test_changed_tile_sends_only_its_changed_subrectangle(
    pair: tuple[ScreenEncoder, ScreenDecoder],
) -> None:
    encoder, decoder = pair
    frame = noise(1)
    send(encoder, decoder, frame)
    frame[50:54, 70:75] = noise(2)[:4, :5]
    # 20 noisy pixels are 60 bytes; a whole 64x64 tile would be 12 KiB.
    assert send(encoder, decoder, frame) < 150


def test_scroll_is_sent_as_a_copy(pair: tuple[ScreenEncoder, ScreenDecoder]) -> None:
    encoder, decoder = pair
    frame = noise(3)
    send(encoder, decoder, frame)
    scrolled = frame.copy()
    scrolled[10:150] = frame[40:180]
    scrolled[150:180] = noise(4)[:30]
    new_rows = 30 * W * 3
    assert send(encoder, decoder, scrolled) < new_rows + 500


def test_moved_window_is_sent_as_a_copy(pair: tuple[ScreenEncoder, ScreenDecoder]) -> None:
    encoder, decoder = pair
    background = np.full((H, W, 4), 200, dtype=np.uint8)
    window = noise(5)[:90, :110]
    before = background.copy()
    before[30:120, 20:130] = window
    send(encoder, decoder, before)
    after = background.copy()
    after[45:135, 57:167] = window
    assert send(encoder, decoder, after) < 1000


def test_window_dragged_with_a_shadow_taller_than_itself_is_sent_as_a_copy(
    pair: tuple[ScreenEncoder, ScreenDecoder],
) -> None:
    """The changed area is mostly shadow, so the window fills well under 90% of it."""
    window = noise(6)[:50, :100]
    y, x = np.mgrid[0:H, 0:W]
    grain = np.random.default_rng(3).normal(0, 2.5, (H, W, 3))
    wallpaper = (150 + 40 * np.sin(x / 23.0) * np.cos(y / 31.0))[..., None] + grain

    def dragged(left: int, top: int) -> np.ndarray:
        # A soft shadow 30 px deep all round the window darkens the wallpaper.
        dist = np.maximum(np.maximum(left - x, x - left - 99), np.maximum(top - y, y - top - 49))
        shade = 0.55 + 0.45 * np.clip(dist / 30.0, 0, 1)
        frame = np.full((H, W, 4), 255, dtype=np.uint8)
        frame[..., :3] = np.rint(wallpaper * shade[..., None]).astype(np.uint8)
        frame[top : top + 50, left : left + 100] = window
        return frame

    encoder, decoder = pair
    send(encoder, decoder, dragged(40, 60))
    # The sliding shadow costs about 17 KB; sent again, the window's 15 KB would add to it.
    assert send(encoder, decoder, dragged(52, 65)) < 21_000


def test_keyframe_makes_the_next_update_self_contained(
    pair: tuple[ScreenEncoder, ScreenDecoder],
) -> None:
    encoder, decoder = pair
    send(encoder, decoder, desktop(0))
    send(encoder, decoder, desktop(1))
    encoder.keyframe()
    late_viewer = ScreenDecoder()
    for message in encoder.encode(desktop(2), now=0.0):
        late_viewer.feed(message)
    assert np.array_equal(late_viewer.framebuffer, desktop(2)[..., :3])
    third = desktop(2)
    third[0:5, 0:5] = 0
    for message in encoder.encode(third, now=0.0):
        late_viewer.feed(message)
    assert np.array_equal(late_viewer.framebuffer, third[..., :3])


def test_resolution_change_is_a_clean_keyframe(pair: tuple[ScreenEncoder, ScreenDecoder]) -> None:
    encoder, decoder = pair
    send(encoder, decoder, desktop())
    smaller = noise(6, height=100, width=130)
    send(encoder, decoder, smaller)
    assert decoder.size == (130, 100)
    fresh = ScreenDecoder()
    smaller[0, 0] = 1
    messages = encoder.encode(smaller, now=0.0)
    with pytest.raises(Exception, match="no usable keyframe"):
        fresh.feed(messages[0])


def test_odd_width_round_trips() -> None:
    encoder, decoder = ScreenEncoder(101, 37), ScreenDecoder()
    frame = noise(7, height=37, width=101)
    send(encoder, decoder, frame)
    frame[3:30, 90:101] = 0
    send(encoder, decoder, frame)


def test_large_frame_is_split_to_fit_the_message_limit() -> None:
    width, height = 640, 480
    encoder = ScreenEncoder(width, height, max_message_bytes=512 * 1024)
    decoder = ScreenDecoder()
    frame = noise(8, height=height, width=width)
    messages = encoder.encode(frame, now=0.0)
    assert len(messages) > 1
    assert all(len(m) <= 512 * 1024 for m in messages)
    for message in messages[:-1]:
        decoder.feed(message)
        assert not decoder.frame_complete
    decoder.feed(messages[-1])
    assert decoder.frame_complete
    assert np.array_equal(decoder.framebuffer, frame[..., :3])


def test_history_makes_repeated_content_cheap(pair: tuple[ScreenEncoder, ScreenDecoder]) -> None:
    encoder, decoder = pair
    base = desktop()
    send(encoder, decoder, base)
    dialog = base.copy()
    dialog[60:124, 100:228] = noise(9)[:64, :128]
    first = send(encoder, decoder, dialog)
    send(encoder, decoder, base)
    again = send(encoder, decoder, dialog)
    assert again < first // 10


def test_sequence_of_mixed_changes_stays_exact(pair: tuple[ScreenEncoder, ScreenDecoder]) -> None:
    encoder, decoder = pair
    frame = desktop()
    rng = np.random.default_rng(10)
    for step in range(12):
        frame = frame.copy()
        y, x = int(rng.integers(0, H - 40)), int(rng.integers(0, W - 40))
        if step % 3 == 0:
            frame[y + 5 : y + 35, x : x + 40] = frame[y : y + 30, x : x + 40].copy()
        else:
            frame[y : y + 8, x : x + 30] = noise(step)[:8, :30]
        send(encoder, decoder, frame)


def test_a_soft_shadow_sliding_over_a_photo_costs_less_than_the_photo() -> None:
    """The shadow is the wallpaper darkened by a smooth ramp: its change is what travels."""
    y, x = np.mgrid[0:H, 0:W]
    smooth = 140 + 60 * np.sin(x / 19.0) * np.cos(y / 27.0)
    grain = np.random.default_rng(11).normal(0, 2.5, (H, W, 3))  # a photo: smooth, grainy
    wallpaper = np.full((H, W, 4), 255, dtype=np.uint8)
    wallpaper[..., :3] = np.clip(smooth[..., None] + grain, 0, 255).astype(np.uint8)

    def shaded(centre: int) -> np.ndarray:
        frame = wallpaper.copy()
        shade = 1 - 0.45 * np.exp(-(((np.arange(W) - centre) / 20.0) ** 2))  # soft, blurred
        frame[..., :3] = np.rint(wallpaper[..., :3] * shade[None, :, None]).astype(np.uint8)
        return frame

    encoder, decoder = ScreenEncoder(W, H), ScreenDecoder()
    send(encoder, decoder, shaded(100))
    slid = send(encoder, decoder, shaded(112))
    # The same pixels where the viewer had a flat panel instead of the photo.
    fresh, before = ScreenEncoder(W, H), shaded(112)
    before[:, 56:158, :3] = 128  # exactly the columns the shadow changes
    fresh.encode(before, now=0.0)
    photo_only = sum(len(m) for m in fresh.encode(shaded(112), now=0.0))
    assert slid < photo_only * 2 // 3


@pytest.mark.parametrize(("dx", "dy"), [(0, -40), (0, 40), (12, 25), (-7, -90), (3, 5)])
def test_a_copy_over_itself_draws_what_was_there_before_it(dx: int, dy: int) -> None:
    """Scrolls and drags copy a rectangle over part of itself, in bands or at once."""
    from codec.screen._ops import CopyOp, Rect, apply_copy

    fb = np.random.default_rng(5).integers(0, 256, (240, 200, 3), dtype=np.uint8)
    before = fb.copy()
    sx, sy, w, h = 20, 100, 150, 130
    sy -= max(0, sy + dy + h - 240)
    apply_copy(fb, CopyOp(sx, sy, Rect(sx + dx, sy + dy, w, h)))
    expected = before.copy()
    expected[sy + dy : sy + dy + h, sx + dx : sx + dx + w] = before[sy : sy + h, sx : sx + w]
    assert np.array_equal(fb, expected)
