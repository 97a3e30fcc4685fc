"""Lossy regions: only photographic pixels that change, and never for long; JPEG stills.

A region that changes with photographic content (a video, the wallpaper a
dragged window uncovers, the soft shadow it drags along) costs a lot
losslessly, so with lossy mode on the encoder sends such pixels lossily and
remembers which ones the viewer holds approximately (a per-pixel mask,
moved along by copies), then refreshes them losslessly once still.

The refresh rule. Stillness is measured in time (the ``now`` each frame is
captured at), not in frames. A block the viewer holds approximately is sent
again losslessly once it has stood still for :data:`STILL_SECONDS`, unless
the screen is *in motion*: the update sends new lossy stills, as every
frame of a window dragged over a photograph does (it uncovers wallpaper and
drags its soft shadow along). Refreshing what the drag left behind would
then cost nearly as much as sending the drag losslessly, so the refresh
waits for the motion to end, except for :data:`REFINE_PIXELS` a frame,
oldest first, so that even an endless drag keeps converging. A video
playing in a stream of its own is not motion in this sense: beside it,
approximations are refreshed as on a still screen. So every approximation
is exact :data:`STILL_SECONDS` (plus one capture interval) after its area
stops changing, and a still screen is always exact: well within a second
at 10 frames per second.

What may go lossy is decided from the picture, not from motion alone. A
block of :data:`BLOCK` x :data:`BLOCK` pixels is *photographic* when fewer
than :data:`PHOTO_FLAT_SHARE` of its pixels equal their left neighbour:
text, however dense, and interface paint sit on flat backgrounds, while
photographs and video carry grain. Lossy rectangles are cut so that they
hold photographic blocks only, then grown pixel row by row to the real edge
of the picture. This is the one place that decides which pixels may be
inexact (:meth:`LossyTracker.regions`): the encoder's lossless pass repairs
every other pixel in the same update.

The encoder never trusts that its own decoder matches the viewer's: masked
pixels are always refreshed losslessly in the end, whatever they hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import simplejpeg

from codec._errors import LocalProtocolError, ProtocolError
from codec.screen._diff import STRIP, runs, true_at
from codec.screen._ops import Rect

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

    #: One uint32 per pixel, equal exactly where the pixels are
    #: (:func:`codec.screen._diff.pixel_keys`): all the tracker compares.
    Keys = NDArray[np.uint32]

__all__ = [
    "BLOCK",
    "JPEG_UNIT",
    "PHOTO_FLAT_SHARE",
    "REFINE_PIXELS",
    "STILL_SECONDS",
    "TILE",
    "LossyRegion",
    "LossyTracker",
    "decode_atlas",
    "decode_image",
    "encode_image",
    "flat_pixels",
    "photo_blocks",
]

TILE = 64
BLOCK = 8
#: Side of the pixel squares JPEG codes together (its MCU with chroma halved).
JPEG_UNIT = 16
#: Frames a tile must change in a row before it counts as video (a moving stream).
VIDEO_FRAMES = 3
#: Seconds still after which a lossy block is refreshed, once the screen is not in motion.
STILL_SECONDS = 0.2
#: Approximate pixels refreshed per frame while it is, of blocks still this long: whole
#: blocks, the stillest first (about 2 KB losslessly).
REFINE_PIXELS = 1024
REFINE_SECONDS = 1.0
#: A block where at least this share of pixels equals its left neighbour is text or UI.
PHOTO_FLAT_SHARE = 0.25
#: Photographic changes smaller than this stay lossless: not worth a picture's header.
_MIN_AREA = 32 * 32


def encode_image(pixels: NDArray[np.uint8], quality: int) -> bytes:
    """A BGR block as a still JPEG (libjpeg-turbo, chroma at half resolution).

    TurboJPEG reads and writes BGR as it is, where Pillow converts each way to its
    own four bytes a pixel: a third of the time to code and decode a drag's pieces.
    Regions that keep changing in place go through a video stream instead
    (:mod:`codec.screen._video`). Halving the chroma (4:2:0) halves the time and
    saves a tenth of the bytes: these are photographs, and text, where colour edges
    would show, is never here.
    """
    data: bytes = simplejpeg.encode_jpeg(
        np.ascontiguousarray(pixels), quality=quality, colorspace="BGR", colorsubsampling="420"
    )
    return data


def decode_image(data: bytes, width: int, height: int) -> NDArray[np.uint8]:
    """Decode a lossy picture that must be exactly ``width`` x ``height``."""

    def check(w: int, h: int, mode: str) -> None:
        if (w, h) != (width, height) or mode != "RGB":
            raise ProtocolError(
                f"lossy image is {w}x{h} {mode}, the update declared {width}x{height} RGB",
                reason="screen-image",
            )

    return _decode(data, check)


def decode_atlas(data: bytes, max_side: int, max_pixels: int) -> NDArray[np.uint8]:
    """Decode a lossy picture of pieces (:mod:`codec.screen._atlas`) of bounded size."""

    def check(w: int, h: int, mode: str) -> None:
        if w > max_side or h > max_side or w * h > max_pixels or mode != "RGB":
            raise ProtocolError(
                f"lossy image of pieces is {w}x{h} {mode}: it must be RGB, at most "
                f"{max_side} a side and {max_pixels} pixels",
                reason="screen-image",
            )

    return _decode(data, check)


#: JPEG's colour spaces as TurboJPEG names them, and what they decode from: only
#: colour pictures are lossy pictures.
_MODES = {"YCbCr": "RGB", "RGB": "RGB", "Gray": "grey", "CMYK": "CMYK", "YCCK": "CMYK"}


def _decode(data: bytes, check: Callable[[int, int, str], None]) -> NDArray[np.uint8]:
    try:
        # The header alone first: a picture too large must not make us allocate.
        height, width, space, _ = simplejpeg.decode_jpeg_header(data)
        check(width, height, _MODES.get(space, space))
        pixels: NDArray[np.uint8] = simplejpeg.decode_jpeg(data, colorspace="BGR")
    except ProtocolError:
        raise
    except Exception as exc:
        # TurboJPEG reports corrupt input (strict: warnings too) as ValueError.
        raise ProtocolError(
            f"lossy image does not decode: {exc!r}", reason="screen-image"
        ) from None
    if pixels.shape != (height, width, 3):
        raise ProtocolError("lossy image decoded to the wrong size", reason="screen-image")
    return pixels


def flat_pixels(pixels: Keys) -> NDArray[np.bool_]:
    """Per pixel: does it equal two or more of its eight neighbours (lines, fills, text ground)?

    Inside a lossy rectangle these stay exact: a window's one-pixel border, its
    rounded corner's staircase or the page beside a picture can share a block
    with photographic pixels. Grain almost never repeats, so photographs lose
    next to nothing to this.
    """
    h, w = pixels.shape[:2]
    # Compared as one long row (a contiguous copy), neighbours are fixed offsets: a
    # tall, narrow strip costs what a wide one does, not a numpy loop per row. The
    # pairs that wrap from a row's end to the next row's start are struck out.
    flat = np.ascontiguousarray(pixels).reshape(-1)
    n = flat.size
    count = np.zeros(n, dtype=np.uint8)
    same = np.empty(n, dtype=bool)
    grid = same.reshape(h, w)
    # (offset, the column whose pair wraps or None): right, down, down-right, down-left.
    for step, wraps in ((1, w - 1), (w, None), (w + 1, w - 1), (w - 1, 0)):
        if not 0 < step < n or (w == 1 and wraps is not None):
            continue
        pairs = same[: n - step]
        np.equal(flat[step:], flat[: n - step], out=pairs)
        if wraps is not None:
            grid[:, wraps] = False
        # Each equal pair counts for both of its pixels.
        np.add(count[: n - step], pairs, out=count[: n - step], casting="unsafe")
        np.add(count[step:], pairs, out=count[step:], casting="unsafe")
    return (count >= 2).reshape(h, w)


def photo_blocks(pixels: Keys) -> NDArray[np.bool_]:
    """Per :data:`BLOCK`-pixel block of ``pixels`` (sides multiples of it): photographic?"""
    h, w = pixels.shape[:2]
    same = np.ones((h, w), dtype=bool)
    np.equal(pixels[:, 1:], pixels[:, :-1], out=same[:, 1:])
    # Column 0 of each block compares with the block to its left, which is fine: a
    # photograph's pixel differs from its neighbour wherever that neighbour lies.
    # A block's row of eight flags is one word: the rows add up bytewise (at most 8
    # in a byte), and one multiplication adds the eight bytes into the top one.
    words = same.view(np.uint64).reshape(h // BLOCK, BLOCK, w // BLOCK)
    rows = words.sum(axis=1, dtype=np.uint64)
    counts = (rows * np.uint64(0x0101010101010101)) >> np.uint64(56)
    return np.asarray(counts < PHOTO_FLAT_SHARE * BLOCK * BLOCK)


class LossyRegion:
    """A rectangle of photographic, changing pixels; ``moving`` if it keeps changing."""

    __slots__ = ("moving", "rect")

    def __init__(self, rect: Rect, *, moving: bool) -> None:
        self.rect = rect
        self.moving = moving


class LossyTracker:
    """The encoder's memory of which pixels are moving and which are approximate."""

    def __init__(self, height: int, width: int) -> None:
        rows, cols = -(-height // TILE), -(-width // TILE)
        self.mask = np.zeros((height, width), dtype=bool)
        self._moving_streak = np.zeros((rows, cols), dtype=np.int32)
        # Stillness is kept per block, not per tile: a paused clip beside a
        # playing one's progress bar must not wait for the bar.
        self._changed_at = np.full((-(-height // BLOCK), -(-width // BLOCK)), -np.inf)
        self._now = -np.inf
        #: When a frame last sent lossy stills (the screen in motion).
        self._motion_at = -np.inf
        self._moving = np.zeros((height, width), dtype=bool)
        #: Where :attr:`moving` may hold True: the box the last capture changed in.
        self._box: tuple[slice, slice] = np.s_[0:0, 0:0]
        self._moving_blocks = np.zeros(self._changed_at.shape, dtype=bool)
        #: Whether the mask may hold any approximation (False: it holds none).
        self.holding = False
        #: Row strips (rows x 64-pixel strips) where :meth:`hold` last dropped
        #: approximations from the mask: the lossless pass must repair them, though
        #: the screen may not have changed there.
        self.dropped = np.zeros((height, width // STRIP), dtype=bool)

    def observe(self, changed: tuple[int, int, NDArray[np.bool_]] | None, now: float) -> None:
        """Note which pixels changed since the last capture, at ``now``.

        ``changed`` is ``(y, x, mask)``: the pixels that differ from the previous
        capture inside the box of ``mask``'s shape at ``(y, x)`` (whose corner lies on
        the block grid), none outside it; None when nothing changed (or for the first
        capture). Block work stays inside the box: a playing video, a drag or a typed
        character is a small part of the screen.
        """
        if now < self._now:
            raise LocalProtocolError(f"time went backwards: now={now} after {self._now}")
        self._now = now
        self._moving[self._box] = False
        moving_blocks = np.zeros(self._changed_at.shape, dtype=bool)
        if changed is not None:
            y0, x0, mask = changed
            self._box = np.s_[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]]
            self._moving[self._box] = mask
            found = _block_any(mask)
            by0, bx0 = y0 // BLOCK, x0 // BLOCK
            moving_blocks[by0 : by0 + found.shape[0], bx0 : bx0 + found.shape[1]] = found
        per_tile = TILE // BLOCK
        tile_rows, tile_cols = self._moving_streak.shape
        padded = np.zeros((tile_rows * per_tile, tile_cols * per_tile), dtype=bool)
        padded[: moving_blocks.shape[0], : moving_blocks.shape[1]] = moving_blocks
        moving_tiles = _block_any(padded)  # a tile is BLOCK x BLOCK blocks
        self._moving_streak = np.where(moving_tiles, self._moving_streak + 1, 0)
        self._changed_at[moving_blocks] = now
        self._moving_blocks = moving_blocks

    def approximated(self, y: int, x: int, approximate: NDArray[np.bool_]) -> None:
        """The viewer now holds approximations where ``approximate`` (placed at ``(y, x)``).

        Their blocks' stillness counts from now: a picture's edge can take in a block
        whose pixels had not changed in a long time, and it must not look overdue.
        """
        h, w = approximate.shape
        self.mask[y : y + h, x : x + w] = approximate
        self.holding = True
        # Every block the picture touches (only those holding approximations matter).
        blocks = np.s_[y // BLOCK : -(-(y + h) // BLOCK), x // BLOCK : -(-(x + w) // BLOCK)]
        self._changed_at[blocks] = self._now

    @property
    def moving(self) -> NDArray[np.bool_]:
        """Per pixel: did it change between the last two captured frames?"""
        return self._moving

    def next_deadline(self) -> float | None:
        """When the earliest approximation the viewer holds may be due for a refresh."""
        if not self.holding:
            return None
        blocks = _block_any(self.mask)
        if not blocks.any():
            return None
        earliest = float(self._changed_at[blocks].min())
        return max(earliest, self._motion_at) + STILL_SECONDS

    def hold(self, *, stills: bool) -> bool:
        """Keep for now the approximations not yet due a refresh; drop the rest from the mask.

        The refresh rule of this module's docstring: a block still for
        :data:`STILL_SECONDS` is refreshed, but while the screen is in motion only the
        :data:`REFINE_PIXELS` stillest are. The screen is in motion from a frame that
        sends lossy ``stills`` until :data:`STILL_SECONDS` after the last such frame (a
        drag's frames do not all uncover enough for a picture). A pixel that changed
        since the last capture is never held: it needs its new value. Every pixel the
        mask drops is exact after this update: the encoder's lossless pass repairs it.
        Returns whether any approximation is held.
        """
        if stills:
            self._motion_at = self._now
        in_motion = self._now < self._motion_at + STILL_SECONDS
        self.dropped = np.zeros_like(self.dropped)
        if not self.holding:
            return False
        self._drop_moved()
        blocks = _block_any(self.mask)
        self.holding = bool(blocks.any())
        if not self.holding:
            return False
        if in_motion:
            stale = self._now >= self._changed_at + REFINE_SECONDS
            due = true_at(stale & blocks)
            stillest = due[np.argsort(self._changed_at.ravel()[due], kind="stable")]
            per_row = blocks.shape[1]
            for i in stillest[: REFINE_PIXELS // (BLOCK * BLOCK)].tolist():
                by, bx = divmod(i, per_row)
                self._drop(by * BLOCK, (by + 1) * BLOCK, bx * BLOCK, (bx + 1) * BLOCK)
            return True
        # Compared as in next_deadline(), so a capture at the deadline is never early.
        ripe = blocks & (self._now >= self._changed_at + STILL_SECONDS)
        for by0, by1, bx0, bx1 in _block_rects(ripe):
            self._drop(by0 * BLOCK, by1 * BLOCK, bx0 * BLOCK, bx1 * BLOCK)
        self.holding = bool((blocks & ~ripe).any())
        return self.holding

    def _drop_moved(self) -> None:
        """What changed is never held; it lies in the box of the last capture's changes.

        These need no mark in :attr:`dropped`: a pixel whose capture changed since the
        last capture lies in what the encoder compares anyway. One whose keys are
        merely older than that (a copy moved its approximation there, and its keys
        stayed) was left out of the comparison only because the copy made it equal to
        the capture.
        """
        held = self.mask[self._box]
        # held & ~moved in one pass, with no array in between.
        np.greater(held, self._moving[self._box], out=held)

    def _drop(self, y0: int, y1: int, x0: int, x1: int) -> None:
        self.mask[y0:y1, x0:x1] = False
        self.dropped[y0:y1, x0 // STRIP : -(-x1 // STRIP)] = True

    def regions(self, cur: Keys, differs: NDArray[np.bool_]) -> list[LossyRegion]:
        """Rectangles of changing photographic pixels, and nothing else.

        Every pixel of every rectangle lies in a photographic block or in a
        photographic row or column at its edge; the caller keeps the
        :func:`flat_pixels` among them exact, so text and interface never go lossy.
        ``differs`` flags the row strips (rows x 64-pixel column strips) where the
        viewer's model still differs from ``cur``: content a copy already moved (a
        scrolled page, a dragged window) is not judged again.
        """
        height, width = self.mask.shape
        full_rows, full_cols = height // BLOCK, width // BLOCK
        strips = differs[: full_rows * BLOCK].reshape(full_rows, BLOCK, -1).any(axis=1)
        needed = np.repeat(strips, STRIP // BLOCK, axis=1)[:, :full_cols]
        eligible = np.zeros((full_rows, full_cols), dtype=bool)
        candidates = self._moving_blocks[:full_rows, :full_cols] & needed
        per_tile = TILE // BLOCK
        # Judged band by band of tiles, and within a band run by run of columns that
        # changed: typing on one line and a clock in the status bar are two thin bands,
        # and the two sides of a dragged window's shadow two narrow runs, not the screen
        # or the window between.
        if not candidates.any():
            return []
        starts = np.arange(0, full_rows, per_tile)
        for ty in true_at(np.logical_or.reduceat(candidates.any(axis=1), starts)).tolist():
            by0, by1 = ty * per_tile, min(full_rows, (ty + 1) * per_tile)
            band = candidates[by0:by1]
            for c0, c1 in runs(band.any(axis=0), per_tile):
                rows = true_at(band[:, c0:c1].any(axis=1))
                r0, r1 = by0 + int(rows[0]), by0 + int(rows[-1]) + 1
                pixels = cur[r0 * BLOCK : r1 * BLOCK, c0 * BLOCK : c1 * BLOCK]
                eligible[r0:r1, c0:c1] = candidates[r0:r1, c0:c1] & photo_blocks(pixels)
        x0 = y0 = 0
        out = []
        for by0, by1, bx0, bx1 in _block_rects(eligible):
            if (by1 - by0) * (bx1 - bx0) * BLOCK * BLOCK < _MIN_AREA:
                # A few stray blocks (dense glyphs can look grainy) are not a picture.
                continue
            rect = self._grow(
                cur, x0 + bx0 * BLOCK, y0 + by0 * BLOCK, x0 + bx1 * BLOCK, y0 + by1 * BLOCK
            )
            if rect.area < _MIN_AREA:
                continue
            ty0, ty1 = rect.y // TILE, -(-(rect.y + rect.h) // TILE)
            tx0, tx1 = rect.x // TILE, -(-(rect.x + rect.w) // TILE)
            streak = self._moving_streak[ty0:ty1, tx0:tx1]
            out.append(LossyRegion(rect, moving=bool((streak >= VIDEO_FRAMES).all())))
        return _disjoint(out)

    def _grow(self, cur: Keys, x0: int, y0: int, x1: int, y1: int) -> Rect:
        """Extend a block-aligned rectangle to the picture's real edge, pixel by pixel.

        Each side gains the run of up to ``BLOCK - 1`` rows (or columns) next to it
        that are themselves photographic and moving; the first flat one stops it.
        """
        height, width = self.mask.shape
        reach = BLOCK - 1
        moving = self._moving

        def run(ok: NDArray[np.bool_]) -> int:
            bad = true_at(~ok)
            return int(bad[0]) if bad.size else int(ok.size)

        # The rows above and below are judged together, then the columns left and
        # right (over the rows grown to): a picture's edge costs a few numpy calls.
        top, bottom = max(0, y0 - reach), min(height, y1 + reach)
        above = y0 - top
        band = np.concatenate((cur[top:y0, x0:x1], cur[y1:bottom, x0:x1]))
        same = _count(band[:, 1:] == band[:, :-1], axis=1)
        changed = _count(np.concatenate((moving[top:y0, x0:x1], moving[y1:bottom, x0:x1])), axis=1)
        ok = (same < PHOTO_FLAT_SHARE * (x1 - x0 - 1)) & (changed * 2 > x1 - x0)
        y0, y1 = y0 - run(ok[:above][::-1]), y1 + run(ok[above:])
        # A column is judged against its outer neighbour: the picture's own edge
        # column differs from the flat page beside it, so growth stops there.
        left, right = max(1, x0 - reach), min(width - 1, x1 + reach)
        lefts, rights = max(0, x0 - left), max(0, right - x1)
        if lefts + rights == 0:
            return Rect(x0, y0, x1 - x0, y1 - y0)
        parts = [cur[y0:y1, left - 1 : x0]] if lefts else []
        parts += [cur[y0:y1, x1 : right + 1]] if rights else []
        band = np.concatenate(parts, axis=1)
        pairs = _count(band[:, 1:] == band[:, :-1], axis=0)
        # The left side's pairs, then the one across the junction, then the right's.
        same = np.concatenate((pairs[:lefts], pairs[lefts + 1 :])) if lefts and rights else pairs
        sides = np.concatenate((moving[y0:y1, left:x0], moving[y0:y1, x1:right]), axis=1)
        changed = _count(sides, axis=0)
        ok = (same < PHOTO_FLAT_SHARE * (y1 - y0)) & (changed * 2 > y1 - y0)
        x0, x1 = x0 - run(ok[:lefts][::-1]), x1 + run(ok[lefts:])
        return Rect(x0, y0, x1 - x0, y1 - y0)


def _overlap(a: Rect, b: Rect) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _disjoint(regions: list[LossyRegion]) -> list[LossyRegion]:
    """The same pixels as ``regions``, each in one rectangle only, in few rectangles.

    Grown to the picture's edge, the rectangles of a staircase of blocks (the rounded,
    blurred top of a dragged window's shadow) overlap by up to a block: sent as they
    are, the overlap is coded twice. Each group of overlapping rectangles is cut anew
    across its long side: a wide band into runs of columns that cover the same rows
    (one wide piece, slivers at its ends), a tall one into runs of rows.
    """
    groups: list[list[LossyRegion]] = []
    for region in regions:
        touching = [g for g in groups if any(_overlap(region.rect, r.rect) for r in g)]
        merged = [region]
        for group in touching:
            groups.remove(group)
            merged += group
        groups.append(merged)
    out: list[LossyRegion] = []
    for group in groups:
        if len(group) == 1:
            out.append(group[0])
            continue
        moving = all(r.moving for r in group)
        x0, y0 = min(r.rect.x for r in group), min(r.rect.y for r in group)
        x1 = max(r.rect.x + r.rect.w for r in group)
        y1 = max(r.rect.y + r.rect.h for r in group)
        mask = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        for r in (g.rect for g in group):
            mask[r.y - y0 : r.y - y0 + r.h, r.x - x0 : r.x - x0 + r.w] = True
        wide = x1 - x0 >= y1 - y0
        # Each line is a column of a wide band, a row of a tall one.
        for a, b, lo, hi in _runs_of_lines(mask.T if wide else mask):
            rect = (
                Rect(x0 + a, y0 + lo, b - a, hi - lo)
                if wide
                else Rect(x0 + lo, y0 + a, hi - lo, b - a)
            )
            out.append(LossyRegion(rect, moving=moving))
    return out


def _runs_of_lines(lines: NDArray[np.bool_]) -> list[tuple[int, int, int, int]]:
    """``(a, b, lo, hi)``: lines ``a..b`` alike, each True from ``lo`` to ``hi``."""
    count, length = lines.shape
    new = np.ones(count, dtype=bool)
    new[1:] = (lines[1:] != lines[:-1]).any(axis=1)
    starts = true_at(new)
    ends = np.append(starts[1:], count)
    edges = np.zeros((starts.size, length + 1), dtype=np.int8)
    edges[:, :length] = lines[starts]
    edges[:, 1:] -= lines[starts].view(np.int8)
    # Row-major order: each line's rises and falls come paired, in order.
    line, lo = np.nonzero(edges == 1)
    _, hi = np.nonzero(edges == -1)
    return list(
        zip(starts[line].tolist(), ends[line].tolist(), lo.tolist(), hi.tolist(), strict=True)
    )


def _up(n: int) -> int:
    """``n`` rounded up to the block grid."""
    return -(-n // BLOCK) * BLOCK


def _count(flags: NDArray[np.bool_], axis: int) -> NDArray[np.int32]:
    """True values along ``axis`` (``mean`` and ``count_nonzero`` cost far more)."""
    counts: NDArray[np.int32] = np.add.reduce(flags.view(np.uint8), axis=axis, dtype=np.int32)
    return counts


def _block_any(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Per :data:`BLOCK` x :data:`BLOCK` block: any True? (Eight bools read as one word.)"""
    h, w = mask.shape
    rows, cols = -(-h // BLOCK), -(-w // BLOCK)
    if h % BLOCK or w % BLOCK or not mask.flags.c_contiguous:
        padded = np.zeros((rows * BLOCK, cols * BLOCK), dtype=bool)
        padded[:h, :w] = mask
    else:
        padded = mask
    words = padded.view(np.uint64).reshape(rows, BLOCK, cols)
    folded = words[:, 0].copy()
    for row in range(1, BLOCK):
        folded |= words[:, row]
    return np.asarray(folded != 0)


def _tile_any(mask: NDArray[np.bool_], side: int = TILE) -> NDArray[np.bool_]:
    h, w = mask.shape
    rows, cols = -(-h // side), -(-w // side)
    padded = np.zeros((rows * side, cols * side), dtype=bool)
    padded[:h, :w] = mask
    return np.asarray(padded.reshape(rows, side, cols, side).any(axis=(1, 3)))


def _block_rects(blocks: NDArray[np.bool_]) -> list[tuple[int, int, int, int]]:
    """Rectangles ``(by0, by1, bx0, bx1)`` that cover exactly the True blocks.

    Runs of True in each row continue the rectangle above when they span the
    same columns; any other shape closes it. An L-shaped area becomes two
    rectangles, never one box that would take in what lies between.
    """
    rows, cols = blocks.shape
    edges = np.zeros((rows, cols + 1), dtype=np.int8)
    edges[:, :cols] = blocks.view(np.int8)
    edges[:, 1:] -= blocks.view(np.int8)
    # All runs of all rows at once (the blocks of a 1080p screen are 135 rows): a
    # run starts where a row steps up and ends where it steps down, in row order.
    run_row, start = np.nonzero(edges == 1)
    _, end = np.nonzero(edges == -1)
    if run_row.size == 0:
        return []
    order = np.lexsort((run_row, end, start))
    run_row, start, end = run_row[order], start[order], end[order]
    # Runs of the same columns in consecutive rows form one rectangle.
    new = np.ones(run_row.size, dtype=bool)
    new[1:] = (start[1:] != start[:-1]) | (end[1:] != end[:-1]) | (run_row[1:] != run_row[:-1] + 1)
    first = true_at(new)
    last = np.append(first[1:], run_row.size) - 1
    return list(
        zip(
            run_row[first].tolist(),
            (run_row[last] + 1).tolist(),
            start[first].tolist(),
            end[first].tolist(),
            strict=True,
        )
    )
