"""Lossy regions: video and animation sent as WebP, everything else exact.

A region that changes every frame with photographic content (a video in a
web page, a slideshow) costs megabytes per frame losslessly, so when lossy
mode is on the encoder sends such regions as WebP pictures. The viewer's
framebuffer then holds approximate pixels there; the encoder remembers which
(a per-pixel mask, moved along by copies) and, once a region has been still
for :data:`STILL_FRAMES` frames, sends it again losslessly. Text next to a
playing video stays pixel-exact because only pixels that are themselves
moving are put in a lossy rectangle.

The encoder never trusts that its own WebP decoder matches the viewer's:
masked pixels are always refreshed losslessly in the end, whatever they hold.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from codec._errors import ProtocolError
from codec.screen._diff import pixels_differ
from codec.screen._ops import Rect

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["STILL_FRAMES", "TILE", "LossyTracker", "decode_image", "encode_image"]

TILE = 64
#: Frames a tile must change in a row before it counts as video.
VIDEO_FRAMES = 3
#: Frames a lossy tile must stay unchanged before it is refreshed losslessly.
STILL_FRAMES = 2
#: A tile where more than this share of pixels equals its left neighbour is UI or text.
_FLAT_SHARE = 0.5
_FORMATS = ("WEBP",)


def encode_image(pixels: NDArray[np.uint8], quality: int, method: int) -> bytes:
    h, w = pixels.shape[:2]
    data = np.ascontiguousarray(pixels)
    image = Image.frombuffer("RGB", (w, h), data, "raw", "BGR", 0, 1)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=method)
    return out.getvalue()


def decode_image(data: bytes, width: int, height: int) -> NDArray[np.uint8]:
    """Decode a lossy picture that must be exactly ``width`` x ``height``."""
    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as image:
            # Checked before load(): the header alone must not make us allocate.
            if image.size != (width, height) or image.mode != "RGB":
                raise ProtocolError(
                    f"lossy image is {image.size[0]}x{image.size[1]} {image.mode}, the update "
                    f"declared {width}x{height} RGB",
                    reason="screen-image",
                )
            image.load()
            raw = image.tobytes("raw", "BGR")
    except ProtocolError:
        raise
    except Exception as exc:
        # Pillow reports corrupt input through many exception types (and warnings).
        raise ProtocolError(
            f"lossy image does not decode: {exc!r}", reason="screen-image"
        ) from None
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


class LossyTracker:
    """The encoder's memory of which pixels are moving and which are approximate."""

    def __init__(self, height: int, width: int) -> None:
        rows, cols = -(-height // TILE), -(-width // TILE)
        self.mask = np.zeros((height, width), dtype=bool)
        self._moving_streak = np.zeros((rows, cols), dtype=np.int32)
        self._still_streak = np.zeros((rows, cols), dtype=np.int32)
        self._prev: NDArray[np.uint8] | None = None
        self._moving = np.zeros((height, width), dtype=bool)

    def observe(self, cur: NDArray[np.uint8]) -> None:
        """Count, per tile, how long it has been moving or still in the captured frames."""
        if self._prev is None:
            self._moving[:] = False
        else:
            self._moving = pixels_differ(cur, self._prev)
        self._prev = cur
        moving_tiles = _tile_any(self._moving)
        self._moving_streak = np.where(moving_tiles, self._moving_streak + 1, 0)
        self._still_streak = np.where(moving_tiles, 0, self._still_streak + 1)

    def held(self) -> NDArray[np.bool_]:
        """Per tile: approximate pixels not yet still long enough to refresh."""
        return _tile_any(self.mask) & (self._still_streak < STILL_FRAMES)

    def video_rects(self, cur: NDArray[np.uint8]) -> list[Rect]:
        """Rectangles of moving pixels in tiles that look like video."""
        candidates = self._moving_streak >= VIDEO_FRAMES
        if not candidates.any():
            return []
        candidates &= _tile_flat_share(cur, self._moving, candidates) < _FLAT_SHARE
        rects = []
        for ty0, ty1, tx0, tx1 in _components(candidates):
            y0, x0 = ty0 * TILE, tx0 * TILE
            moving = self._moving[y0 : ty1 * TILE, x0 : tx1 * TILE]
            rows = np.flatnonzero(moving.any(axis=1))
            cols = np.flatnonzero(moving.any(axis=0))
            if rows.size and cols.size:
                rects.append(
                    Rect(
                        x0 + int(cols[0]),
                        y0 + int(rows[0]),
                        int(cols[-1] - cols[0]) + 1,
                        int(rows[-1] - rows[0]) + 1,
                    )
                )
        return rects


def _tile_any(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    h, w = mask.shape
    rows, cols = -(-h // TILE), -(-w // TILE)
    padded = np.zeros((rows * TILE, cols * TILE), dtype=bool)
    padded[:h, :w] = mask
    return np.asarray(padded.reshape(rows, TILE, cols, TILE).any(axis=(1, 3)))


def _tile_flat_share(
    cur: NDArray[np.uint8], moving: NDArray[np.bool_], tiles: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Share of pixels equal to their left neighbour, over the moving part of each tile.

    Only the moving part counts: a tile half video, half page text is video.
    """
    share = np.ones(tiles.shape, dtype=np.float64)
    for ty, tx in zip(*np.nonzero(tiles), strict=True):
        sl = np.s_[ty * TILE : (ty + 1) * TILE, tx * TILE : (tx + 1) * TILE]
        rows = np.flatnonzero(moving[sl].any(axis=1))
        cols = np.flatnonzero(moving[sl].any(axis=0))
        if rows.size == 0 or cols.size < 2:
            continue
        block = cur[sl][rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        same = ~pixels_differ(block[:, 1:], block[:, :-1])
        share[ty, tx] = np.count_nonzero(same) / same.size
    return share


def _components(tiles: NDArray[np.bool_]) -> list[tuple[int, int, int, int]]:
    """Bounding boxes ``(ty0, ty1, tx0, tx1)`` of 4-connected groups of tiles."""
    seen = np.zeros_like(tiles)
    boxes = []
    rows, cols = tiles.shape
    for start in zip(*np.nonzero(tiles), strict=True):
        if seen[start]:
            continue
        seen[start] = True
        stack = [(int(start[0]), int(start[1]))]
        ty0, ty1, tx0, tx1 = stack[0][0], stack[0][0] + 1, stack[0][1], stack[0][1] + 1
        while stack:
            ty, tx = stack.pop()
            ty0, ty1, tx0, tx1 = min(ty0, ty), max(ty1, ty + 1), min(tx0, tx), max(tx1, tx + 1)
            for ny, nx in ((ty - 1, tx), (ty + 1, tx), (ty, tx - 1), (ty, tx + 1)):
                if 0 <= ny < rows and 0 <= nx < cols and tiles[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        boxes.append((ty0, ty1, tx0, tx1))
    return boxes
