"""The drawing operations a screen update carries, and how they apply.

An update's decompressed body is a flat run of operations, each a one-byte
opcode, little-endian ``uint16`` fields and, for pixels, the pixel bytes
themselves. The encoder applies the very same operations to its own model of
the viewer's framebuffer, so both sides stay identical by construction: any
pixel the encoder believes the viewer has, the viewer has.

Parsing validates everything before anything is drawn: a rectangle outside
the framebuffer, an unknown opcode or filter, or a body cut short is a
:class:`~codec.ProtocolError` and leaves the framebuffer untouched.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from codec._errors import ProtocolError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "VIDEO_STREAMS",
    "CopyOp",
    "LossyOp",
    "Op",
    "OpCode",
    "PartOp",
    "PixelFilter",
    "PixelsOp",
    "Rect",
    "VideoOp",
    "apply_copy",
    "apply_pixels",
    "filter_pixels",
    "parse_ops",
    "serialize_op",
    "unfilter_pixels",
]

Pixels: TypeAlias = "NDArray[np.uint8]"


class OpCode(IntEnum):
    #: Copy a rectangle of the framebuffer elsewhere (scrolls, moved windows).
    COPY = 1
    #: Literal BGR pixels for a rectangle, optionally filtered.
    PIXELS = 2
    #: A lossy image (JPEG) carried beside the compressed body, drawn into a rectangle.
    LOSSY = 3
    #: The next picture of a video stream (a packet carried beside the body), drawn
    #: into a rectangle the stream's size.
    VIDEO = 4
    #: A piece of a lossy image (JPEG) carried beside the body: the rectangle's pixels
    #: are read from a position inside it, so one image serves a frame's many pieces.
    LOSSY_PART = 5


class PixelFilter(IntEnum):
    """How literal pixels were transformed before compression."""

    #: Bytes as they are: best for text and flat UI, which zstd matches against history.
    NONE = 0
    #: Each byte minus its up, left and up-left neighbours (mod 256): photographs turn
    #: into small residuals that zstd's entropy stage packs far better than raw bytes.
    GRADIENT = 1
    #: The change from what the framebuffer already holds there, then GRADIENT: a soft
    #: shadow sliding over a photograph darkens it by a smooth ramp, so the change is
    #: smooth even where the photograph is not.
    TEMPORAL = 2


_RECT = struct.Struct("<HHHH")
_COPY = struct.Struct("<BHHHHHH")
_PIXELS = struct.Struct("<BHHHHB")
_LOSSY = struct.Struct("<BHHHHH")
_VIDEO = struct.Struct("<BHHHHBBBH")
_PART = struct.Struct("<BHHHHHHH")
#: Rows a copy must move by before it is done in bands that do not overlap.
_COPY_CHUNK_MIN = 16
#: Video streams a viewer may hold; ids are below this.
VIDEO_STREAMS = 2


@dataclass(frozen=True, slots=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        return self.w * self.h


@dataclass(frozen=True, slots=True)
class CopyOp:
    """Copy ``dst.w`` x ``dst.h`` pixels from ``(src_x, src_y)`` to ``dst``."""

    src_x: int
    src_y: int
    dst: Rect


@dataclass(frozen=True, slots=True)
class PixelsOp:
    rect: Rect
    filter: PixelFilter
    #: ``rect.h * rect.w * 3`` bytes, BGR, row-major, already filtered.
    payload: bytes | memoryview


@dataclass(frozen=True, slots=True)
class LossyOp:
    rect: Rect
    #: Index into the update's list of images.
    image: int


@dataclass(frozen=True, slots=True)
class VideoOp:
    rect: Rect
    #: A :class:`~codec.screen._video.VideoCodec` value.
    codec: int
    stream: int
    #: The packet opens a new stream of ``rect``'s size (replacing any with this id).
    new: bool
    #: Index into the update's list of images (here: packets).
    image: int


@dataclass(frozen=True, slots=True)
class PartOp:
    """Draw ``rect`` from ``(src_x, src_y)`` of lossy image ``image``."""

    rect: Rect
    image: int
    src_x: int
    src_y: int


Op: TypeAlias = CopyOp | PixelsOp | LossyOp | VideoOp | PartOp


def serialize_op(op: Op) -> list[bytes | memoryview]:
    """The wire bytes of one operation, as pieces to hand to the compressor."""
    if isinstance(op, CopyOp):
        d = op.dst
        return [_COPY.pack(OpCode.COPY, op.src_x, op.src_y, d.x, d.y, d.w, d.h)]
    if isinstance(op, PixelsOp):
        r = op.rect
        return [_PIXELS.pack(OpCode.PIXELS, r.x, r.y, r.w, r.h, op.filter), op.payload]
    r = op.rect
    if isinstance(op, PartOp):
        return [_PART.pack(OpCode.LOSSY_PART, r.x, r.y, r.w, r.h, op.image, op.src_x, op.src_y)]
    if isinstance(op, VideoOp):
        video = _VIDEO.pack(OpCode.VIDEO, r.x, r.y, r.w, r.h, op.codec, op.stream, op.new, op.image)
        return [video]
    return [_LOSSY.pack(OpCode.LOSSY, r.x, r.y, r.w, r.h, op.image)]


def _checked_rect(x: int, y: int, w: int, h: int, width: int, height: int, what: str) -> Rect:
    if w == 0 or h == 0 or x + w > width or y + h > height:
        raise ProtocolError(
            f"screen update {what} rectangle {w}x{h}+{x}+{y} lies outside the "
            f"{width}x{height} framebuffer",
            reason="screen-bounds",
        )
    return Rect(x, y, w, h)


def _checked_image(index: int, images: int, what: str) -> int:
    if index >= images:
        raise ProtocolError(
            f"{what} names image {index}, the update carries {images}", reason="screen-op"
        )
    return index


def parse_ops(
    body: bytes, *, width: int, height: int, images: int, codecs: frozenset[int] = frozenset()
) -> list[Op]:
    """Validate and split a decompressed update body into operations.

    ``codecs`` are the video codec numbers the viewer can decode.
    """
    ops: list[Op] = []
    view = memoryview(body)
    pos = 0
    end = len(body)
    try:
        while pos < end:
            code = body[pos]
            if code == OpCode.COPY:
                _, sx, sy, dx, dy, w, h = _COPY.unpack_from(body, pos)
                pos += _COPY.size
                dst = _checked_rect(dx, dy, w, h, width, height, "copy destination")
                _checked_rect(sx, sy, w, h, width, height, "copy source")
                ops.append(CopyOp(sx, sy, dst))
            elif code == OpCode.PIXELS:
                _, x, y, w, h, filt = _PIXELS.unpack_from(body, pos)
                pos += _PIXELS.size
                rect = _checked_rect(x, y, w, h, width, height, "pixels")
                if filt not in PixelFilter._value2member_map_:
                    raise ProtocolError(f"unknown pixel filter {filt}", reason="screen-op")
                size = rect.area * 3
                if pos + size > end:
                    raise ProtocolError(
                        f"screen update is truncated: a {w}x{h} pixel rectangle needs "
                        f"{size} bytes, {end - pos} remain",
                        reason="screen-truncated",
                    )
                ops.append(PixelsOp(rect, PixelFilter(filt), view[pos : pos + size]))
                pos += size
            elif code == OpCode.LOSSY:
                _, x, y, w, h, index = _LOSSY.unpack_from(body, pos)
                pos += _LOSSY.size
                rect = _checked_rect(x, y, w, h, width, height, "lossy image")
                ops.append(LossyOp(rect, _checked_image(index, images, "lossy operation")))
            elif code == OpCode.LOSSY_PART:
                _, x, y, w, h, index, sx, sy = _PART.unpack_from(body, pos)
                pos += _PART.size
                rect = _checked_rect(x, y, w, h, width, height, "lossy part")
                # Where it reads from is checked against the image once it is decoded.
                ops.append(PartOp(rect, _checked_image(index, images, "lossy part"), sx, sy))
            elif code == OpCode.VIDEO:
                _, x, y, w, h, codec, stream, flags, index = _VIDEO.unpack_from(body, pos)
                pos += _VIDEO.size
                rect = _checked_rect(x, y, w, h, width, height, "video")
                if codec not in codecs or stream >= VIDEO_STREAMS or flags > 1:
                    raise ProtocolError(
                        f"video operation names codec {codec}, stream {stream}, flags {flags}",
                        reason="screen-op",
                    )
                if index >= images:
                    raise ProtocolError(
                        f"video operation names packet {index}, the update carries {images}",
                        reason="screen-op",
                    )
                ops.append(VideoOp(rect, codec, stream, bool(flags), index))
            else:
                raise ProtocolError(f"unknown screen operation {code}", reason="screen-op")
    except struct.error:
        raise ProtocolError(
            "screen update is truncated in the middle of an operation header",
            reason="screen-truncated",
        ) from None
    return ops


def _gradient(pixels: Pixels) -> Pixels:
    # 2-D difference: d[y, x] = p[y, x] - p[y-1, x] - p[y, x-1] + p[y-1, x-1] (mod 256).
    vertical = pixels.copy()
    vertical[1:] -= pixels[:-1]
    out = vertical.copy()
    out[:, 1:] -= vertical[:, :-1]
    return out


def filter_pixels(pixels: Pixels, kind: PixelFilter, before: Pixels | None = None) -> Pixels:
    """Apply ``kind`` to a ``(h, w, 3)`` block; the result is contiguous.

    ``before`` is what the framebuffer holds under the block (TEMPORAL only).
    """
    if kind is PixelFilter.NONE:
        return np.ascontiguousarray(pixels)
    if kind is PixelFilter.TEMPORAL:
        assert before is not None
        return _gradient(pixels - before)  # uint8 wraps, as the viewer's sum does
    return _gradient(pixels)


def unfilter_pixels(data: Pixels, kind: PixelFilter, before: Pixels | None = None) -> Pixels:
    if kind is PixelFilter.NONE:
        return data
    # The inverse of a 2-D difference is a 2-D running sum; uint8 wraps like the encoder.
    summed = np.cumsum(np.cumsum(data, axis=0, dtype=np.uint8), axis=1, dtype=np.uint8)
    if kind is PixelFilter.TEMPORAL:
        assert before is not None
        summed += before
    return summed


def apply_copy(fb: Pixels, op: CopyOp) -> None:
    d = op.dst
    shift = d.y - op.src_y
    step = abs(shift)
    if step < _COPY_CHUNK_MIN:
        # numpy notices the overlap of a scroll and reads the source before writing.
        src = fb[op.src_y : op.src_y + d.h, op.src_x : op.src_x + d.w]
        fb[d.y : d.y + d.h, d.x : d.x + d.w] = src
        return
    # In bands as tall as the shift, taken in the order that reads each band before
    # it is overwritten, source and destination never overlap: numpy then copies once
    # instead of through a temporary the size of the screen (three times faster).
    bands = range(0, d.h, step) if shift < 0 else reversed(range(0, d.h, step))
    for y in bands:
        n = min(step, d.h - y)
        src = fb[op.src_y + y : op.src_y + y + n, op.src_x : op.src_x + d.w]
        fb[d.y + y : d.y + y + n, d.x : d.x + d.w] = src


def apply_pixels(fb: Pixels, op: PixelsOp) -> None:
    r = op.rect
    data = np.frombuffer(op.payload, dtype=np.uint8).reshape(r.h, r.w, 3)
    area = fb[r.y : r.y + r.h, r.x : r.x + r.w]
    area[...] = unfilter_pixels(data, op.filter, area)
