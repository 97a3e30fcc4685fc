"""Screen decoder: hostile bytes end in ProtocolError, never in garbage or a crash.

Messages are built by hand from the wire pieces so each test breaks exactly
one rule; the hypothesis tests throw random and mutated messages at it.
"""

from __future__ import annotations

import struct

import msgpack
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codec import LimitExceededError, Limits, ProtocolError, ScreenDecoder, ScreenEncoder
from codec.screen._stream import CompressStream
from codec.screen._wire import (
    MAX_IMAGES,
    UpdateFlags,
    UpdateHeader,
    UpdateKind,
    pack_update,
    unpack_update,
)

W, H = 64, 48


class Sender:
    """Hand-made updates over a real zstd stream."""

    def __init__(self) -> None:
        self.stream = CompressStream(3)
        self.epoch = 1
        self.seq = 0

    def message(
        self,
        body: bytes,
        *,
        keyframe: bool = False,
        declared: int | None = None,
        images: list[bytes] | None = None,
        size: tuple[int, int] = (W, H),
    ) -> bytes:
        if keyframe:
            self.stream.reset()
            self.seq = 0
        compressed = self.stream.compress(body) + self.stream.flush()
        header = UpdateHeader(
            kind=UpdateKind.KEYFRAME if keyframe else UpdateKind.DELTA,
            epoch=self.epoch,
            seq=self.seq,
            flags=UpdateFlags.FRAME_END,
            body_size=len(body) if declared is None else declared,
            width=size[0],
            height=size[1],
        )
        self.seq += 1
        return pack_update(header, compressed, images or [])


def pixels(x: int, y: int, w: int, h: int, fill: int = 7) -> bytes:
    return struct.pack("<BHHHHB", 2, x, y, w, h, 0) + bytes([fill]) * (w * h * 3)


def copy(sx: int, sy: int, dx: int, dy: int, w: int, h: int) -> bytes:
    return struct.pack("<BHHHHHH", 1, sx, sy, dx, dy, w, h)


@pytest.fixture
def started() -> tuple[Sender, ScreenDecoder]:
    sender, decoder = Sender(), ScreenDecoder()
    decoder.feed(sender.message(pixels(0, 0, W, H), keyframe=True))
    return sender, decoder


def test_hand_made_stream_decodes(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    decoder.feed(sender.message(pixels(1, 2, 3, 4, fill=9) + copy(0, 0, 10, 10, 5, 5)))
    assert decoder.framebuffer[2, 1, 0] == 9
    assert decoder.framebuffer[12, 11, 0] == 9


def test_pixels_outside_the_framebuffer_are_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="outside the 64x48 framebuffer"):
        decoder.feed(sender.message(pixels(60, 40, 8, 8)))


def test_copy_from_outside_the_framebuffer_is_refused(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="copy source"):
        decoder.feed(sender.message(copy(60, 0, 0, 0, 10, 10)))


def test_refused_update_draws_nothing(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    before = decoder.framebuffer.copy()
    with pytest.raises(ProtocolError):
        decoder.feed(sender.message(pixels(0, 0, 4, 4, fill=1) + pixels(63, 0, 2, 2)))
    assert np.array_equal(decoder.framebuffer, before)


def test_unknown_operation_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="unknown screen operation 9"):
        decoder.feed(sender.message(b"\x09" + bytes(12)))


def test_truncated_pixels_are_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="truncated"):
        decoder.feed(sender.message(pixels(0, 0, 4, 4)[:-5]))


def test_truncated_operation_header_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="truncated"):
        decoder.feed(sender.message(copy(0, 0, 1, 1, 2, 2)[:7]))


def test_more_decompressed_bytes_than_declared_is_refused(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    sender, decoder = started
    body = pixels(0, 0, W, H)
    with pytest.raises(LimitExceededError, match="more bytes than it declared"):
        decoder.feed(sender.message(body, declared=100))


def test_fewer_decompressed_bytes_than_declared_is_refused(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    sender, decoder = started
    body = pixels(0, 0, 4, 4)
    with pytest.raises(ProtocolError, match="declared"):
        decoder.feed(sender.message(body, declared=len(body) + 10))


def test_declared_size_above_the_limit_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, _ = started
    decoder = ScreenDecoder(limits=Limits(max_update_bytes=1000))
    with pytest.raises(LimitExceededError, match="limit is 1000"):
        decoder.feed(sender.message(pixels(0, 0, W, H), keyframe=True))


def test_zstd_bomb_stops_at_the_declared_size(started: tuple[Sender, ScreenDecoder]) -> None:
    _, decoder = started
    # Forty RLE blocks of 128 KiB each: five MiB from 160 bytes, against a budget of 100.
    rle_block = ((128 * 1024) << 3 | 1 << 1).to_bytes(3, "little") + b"\x00"
    header = UpdateHeader(UpdateKind.DELTA, 1, 1, UpdateFlags.FRAME_END, 100)
    with pytest.raises(LimitExceededError):
        decoder.feed(pack_update(header, rle_block * 40, []))


def test_oversized_keyframe_is_refused() -> None:
    sender = Sender()
    with pytest.raises(LimitExceededError, match=r"outside 1\.\.8192"):
        ScreenDecoder().feed(sender.message(b"", keyframe=True, size=(9000, 10)))


def test_missing_message_is_detected(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    sender.message(pixels(0, 0, 1, 1))  # lost on the way
    with pytest.raises(ProtocolError, match="lost or reordered"):
        decoder.feed(sender.message(pixels(0, 0, 1, 1)))


def test_replayed_message_is_detected(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    message = sender.message(pixels(0, 0, 1, 1))
    decoder.feed(message)
    with pytest.raises(ProtocolError, match="lost or reordered"):
        decoder.feed(message)


def test_delta_before_any_keyframe_is_refused() -> None:
    sender = Sender()
    sender.message(pixels(0, 0, W, H), keyframe=True)
    with pytest.raises(ProtocolError, match="no usable keyframe"):
        ScreenDecoder().feed(sender.message(pixels(0, 0, 1, 1)))


def test_replayed_keyframe_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="replayed or out of order"):
        decoder.feed(sender.message(pixels(0, 0, W, H), keyframe=True))


def test_after_an_error_only_a_keyframe_is_accepted(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError):
        decoder.feed(sender.message(b"\xff"))
    with pytest.raises(ProtocolError, match="no usable keyframe"):
        decoder.feed(sender.message(pixels(0, 0, 1, 1)))
    sender.epoch += 1
    decoder.feed(sender.message(pixels(0, 0, W, H, fill=3), keyframe=True))
    assert decoder.framebuffer[0, 0, 0] == 3


def test_lossy_image_of_the_wrong_size_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    from codec.screen._lossy import encode_image

    sender, decoder = started
    image = encode_image(np.zeros((20, 20, 3), dtype=np.uint8), 50)
    op = struct.pack("<BHHHHH", 3, 0, 0, 10, 10, 0)
    with pytest.raises(ProtocolError, match="declared 10x10"):
        decoder.feed(sender.message(op, images=[image]))


def test_garbage_lossy_image_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    op = struct.pack("<BHHHHH", 3, 0, 0, 10, 10, 0)
    with pytest.raises(ProtocolError, match="does not decode"):
        decoder.feed(sender.message(op, images=[b"RIFF\x00\x00\x00\x00WEBPjunk"]))


def _real_stream() -> list[bytes]:
    encoder = ScreenEncoder(W, H)
    frame = np.random.default_rng(0).integers(0, 256, (H, W, 4), dtype=np.uint8)
    messages = encoder.encode(frame, now=0.0)
    for step in range(3):
        frame = frame.copy()
        frame[step * 5 : step * 5 + 20] = frame[step * 5 + 3 : step * 5 + 23]
        messages += encoder.encode(frame, now=step / 10)
    return messages


_STREAM = _real_stream()
_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_protocol_errors(data: bytes) -> None:
    decoder = ScreenDecoder()
    with pytest.raises(ProtocolError):
        decoder.feed(data)


@_SETTINGS
@given(
    index=st.integers(0, len(_STREAM) - 1),
    edits=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.integers(0, 1 << 20),
)
def test_mutated_messages_raise_only_protocol_errors(
    index: int, edits: list[tuple[int, int]], cut: int
) -> None:
    decoder = _feed_mutated(_STREAM, index, edits, cut)
    # A mutation the format cannot see (a pixel byte) still draws within bounds.
    assert decoder is None or decoder.framebuffer.shape == (H, W, 3)


def _feed_mutated(
    stream: list[bytes], index: int, edits: list[tuple[int, int]], cut: int
) -> ScreenDecoder | None:
    """Feed a real stream up to ``index``, then that message mutated.

    Returns None if the decoder refused it with a :class:`ProtocolError` (any other
    exception fails the test), else the decoder that took it.
    """
    decoder = ScreenDecoder()
    for message in stream[:index]:
        decoder.feed(message)
    mutated = bytearray(stream[index])
    for position, value in edits:
        mutated[position % len(mutated)] = value
    if cut % 3:  # two in three are also cut short, somewhere after the first byte
        del mutated[max(1, cut % len(mutated)) :]
    assume(bytes(mutated) != stream[index])
    try:
        decoder.feed(bytes(mutated))
    except ProtocolError:
        return None
    return decoder


def test_a_screen_update_is_unpacked_with_the_common_depth_limit() -> None:
    """Nesting goes through codec's one bounded unpack, so it is refused for its depth."""
    nested: list[object] = []
    for _ in range(20):
        nested = [nested]
    message = msgpack.packb([0, 1, 0, 1, 0, b"", nested], use_bin_type=True)
    with pytest.raises(ProtocolError, match="nested too deeply") as info:
        unpack_update(message, Limits())
    assert info.value.reason == "screen-format"


def test_a_screen_update_with_too_many_images_is_refused() -> None:
    header = UpdateHeader(UpdateKind.DELTA, 1, 0, UpdateFlags.FRAME_END, 0, 0, 0)
    message = pack_update(header, b"", [b"x"] * (MAX_IMAGES + 1))
    with pytest.raises(LimitExceededError, match="images"):
        unpack_update(message, Limits())


def test_garbage_jpeg_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    op = struct.pack("<BHHHHH", 3, 0, 0, 10, 10, 0)
    with pytest.raises(ProtocolError, match="lossy image"):
        decoder.feed(sender.message(op, images=[b"\xff\xd8\xff\xe0\x00\x10JFIFjunk" * 3]))


def test_grey_jpeg_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    import io

    from PIL import Image

    sender, decoder = started
    out = io.BytesIO()
    Image.new("L", (10, 10), 7).save(out, "JPEG")
    op = struct.pack("<BHHHHH", 3, 0, 0, 10, 10, 0)
    with pytest.raises(ProtocolError, match="declared 10x10 RGB"):
        decoder.feed(sender.message(op, images=[out.getvalue()]))


def video(
    x: int, y: int, w: int, h: int, *, codec: int = 1, stream: int = 0, new: int = 1
) -> bytes:
    return struct.pack("<BHHHHBBBH", 4, x, y, w, h, codec, stream, new, 0)


def h264_packets(width: int, height: int, count: int = 1) -> list[bytes]:
    from codec.screen._video import VideoCodec, VideoEncoder

    encoder = VideoEncoder(VideoCodec.H264, width, height)
    rng = np.random.default_rng(3)
    return [
        encoder.encode(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))[0]
        for _ in range(count)
    ]


def test_a_real_video_packet_decodes(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    first, second = h264_packets(32, 16, 2)
    decoder.feed(sender.message(video(0, 0, 32, 16), images=[first]))
    decoder.feed(sender.message(video(0, 0, 32, 16, new=0), images=[second]))
    assert decoder.framebuffer[:16, :32].std() > 20  # noise, not the keyframe's flat 7


def test_video_of_an_unknown_codec_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="codec 9"):
        decoder.feed(sender.message(video(0, 0, 32, 16, codec=9), images=[b"x"]))


def test_video_stream_beyond_the_limit_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="stream 2"):
        decoder.feed(sender.message(video(0, 0, 32, 16, stream=2), images=[b"x"]))


def test_video_on_a_stream_never_opened_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="was not opened"):
        decoder.feed(sender.message(video(0, 0, 32, 16, new=0), images=h264_packets(32, 16)))


def test_video_continuing_at_another_size_is_refused(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    sender, decoder = started
    decoder.feed(sender.message(video(0, 0, 32, 16), images=h264_packets(32, 16)))
    with pytest.raises(ProtocolError, match="was not opened"):
        decoder.feed(sender.message(video(0, 0, 32, 32, new=0), images=[b"x"]))


def test_garbage_video_packet_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="video"):
        decoder.feed(sender.message(video(0, 0, 32, 16), images=[b"\x00\x00\x00\x01\x67junk" * 9]))


def test_video_picture_larger_than_its_stream_is_refused(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    sender, decoder = started
    big = h264_packets(64, 48)  # a stream's worth of pixels FFmpeg must not allocate
    # Refused by FFmpeg before it allocates (max_pixels), not after decoding.
    with pytest.raises(ProtocolError, match="does not decode"):
        decoder.feed(sender.message(video(0, 0, 32, 16), images=big))


def test_video_streams_are_bounded_in_size() -> None:
    from codec.screen._video import MAX_PIXELS, VideoCodec, VideoDecoder

    with pytest.raises(LimitExceededError, match="at most"):
        VideoDecoder(VideoCodec.H264, 2048, MAX_PIXELS // 2048 + 2)
    with pytest.raises(LimitExceededError, match="even-sized"):
        VideoDecoder(VideoCodec.H264, 33, 16)


def test_a_refused_video_draws_nothing(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    before = decoder.framebuffer.copy()
    body = pixels(0, 0, 4, 4, fill=1) + video(0, 0, 32, 16)
    with pytest.raises(ProtocolError):
        decoder.feed(sender.message(body, images=[b"garbage"]))
    assert np.array_equal(decoder.framebuffer, before)


def _video_stream() -> list[bytes]:
    """A real lossy session at 128x96: a grainy clip playing, so video operations flow."""
    encoder = ScreenEncoder(128, 96, lossy=True, max_message_bytes=512 * 1024)
    messages = []
    for step in range(7):
        frame = np.full((96, 128, 4), 240, dtype=np.uint8)
        clip = np.random.default_rng(step).integers(60, 200, (64, 96, 4), dtype=np.uint8)
        frame[16:80, 16:112] = clip
        messages += encoder.encode(frame, now=step / 10)
    return messages


_VIDEO_STREAM = _video_stream()


def test_the_fuzzed_lossy_session_carries_video_and_pieces_of_stills() -> None:
    from codec.screen._ops import PartOp, VideoOp, parse_ops
    from codec.screen._stream import BoundedDecompressor
    from codec.screen._wire import unpack_update

    stream, kinds = BoundedDecompressor(), set()
    for message in _VIDEO_STREAM:
        header, body, images = unpack_update(message, Limits())
        raw = stream.decompress(body, header.body_size)
        ops = parse_ops(raw, width=128, height=96, images=len(images), codecs=frozenset({1, 2}))
        kinds |= {type(op) for op in ops}
    assert {VideoOp, PartOp} <= kinds


@_SETTINGS
@given(
    index=st.integers(0, len(_VIDEO_STREAM) - 1),
    edits=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.integers(0, 1 << 20),
)
def test_mutated_video_messages_raise_only_protocol_errors(
    index: int, edits: list[tuple[int, int]], cut: int
) -> None:
    decoder = _feed_mutated(_VIDEO_STREAM, index, edits, cut)
    assert decoder is None or decoder.framebuffer.shape == (96, 128, 3)


def test_temporal_pixels_add_to_what_the_framebuffer_holds(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    sender, decoder = started
    # TEMPORAL: a 2-D running sum of the residual, added to the pixels already there (7).
    residual = bytearray(2 * 2 * 3)
    residual[0:3] = b"\x03\x03\x03"  # +3 at the top-left spreads over the whole block
    op = struct.pack("<BHHHHB", 2, 10, 10, 2, 2, 2) + bytes(residual)
    decoder.feed(sender.message(op))
    assert decoder.framebuffer[10:12, 10:12].tolist() == [[[10] * 3] * 2] * 2
