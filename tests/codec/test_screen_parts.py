"""Screen codec: a frame's lossy stills travel as pieces of one picture.

The packing is checked on its own (pieces never share a JPEG coding unit,
every rectangle is covered once), then the decoder against hand-made parts
that break one rule each: a part must read inside its picture, and the
pictures of pieces one update makes the viewer decode are bounded.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from codec import ProtocolError, ScreenDecoder
from codec.screen._atlas import ATLAS_MIN_PIXELS, ATLAS_SCREENS, pack
from codec.screen._lossy import JPEG_UNIT, encode_image
from codec.screen._ops import Rect
from tests.codec.test_screen_hostile import H, Sender, W, pixels


def part(x: int, y: int, w: int, h: int, image: int, sx: int, sy: int) -> bytes:
    return struct.pack("<BHHHHHHH", 5, x, y, w, h, image, sx, sy)


def jpeg(width: int, height: int, fill: int = 90) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (fill, fill, fill)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def started() -> tuple[Sender, ScreenDecoder]:
    sender, decoder = Sender(), ScreenDecoder()
    decoder.feed(sender.message(pixels(0, 0, W, H), keyframe=True))
    return sender, decoder


def test_pieces_cover_each_rectangle_once_on_the_coding_grid() -> None:
    rects = [Rect(3, 5, 53, 558), Rect(208, 704, 912, 23), Rect(100, 1, 7, 9)]
    (atlas,) = pack(rects, 1920 * 1080)
    covered = np.zeros((1080, 1920), dtype=np.uint8)
    placed = np.zeros((atlas.height, atlas.width), dtype=np.uint8)
    for piece in atlas.pieces:
        r = piece.rect
        covered[r.y : r.y + r.h, r.x : r.x + r.w] += 1
        assert (piece.x % JPEG_UNIT, piece.y % JPEG_UNIT) == (0, 0)
        # Each piece owns the whole coding units it touches.
        h, w = -(-r.h // JPEG_UNIT) * JPEG_UNIT, -(-r.w // JPEG_UNIT) * JPEG_UNIT
        units = np.s_[piece.y : piece.y + h, piece.x : piece.x + w]
        placed[units] += 1
    assert placed.max() == 1
    for r in rects:
        assert (covered[r.y : r.y + r.h, r.x : r.x + r.w] == 1).all()
    assert covered.sum() == sum(r.area for r in rects)


def test_pieces_beyond_the_pixel_cap_go_in_another_picture() -> None:
    rects = [Rect(0, y, 640, 64) for y in range(0, 640, 64)]
    atlases = pack(rects, 640 * 256)
    assert len(atlases) > 1
    assert all(a.width * a.height <= 640 * 256 for a in atlases)
    assert sorted(p.rect.y for a in atlases for p in a.pieces) == list(range(0, 640, 64))


def test_parts_of_one_picture_draw_where_they_are_told(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    sender, decoder = started
    picture = np.zeros((16, 32, 3), dtype=np.uint8)
    picture[:, 16:] = 200
    image = encode_image(picture, 95)
    body = part(0, 0, 8, 8, 0, 16, 0) + part(40, 30, 8, 8, 0, 0, 0)
    decoder.feed(sender.message(body, images=[image]))
    fb = decoder.framebuffer
    assert abs(int(fb[4, 4, 0]) - 200) < 8
    assert int(fb[34, 44, 0]) < 8
    assert int(fb[20, 20, 0]) == 7  # untouched


def test_a_part_reading_outside_its_picture_is_refused_and_draws_nothing(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    sender, decoder = started
    before = decoder.framebuffer.copy()
    body = part(0, 0, 8, 8, 0, 0, 0) + part(8, 8, 16, 16, 0, 20, 0)
    with pytest.raises(ProtocolError, match="reads 16x16"):
        decoder.feed(sender.message(body, images=[jpeg(32, 16)]))
    assert np.array_equal(decoder.framebuffer, before)


def test_a_part_naming_a_missing_picture_is_refused(started: tuple[Sender, ScreenDecoder]) -> None:
    sender, decoder = started
    with pytest.raises(ProtocolError, match="names image 1"):
        decoder.feed(sender.message(part(0, 0, 8, 8, 1, 0, 0), images=[jpeg(16, 16)]))


def test_a_picture_of_pieces_larger_than_the_budget_is_refused_unread(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    sender, decoder = started
    side = int((ATLAS_SCREENS * ATLAS_MIN_PIXELS) ** 0.5) + 16
    with pytest.raises(ProtocolError, match="lossy image of pieces"):
        decoder.feed(sender.message(part(0, 0, 8, 8, 0, 0, 0), images=[jpeg(side, side)]))


def test_pictures_of_pieces_share_one_budget_per_update(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    """Each picture fits alone; together they would make the viewer decode too much."""
    sender, decoder = started
    side = int((ATLAS_SCREENS * ATLAS_MIN_PIXELS / 2) ** 0.5)
    images = [jpeg(side, side), jpeg(side, side, fill=10), jpeg(side, side, fill=30)]
    body = b"".join(part(0, 0, 8, 8, i, 0, 0) for i in range(3))
    with pytest.raises(ProtocolError, match="lossy image of pieces"):
        decoder.feed(sender.message(body, images=images))


def test_a_picture_of_pieces_that_is_not_rgb_is_refused(
    started: tuple[Sender, ScreenDecoder],
) -> None:
    sender, decoder = started
    out = io.BytesIO()
    Image.new("L", (16, 16), 7).save(out, "JPEG")
    with pytest.raises(ProtocolError, match="must be RGB"):
        decoder.feed(sender.message(part(0, 0, 8, 8, 0, 0, 0), images=[out.getvalue()]))
