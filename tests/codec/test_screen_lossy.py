"""Screen codec, lossy mode: video goes lossy, everything else stays exact."""

from __future__ import annotations

import numpy as np

from codec import ScreenDecoder, ScreenEncoder

W, H = 256, 192
VIDEO = (slice(64, 160), slice(64, 192))


def frame_with_video(step: int) -> np.ndarray:
    frame = np.zeros((H, W, 4), dtype=np.uint8)
    frame[...] = (240, 240, 240, 255)
    frame[10:40:4, 10:240:2] = (20, 20, 20, 255)  # text-like strokes above the video
    frame[170:185:3, 10:240:3] = (20, 20, 20, 255)  # and below it
    y, x = np.mgrid[0:96, 0:128]
    wave = 128 + 90 * np.sin((x + 7 * step) / 9.0) * np.cos((y - 3 * step) / 13.0)
    # Sensor grain is independent per channel, as in a real camera.
    grain = np.random.default_rng(step).normal(0, 6, (96, 128, 3))
    channels = np.stack([wave, wave / 2 + 60, 255 - wave], -1)
    picture = np.clip(channels + grain, 0, 255).astype(np.uint8)
    frame[VIDEO] = np.concatenate([picture, np.full((96, 128, 1), 255, np.uint8)], -1)
    return frame


def outside_video(image: np.ndarray) -> np.ndarray:
    mask = np.ones((H, W), dtype=bool)
    mask[VIDEO] = False
    return image[mask]


def play(encoder: ScreenEncoder, decoder: ScreenDecoder, frame: np.ndarray, now: float) -> int:
    messages = encoder.encode(frame, now=now)
    for message in messages:
        decoder.feed(message)
    return sum(len(m) for m in messages)


def test_lossless_is_the_default() -> None:
    encoder, decoder = ScreenEncoder(W, H), ScreenDecoder()
    for step in range(6):
        play(encoder, decoder, frame_with_video(step), step / 10)
        assert np.array_equal(decoder.framebuffer, frame_with_video(step)[..., :3])


def test_playing_video_goes_lossy_and_the_rest_stays_exact() -> None:
    encoder, decoder = ScreenEncoder(W, H, lossy=True), ScreenDecoder()
    lossless = ScreenEncoder(W, H)
    for step in range(8):
        frame = frame_with_video(step)
        size = play(encoder, decoder, frame, step / 10)
        reference = sum(len(m) for m in lossless.encode(frame, now=step / 10))
        fb = decoder.framebuffer
        assert np.array_equal(outside_video(fb), outside_video(frame[..., :3]))
    assert size < reference // 2
    error = np.abs(fb[VIDEO].astype(int) - frame[VIDEO][..., :3]).mean()
    assert 0 < error < 20


def test_still_video_is_refreshed_losslessly() -> None:
    encoder, decoder = ScreenEncoder(W, H, lossy=True), ScreenDecoder()
    for step in range(8):
        play(encoder, decoder, frame_with_video(step), step / 10)
    paused = frame_with_video(7)
    for step in range(8, 12):
        play(encoder, decoder, paused, step / 10)
    assert np.array_equal(decoder.framebuffer, paused[..., :3])


def test_turning_lossy_off_restores_exact_pixels() -> None:
    encoder, decoder = ScreenEncoder(W, H, lossy=True), ScreenDecoder()
    for step in range(8):
        play(encoder, decoder, frame_with_video(step), step / 10)
    encoder.lossy = False
    play(encoder, decoder, frame_with_video(8), 0.8)
    assert np.array_equal(decoder.framebuffer, frame_with_video(8)[..., :3])


def test_pixel_keys_are_equal_exactly_where_pixels_are() -> None:
    from codec.screen._diff import pixel_keys

    rng = np.random.default_rng(4)
    pixels = rng.integers(0, 4, (7, 9, 3), dtype=np.uint8)  # few values: many equal pairs
    keys = pixel_keys(pixels).reshape(-1)
    flat = pixels.reshape(-1, 3)
    same_pixels = (flat[:, None] == flat[None, :]).all(axis=2)
    assert np.array_equal(keys[:, None] == keys[None, :], same_pixels)  # last pixel included


def test_pixel_keys_of_a_box_are_read_in_place_as_the_box_alone_gives_them() -> None:
    from codec.screen._diff import pixel_keys

    rng = np.random.default_rng(5)
    frame = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    # Every corner, the frame's last pixel (nothing to read past it) and single pixels.
    for rows in (slice(0, 3), slice(2, 6), slice(5, 6), slice(None)):
        for cols in (slice(0, 1), slice(3, 8), slice(7, 8), slice(1, 5)):
            expected = pixel_keys(np.ascontiguousarray(frame[rows, cols]))
            assert np.array_equal(pixel_keys(frame, rows, cols), expected)


def test_a_higher_lossy_quality_sends_a_closer_picture_for_more_bytes() -> None:
    sizes, errors = [], []
    for quality in (20, 80):
        encoder = ScreenEncoder(W, H, lossy=True, lossy_quality=quality, video_codec=None)
        decoder = ScreenDecoder()
        size = 0
        for step in range(3):
            size = play(encoder, decoder, frame_with_video(step), step / 10)
        sizes.append(size)
        errors.append(
            np.abs(
                decoder.framebuffer[VIDEO].astype(int) - frame_with_video(2)[VIDEO][..., :3]
            ).mean()
        )
    assert sizes[0] < sizes[1]
    assert errors[0] > errors[1]
