"""Packing a frame's lossy stills into one picture.

A dragged window uncovers a strip of wallpaper on two sides and drags its
soft shadow along, so one frame's photographic changes are a dozen thin
rectangles. Sent as a dozen JPEGs, each pays for its own headers (about
400 bytes of tables) and its own round trip through the encoder and
decoder. Packed as pieces of one picture, the frame pays once.

Pieces are bands of at most :data:`BAND` rows cut from each rectangle, laid
out on shelves left to right; every piece starts on the 16-pixel grid of
JPEG's coding units, so no unit mixes two pieces and each piece is coded as
it would be alone. The padding around a piece repeats its edge pixels, which
costs next to nothing to code and does not ring into the piece.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from codec.screen._lossy import JPEG_UNIT
from codec.screen._ops import Rect

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["ATLAS_MIN_PIXELS", "ATLAS_SCREENS", "BAND", "Atlas", "Piece", "pack"]

#: Pixels of pictures of pieces one update may make the viewer decode, in screens (a
#: frame's pieces fill at most a screen, padding and shelves add some) and at the least.
ATLAS_SCREENS = 2
ATLAS_MIN_PIXELS = 512 * 512
#: Rows per piece: tall rectangles are cut so that shelves stay short.
BAND = 128
#: Pieces start on the grid of JPEG's coding units.
_GRID = JPEG_UNIT
#: The widest an atlas is made for its area alone; a wider rectangle widens it.
_MAX_WIDTH = 1024


@dataclass(frozen=True, slots=True)
class Piece:
    """Screen rectangle ``rect``, a band of ``region``, is drawn from ``(x, y)`` of the atlas."""

    rect: Rect
    region: Rect
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class Atlas:
    width: int
    height: int
    pieces: list[Piece]

    def compose(self, frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """The atlas picture: each piece's pixels of ``frame``, edges repeated around it."""
        out = np.empty((self.height, self.width, 3), dtype=np.uint8)
        out[...] = 128
        for piece in self.pieces:
            r = piece.rect
            h, w = -(-r.h // _GRID) * _GRID, -(-r.w // _GRID) * _GRID
            area = out[piece.y : piece.y + h, piece.x : piece.x + w]
            area[: r.h, : r.w] = frame[r.y : r.y + r.h, r.x : r.x + r.w]
            # A pixel as one 3-byte item: numpy broadcasts a column of those two to
            # three times faster than a column of three channels.
            cells = area.view("V3")[..., 0]
            cells[: r.h, r.w :] = cells[: r.h, r.w - 1 : r.w]
            area[r.h :] = area[r.h - 1 : r.h]
        return out


def pack(rects: list[Rect], max_pixels: int) -> list[Atlas]:
    """Lay ``rects`` out as pieces of atlases of at most ``max_pixels`` pixels each.

    First fit by decreasing height: each piece goes on the first shelf that is tall
    enough and has room left, so the short ends of a wide band's shelf and the
    gaps of a shelf of narrow bands take the small pieces instead of new shelves.
    """
    cut = [
        (Rect(r.x, y, r.w, min(BAND, r.y + r.h - y)), r)
        for r in rects
        for y in range(r.y, r.y + r.h, BAND)
    ]
    # Tallest first on the coding grid (what a piece takes), widest first among equals.
    cut.sort(key=lambda pair: ((-pair[0].h) // _GRID, -pair[0].w))
    bands = [band for band, _ in cut]
    # About square, and no narrower than the widest piece.
    area = sum(r.w * r.h for r in bands)
    square = -(-int((area * 1.2) ** 0.5) // _GRID) * _GRID
    width = max([min(square, _MAX_WIDTH)] + [-(-r.w // _GRID) * _GRID for r in bands])
    atlases: list[Atlas] = []
    pieces: list[Piece] = []
    #: The open atlas's shelves, as [top, height, filled width].
    shelves: list[list[int]] = []
    for band, region in cut:
        w, h = -(-band.w // _GRID) * _GRID, -(-band.h // _GRID) * _GRID
        shelf = next((s for s in shelves if s[1] >= h and s[2] + w <= width), None)
        if shelf is None:
            bottom = shelves[-1][0] + shelves[-1][1] if shelves else 0
            if pieces and (bottom + h) * width > max_pixels:
                atlases.append(Atlas(width, bottom, pieces))
                pieces, shelves, bottom = [], [], 0
            shelf = [bottom, h, 0]
            shelves.append(shelf)
        pieces.append(Piece(band, region, shelf[2], shelf[0]))
        shelf[2] += w
    if pieces:
        atlases.append(Atlas(width, shelves[-1][0] + shelves[-1][1], pieces))
    return atlases
