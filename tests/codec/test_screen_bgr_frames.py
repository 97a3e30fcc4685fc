"""The encoder takes frames already in BGR, as a sharer keeping its own copy hands them over."""

from __future__ import annotations

import numpy as np
import pytest

from codec import LocalProtocolError, ScreenDecoder, ScreenEncoder


def frames(width: int, height: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    first = np.zeros((height, width, 4), dtype=np.uint8)
    first[..., :3] = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    second = first.copy()
    second[10:20, 5:40, :3] = 250
    return [first, second]


@pytest.mark.parametrize("width", [128, 101])  # a multiple of the strip width, and not
def test_bgr_frames_encode_to_the_same_bytes_as_bgra(width: int) -> None:
    bgra_encoder, bgr_encoder = ScreenEncoder(width, 48), ScreenEncoder(width, 48)
    for frame in frames(width, 48):
        bgr = np.ascontiguousarray(frame[..., :3])
        assert bgr_encoder.encode(bgr, now=0.0) == bgra_encoder.encode(frame, now=0.0)


def test_a_bgr_frame_reaches_the_viewer_exact() -> None:
    encoder, decoder = ScreenEncoder(101, 48), ScreenDecoder()
    for frame in frames(101, 48):
        for data in encoder.encode(np.ascontiguousarray(frame[..., :3]), now=0.0):
            decoder.feed(data)
        assert np.array_equal(decoder.framebuffer, frame[..., :3])


def test_a_frame_of_two_channels_is_refused() -> None:
    with pytest.raises(LocalProtocolError, match="shape"):
        ScreenEncoder(16, 16).encode(np.zeros((16, 16, 2), dtype=np.uint8), now=0.0)


def test_lossy_mode_sees_a_video_played_into_one_reused_buffer() -> None:
    """The sharer draws every capture into the same buffer: the encoder must not keep it.

    Were it to keep the buffer instead of what it learnt from it, each frame would
    look unchanged from the last and the video would never be found (nor go lossy).
    """
    from tests.codec.test_screen_lossy import VIDEO, H, W, frame_with_video

    encoder, decoder = ScreenEncoder(W, H, lossy=True), ScreenDecoder()
    buffer = np.zeros((H, W, 3), dtype=np.uint8)
    for step in range(8):
        buffer[...] = frame_with_video(step)[..., :3]
        for data in encoder.encode(buffer, now=step / 10):
            decoder.feed(data)
    assert not np.array_equal(decoder.framebuffer[VIDEO], buffer[VIDEO])
