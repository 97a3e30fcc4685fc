"""Finding what changed between two frames, as few tight rectangles.

Frames are compared in *row strips*: one flag per pixel row per 64-pixel
column strip, computed by viewing the byte-wise difference as 64-bit words
(one fast pass, about a millisecond for 1080p). Within each band of 64 rows,
runs of neighbouring changed strips become one rectangle trimmed to the
pixels that really changed, unless joining them would mostly send unchanged
pixels (the L-shaped strip a dragged window uncovers stays two thin
rectangles, not one large one).

Encoder-side arrays are padded to a multiple of 64 pixels wide so the word
view always lines up; the padding is identical on both frames and never
shows up as a change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from codec.screen._ops import Rect

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "BAND",
    "STRIP",
    "changed_columns",
    "changed_rects",
    "changed_strips",
    "changed_strips_where",
    "copy_strips",
    "copy_where",
    "pixel_keys",
    "pixels_differ",
    "runs",
    "split_rect",
    "true_at",
]

#: Pixels per column strip (and per tile side).
STRIP = 64
#: Rows per band when cutting changes into rectangles.
BAND = 64
#: One pixels operation stays under this many raw bytes, so updates can be split.
MAX_RECT_BYTES = 256 * 1024
_WORDS = STRIP * 3 // 8
#: Up to this many flags set, :func:`runs` loops in Python.
_FEW = 24


def true_at(flags: NDArray[np.bool_] | np.bool_) -> NDArray[np.intp]:
    """``np.flatnonzero``, without its Python wrappers (a frame calls it hundreds of times)."""
    out: NDArray[np.intp] = np.asarray(flags).ravel().nonzero()[0]
    return out


def changed_strips(
    cur: NDArray[np.uint8], ref: NDArray[np.uint8], rows: slice = slice(None)
) -> NDArray[np.bool_]:
    """``[y, s]`` is True where row ``y`` differs within column strip ``s``."""
    a, b = cur[rows], ref[rows]
    h, w = a.shape[:2]
    # Compare 64-bit words, then fold each strip's 24 flags (3 words of bools) with ORs:
    # numpy reduces a short inner axis very slowly.
    ne = a.reshape(h, w // STRIP, STRIP * 3).view(np.uint64) != b.reshape(
        h, w // STRIP, STRIP * 3
    ).view(np.uint64)
    folded = ne.view(np.uint64)
    out: NDArray[np.bool_] = (folded[..., 0] | folded[..., 1] | folded[..., 2]) != 0
    return out


def changed_strips_where(
    cur: NDArray[np.uint8],
    ref: NDArray[np.uint8],
    maybe: NDArray[np.bool_],
    top: int,
    kept: tuple[NDArray[np.bool_], NDArray[np.uint8]] | None = None,
) -> NDArray[np.bool_]:
    """:func:`changed_strips` for rows ``top`` onwards, compared only where ``maybe`` says.

    ``maybe`` flags the strips that may differ (any other is known not to); they are
    compared band by band, run of strips by run: a dragged window's shadow and the
    wallpaper it uncovers are a ring, and its inside need not be read again.
    ``kept`` is ``(mask, target)``: the frame compared is then ``cur`` with ``ref``'s
    pixels where ``mask`` is set (what the viewer may keep), put together in
    ``target`` where it is compared (and valid nowhere else).
    """
    out = np.zeros_like(maybe)
    for b0 in range(0, maybe.shape[0], BAND):
        band = maybe[b0 : b0 + BAND]
        hit = true_at(band.any(axis=1))
        if hit.size == 0:
            continue
        rows = slice(top + b0 + int(hit[0]), top + b0 + int(hit[-1]) + 1)
        for s0, s1 in runs(band.any(axis=0)):
            cols = slice(s0 * STRIP, s1 * STRIP)
            frame = cur
            if kept is not None:
                mask, frame = kept
                frame[rows, cols] = cur[rows, cols]
                copy_where(frame[rows, cols], ref[rows, cols], mask[rows, cols])
            out[rows.start - top : rows.stop - top, s0:s1] = changed_strips(
                frame[:, cols], ref[:, cols], rows
            )
    return out


def copy_strips(dst: NDArray[np.uint8], src: NDArray[np.uint8], flags: NDArray[np.bool_]) -> None:
    """``dst = src`` in every row strip ``flags`` sets (and a few around them: each band's runs)."""
    for b0 in range(0, flags.shape[0], BAND):
        band = flags[b0 : b0 + BAND]
        hit = true_at(band.any(axis=1))
        if hit.size == 0:
            continue
        rows = slice(b0 + int(hit[0]), b0 + int(hit[-1]) + 1)
        for s0, s1 in runs(band.any(axis=0)):
            cols = slice(s0 * STRIP, s1 * STRIP)
            dst[rows, cols] = src[rows, cols]


def pixels_differ(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Per pixel: does any channel differ? (``.any(axis=2)`` is 15x slower in numpy.)"""
    ne = a != b
    out: NDArray[np.bool_] = ne[..., 0] | ne[..., 1]
    out |= ne[..., 2]
    return out


def pixel_keys(
    pixels: NDArray[np.uint8], rows: slice = slice(None), cols: slice = slice(None)
) -> NDArray[np.uint32]:
    """Each pixel of ``pixels[rows, cols]`` (BGR) as one number, equal exactly where colours are.

    Comparing keys is one contiguous pass where comparing BGR pixels takes three
    strided ones, and the lossy tracker compares neighbours and frames a dozen times
    a frame. The keys are read as overlapping 4-byte words 3 bytes apart (a pixel
    and the next one's first byte, masked off), which is one pass too, and straight
    from ``pixels`` when it is contiguous: copying a box of three-byte pixels out of
    a frame first cost three times the reading.
    """
    frame = np.ascontiguousarray(pixels)
    height, width = frame.shape[:2]
    y0, y1, _ = rows.indices(height)
    x0, x1, _ = cols.indices(width)
    h, w = max(0, y1 - y0), max(0, x1 - x0)
    keys = np.empty((h, w), dtype="<u4")
    if h == 0 or w == 0:
        return keys

    def words(y: int, count: int, length: int) -> NDArray[np.uint32]:
        # Little-endian whatever the machine, so the mask keeps this pixel's B, G and R.
        return np.ndarray(
            (count, length),
            dtype="<u4",
            buffer=frame,
            offset=(y * width + x0) * 3,
            strides=(width * 3, 3),
        )

    # The frame's last pixel has no next byte to read past; it is put together by hand.
    last = y1 == height and x1 == width
    whole = h - 1 if last else h
    if whole:
        np.bitwise_and(words(y0, whole, w), 0xFFFFFF, out=keys[:whole])
    if last:
        if w > 1:
            np.bitwise_and(words(y1 - 1, 1, w - 1), 0xFFFFFF, out=keys[-1:, :-1])
        b, g, r = (int(v) for v in frame[-1, -1])
        keys[-1, -1] = b | g << 8 | r << 16
    return keys


def copy_where(dst: NDArray[np.uint8], src: NDArray[np.uint8], where: NDArray[np.bool_]) -> None:
    """``dst[where] = src[where]`` for ``(h, w, 3)`` pixels and an ``(h, w)`` mask.

    Each pixel is viewed as one 3-byte item, so the mask needs no broadcasting over
    channels: twenty times faster than ``np.copyto`` with a ``(h, w, 1)`` mask.
    """
    np.copyto(dst.view("V3")[..., 0], src.view("V3")[..., 0], where=where)


def runs(flags: NDArray[np.bool_] | np.bool_, gap: int = 1) -> list[tuple[int, int]]:
    """``(start, end)`` of the runs of True in ``flags``, joining runs less than ``gap`` apart."""
    on = true_at(flags)
    if on.size <= _FEW:
        # A few strips: a loop costs less than numpy's calls.
        out: list[tuple[int, int]] = []
        for i in on.tolist():
            if out and i - out[-1][1] < gap:
                out[-1] = (out[-1][0], i + 1)
            else:
                out.append((i, i + 1))
        return out
    # A run ends where the next True lies ``gap`` or more past it.
    cut = true_at(on[1:] - on[:-1] > gap)
    starts = on[np.concatenate(([0], cut + 1))]
    ends = on[np.concatenate((cut, [on.size - 1]))] + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def changed_columns(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> NDArray[np.intp]:
    """Indices of the columns where two equally shaped blocks differ."""
    h, w = a.shape[:2]
    ne = (a != b).reshape(h, w * 3).any(axis=0).reshape(w, 3)
    return true_at(ne[:, 0] | ne[:, 1] | ne[:, 2])


def _row_spans(band: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    first = np.argmax(band, axis=0)
    last = band.shape[0] - np.argmax(band[::-1], axis=0)
    return first, last


def changed_rects(
    cur: NDArray[np.uint8], ref: NDArray[np.uint8], changed: NDArray[np.bool_], top: int = 0
) -> list[Rect]:
    """Tight rectangles covering every difference flagged in ``changed``.

    ``changed`` holds the strip flags for rows ``top`` onwards.
    """
    rects: list[Rect] = []
    for start in range(0, changed.shape[0], BAND):
        band = changed[start : start + BAND]
        strips = true_at(band.any(axis=0))
        if strips.size == 0:
            continue
        first, last = _row_spans(band[:, strips])
        runs: list[list[int]] = []  # [s0, s1, r0, r1]
        for i, s in enumerate(strips.tolist()):
            r0, r1 = int(first[i]), int(last[i])
            if runs and runs[-1][1] == s:
                run = runs[-1]
                u0, u1 = min(run[2], r0), max(run[3], r1)
                joined = (s + 1 - run[0]) * (u1 - u0)
                apart = (run[1] - run[0]) * (run[3] - run[2]) + (r1 - r0)
                if joined <= apart * 5 // 4 + 8:
                    run[1], run[2], run[3] = s + 1, u0, u1
                    continue
            runs.append([s, s + 1, r0, r1])
        for s0, s1, r0, r1 in runs:
            y0, y1 = top + start + r0, top + start + r1
            x0, x1 = s0 * STRIP, s1 * STRIP
            cols = changed_columns(cur[y0:y1, x0:x1], ref[y0:y1, x0:x1])
            if cols.size:
                rects.extend(
                    split_rect(Rect(x0 + int(cols[0]), y0, int(cols[-1] - cols[0]) + 1, y1 - y0))
                )
    return rects


def split_rect(rect: Rect) -> list[Rect]:
    """Cut a rectangle into row bands of at most :data:`MAX_RECT_BYTES` pixel bytes."""
    rows = max(1, MAX_RECT_BYTES // (rect.w * 3))
    if rect.h <= rows:
        return [rect]
    return [
        Rect(rect.x, y, rect.w, min(rows, rect.y + rect.h - y))
        for y in range(rect.y, rect.y + rect.h, rows)
    ]
