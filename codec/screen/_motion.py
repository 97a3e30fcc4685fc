"""Finding content that moved: scrolled documents and dragged windows.

Both are one rectangle of the previous frame reappearing at an offset
``(dx, dy)``; a scroll is just ``dx == 0``. Sending it as one copy operation
costs 13 bytes instead of the pixels.

How the offset is found, cheaply:

1. Every 64-pixel row segment of the reference frame that starts on a strip
   boundary has a 64-bit hash (a random linear combination of its 24 words).
   Hashes are cached and recomputed only where the reference changed.
2. For a few sample rows of the new frame, the same hash is computed at
   *every* pixel offset (a strided view makes this one multiply-add).
3. A sample segment whose hash equals a reference segment's (segments that
   occur more than once, like blank background, are ignored) votes for the
   offset between them. The offsets with most votes are the candidates.
4. For a candidate, the rectangle is where the shifted reference equals the
   new frame, found by projecting an exact comparison onto rows and columns.
   It is kept only if it fixes clearly more pixels than it would break; the
   residual diff repairs whatever it got wrong, so hashes never decide
   correctness.

A scroll or a drag usually moves by the same offset for several frames (one
wheel notch, a steady hand), so the offsets of the previous frame's copies
are tried first (:meth:`MotionFinder.predicted`): a direct comparison of a
few sample rows finds a seed for them at a tenth of the search's cost, and
the search runs only when they leave most of the change unrepaired.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from codec.screen._diff import STRIP, true_at
from codec.screen._ops import CopyOp, Rect

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["MotionFinder", "copy_for"]

_WORDS = STRIP * 3 // 8
_SAMPLE_ROWS = 16
_MIN_VOTES = 6
_CANDIDATES = 3
#: A row or column belongs to the moved rectangle if this share of it matches.
_MATCH_SHARE = 0.9
#: A copy must fix this many pixels more than twice those it breaks.
_MIN_GAIN = 256
#: Entries of the bitmap that screens sample hashes before the table is searched.
_BITMAP = 1 << 20
#: Subsampling of the comparisons that place a copy.
_STEP = 4
#: Rows sampled, about, by the check of a copy where the last one went: a scrolled
#: page's viewport or a dragged window one step on, nearly always right.
_HINT_ROWS = 64


class MotionFinder:
    def __init__(self, height: int, width: int) -> None:
        strips = width // STRIP
        self._hashes = np.zeros((height, strips), dtype=np.uint64)
        self._dirty = np.ones((height, strips), dtype=bool)
        rng = np.random.default_rng(0x5EED)
        self._weights = rng.integers(1, 1 << 63, _WORDS, dtype=np.uint64) | np.uint64(1)
        #: Offsets ``(dx, dy)`` of the copies applied since :meth:`predicted` last ran.
        self._offsets: list[tuple[int, int]] = []
        #: Where the last copy by each of those offsets went.
        self._last: dict[tuple[int, int], Rect] = {}
        #: Those of :meth:`predicted`'s candidates, for :meth:`hint`.
        self._hints: dict[tuple[int, int], Rect] = {}

    def invalidate(self, rect: Rect) -> None:
        """The reference changed inside ``rect``; its hashes are stale."""
        s0, s1 = rect.x // STRIP, -(-(rect.x + rect.w) // STRIP)
        self._dirty[rect.y : rect.y + rect.h, s0:s1] = True

    def moved(self, op: CopyOp) -> None:
        """The reference was updated by ``op``: its hashes move with the content.

        A scroll copies whole 64-pixel segments along their strips, so their hashes
        can be copied too instead of recomputed; segments the copy covers only in
        part (and every segment, if it moves sideways off the strip grid) are stale.
        """
        d = op.dst
        dx = d.x - op.src_x
        if (dx, d.y - op.src_y) not in self._offsets:
            self._offsets.append((dx, d.y - op.src_y))
        self._last[dx, d.y - op.src_y] = d
        s0, s1 = -(-d.x // STRIP), (d.x + d.w) // STRIP
        if dx % STRIP or s1 <= s0:
            self.invalidate(d)
            return
        shift = dx // STRIP
        rows, src_rows = slice(d.y, d.y + d.h), slice(op.src_y, op.src_y + d.h)
        moved = np.s_[src_rows, s0 - shift : s1 - shift]
        hashes, dirty = self._hashes[moved].copy(), self._dirty[moved].copy()
        self.invalidate(d)
        self._hashes[rows, s0:s1] = hashes
        self._dirty[rows, s0:s1] = dirty

    def _refresh(self, ref: NDArray[np.uint8], y0: int, y1: int, s0: int, s1: int) -> None:
        # Column by column: after a scroll only the exposed rows and the strips the copy
        # covered in part are stale, and one span over all of them would be the screen.
        dirty = self._dirty[y0:y1, s0:s1]
        for col in true_at(dirty.any(axis=0)).tolist():
            rows = true_at(dirty[:, col])
            r0, r1 = y0 + int(rows[0]), y0 + int(rows[-1]) + 1
            s = s0 + col
            block = ref[r0:r1, s * STRIP : (s + 1) * STRIP]
            words = np.ascontiguousarray(block).reshape(r1 - r0, STRIP * 3).view(np.uint64)
            self._hashes[r0:r1, s] = np.einsum("hk,k->h", words, self._weights)
            self._dirty[r0:r1, s] = False

    def predicted(
        self, cur: NDArray[np.uint8], ref: NDArray[np.uint8], box: Rect
    ) -> list[tuple[int, int, int, int]]:
        """Candidates like :meth:`find`'s, for the offsets the last copies moved by.

        A seed is a sample row's 64-pixel segment that changed and that the offset
        would repair exactly; without one the offset is not tried.
        """
        offsets, self._offsets = self._offsets, []
        last, self._last = self._last, {}
        self._hints = {}
        height, width = ref.shape[:2]
        step = max(1, box.h // _SAMPLE_ROWS)
        out = []
        for dx, dy in offsets:
            x0, x1 = max(box.x, dx, 0), min(box.x + box.w, width + min(dx, 0))
            ys = np.arange(max(box.y, dy, 0), min(box.y + box.h, height + min(dy, 0)), step)
            blocks = (x1 - x0) // STRIP
            if ys.size == 0 or blocks == 0:
                continue
            x1 = x0 + blocks * STRIP
            new = cur[ys, x0:x1].reshape(ys.size, blocks, STRIP * 3)
            moved = ref[ys - dy, x0 - dx : x1 - dx].reshape(ys.size, blocks, STRIP * 3)
            before = ref[ys, x0:x1].reshape(ys.size, blocks, STRIP * 3)
            good = (new == moved).all(axis=2) & (new != before).any(axis=2)
            if not good.any():
                continue
            # The seed sits in the sample row the offset repairs best, in its middle.
            row = int(np.argmax(good.sum(axis=1)))
            hits = true_at(good[row])
            block = int(hits[hits.size // 2])
            out.append((dx, dy, x0 + block * STRIP + STRIP // 2, int(ys[row])))
            self._hints[dx, dy] = last[dx, dy]
        return out

    def hints(self, dx: int, dy: int) -> list[Rect]:
        """Where a copy by ``(dx, dy)`` is likely to go, if one went there last time.

        A window dragged at a steady pace is the same rectangle one step further; a
        page scrolled at a steady pace, the same rectangle again (its viewport).
        :func:`copy_for` checks these first, on sampled rows and columns.
        """
        d = self._hints.get((dx, dy))
        return [] if d is None else [Rect(d.x + dx, d.y + dy, d.w, d.h), d]

    def find(
        self, cur: NDArray[np.uint8], ref: NDArray[np.uint8], box: Rect
    ) -> list[tuple[int, int, int, int]]:
        """Candidates ``(dx, dy, x, y)`` for content inside ``box`` (strip-aligned).

        ``(x, y)`` is a pixel of the new frame known to have moved by ``(dx, dy)``.
        """
        if box.w < STRIP or box.h < 2:
            return []
        s0, s1 = box.x // STRIP, (box.x + box.w) // STRIP
        self._refresh(ref, box.y, box.y + box.h, s0, s1)
        table = self._hashes[box.y : box.y + box.h, s0:s1].ravel()
        order = np.argsort(table)
        ordered = table[order]
        repeated = np.zeros(ordered.size, dtype=bool)
        same = ordered[1:] == ordered[:-1]
        repeated[1:] |= same
        repeated[:-1] |= same
        ordered, order = ordered[~repeated], order[~repeated]
        if ordered.size == 0:
            return []

        step = max(1, box.h // _SAMPLE_ROWS)
        count = min(_SAMPLE_ROWS, -(-box.h // step))
        nx = box.w - STRIP + 1
        row_bytes = ref.shape[1] * 3
        buffer = np.ascontiguousarray(cur).reshape(-1)
        segments = np.ndarray(
            (count, nx, _WORDS),
            dtype=np.uint64,
            buffer=buffer,
            offset=(box.y * ref.shape[1] + box.x) * 3,
            strides=(step * row_bytes, 3, 8),
        )
        sample = np.einsum("rxk,k->rx", segments, self._weights).ravel()
        # Most sample offsets match nothing. A bitmap of the table's low hash bits
        # rules them out with one gather; only the few left pay for a binary search
        # (random access into the table: slower than all the hashing above).
        seen = np.zeros(_BITMAP, dtype=bool)
        seen[ordered & np.uint64(_BITMAP - 1)] = True
        maybe = true_at(seen[sample & np.uint64(_BITMAP - 1)])
        found = np.minimum(np.searchsorted(ordered, sample[maybe]), ordered.size - 1)
        hit = maybe[ordered[found] == sample[maybe]]
        found = found[ordered[found] == sample[maybe]]
        if hit.size < _MIN_VOTES:
            return []
        ref_pos = order[found]
        ref_y = box.y + ref_pos // (s1 - s0)
        ref_x = (s0 + ref_pos % (s1 - s0)) * STRIP
        cur_y = box.y + (hit // nx) * step
        cur_x = box.x + hit % nx
        keys = ((cur_y - ref_y + (1 << 16)) << 20) | (cur_x - ref_x + (1 << 16))
        values, first, votes = np.unique(keys, return_index=True, return_counts=True)
        best = np.argsort(votes)[::-1][:_CANDIDATES]
        out = []
        for i in best.tolist():
            if votes[i] < _MIN_VOTES:
                break
            key = int(values[i])
            dx, dy = (key & 0xFFFFF) - (1 << 16), (key >> 20) - (1 << 16)
            if dx or dy:
                seed = first[i]
                out.append((dx, dy, int(cur_x[seed]) + STRIP // 2, int(cur_y[seed])))
        return out


def _holds(cur: NDArray[np.uint8], ref: NDArray[np.uint8], rect: Rect, dx: int, dy: int) -> bool:
    """Does a copy by ``(dx, dy)`` into ``rect`` pass :func:`copy_for`'s tests, on samples?

    Sampled rows (every 4th, fewer in a tall rectangle) must match as
    :data:`_MATCH_SHARE` requires, and every column over those rows; the copy must
    pay off as it must there. The rectangle need not be the largest that would, nor
    every row checked: the residual diff repairs whatever the copy leaves or gets wrong.
    """
    step = max(_STEP, rect.h // _HINT_ROWS)
    rows = np.s_[rect.y : rect.y + rect.h : step]
    cols = np.s_[rect.x : rect.x + rect.w]
    moved = np.s_[rect.y - dy : rect.y - dy + rect.h : step, rect.x - dx : rect.x - dx + rect.w]
    dst = cur[rows, cols]
    sampled = dst != ref[moved]
    flat = sampled.reshape(sampled.shape[0], -1)
    if _count(flat, axis=1).max(initial=0) > (1 - _MATCH_SHARE) * rect.w:
        return False
    bad_cols = _count(flat, axis=0).reshape(-1, 3).sum(axis=1)
    if bad_cols.max(initial=0) > (1 - _MATCH_SHARE) * sampled.shape[0]:
        return False
    wrong = dst != ref[rows, cols]
    fixed = int(np.count_nonzero(wrong & ~sampled)) * step
    broken = int(np.count_nonzero(sampled & ~wrong)) * step
    return fixed >= 2 * broken + 3 * _MIN_GAIN


def _grows(
    cur: NDArray[np.uint8], ref: NDArray[np.uint8], rect: Rect, dx: int, dy: int, bounds: Rect
) -> bool:
    """Would the copy by ``(dx, dy)`` into ``rect`` repair the row or column just past it?

    A hint is where the last copy went; when that copy was cut short (a scroll caught
    half drawn, a window partly covered), the hint is smaller than what moves now,
    and taken as it is it would stay that small, frame after frame.
    """
    x, y, w, h = rect.x, rect.y, rect.w, rect.h
    edges = []
    if y > bounds.y:
        edges.append(np.s_[y - 1 : y, x : x + w])
    if y + h < bounds.y + bounds.h:
        edges.append(np.s_[y + h : y + h + 1, x : x + w])
    if x > bounds.x:
        edges.append(np.s_[y : y + h, x - 1 : x])
    if x + w < bounds.x + bounds.w:
        edges.append(np.s_[y : y + h, x + w : x + w + 1])
    for rows, cols in edges:
        new = cur[rows, cols]
        moved = ref[rows.start - dy : rows.stop - dy, cols.start - dx : cols.stop - dx]
        matches = np.count_nonzero(new == moved) >= _MATCH_SHARE * new.size
        if matches and not np.array_equal(new, ref[rows, cols]):
            return True
    return False


def _count(ne: NDArray[np.bool_], axis: int) -> NDArray[np.uint16]:
    """True bytes along ``axis`` of a 2-D ``!=`` result (ten times faster than count_nonzero)."""
    # uint16 sums (twice as fast as uint32) cannot overflow: a row of the widest screen
    # the limits allow has 3 * 8192 bytes, and columns are counted over sampled rows.
    counts: NDArray[np.uint16] = np.add.reduce(ne.view(np.uint8), axis=axis, dtype=np.uint16)
    return counts


def _run_around(good: NDArray[np.bool_], seed: int) -> tuple[int, int]:
    """The maximal run of True in ``good`` containing ``seed`` (empty if it is False)."""
    if not good[seed]:
        return seed, seed
    bad_before = true_at(~good[:seed])
    bad_after = true_at(~good[seed:])
    start = int(bad_before[-1]) + 1 if bad_before.size else 0
    end = seed + int(bad_after[0]) if bad_after.size else good.size
    return start, end


def copy_for(
    cur: NDArray[np.uint8],
    ref: NDArray[np.uint8],
    box: Rect,
    motion: tuple[int, int, int, int],
    width: int,
    hints: list[Rect] | None = None,
) -> CopyOp | None:
    """The copy by ``(dx, dy)`` around the seed pixel that best repairs ``box``, if any.

    ``hints`` are where the copy is expected (:meth:`MotionFinder.hints`); the first
    that holds is the answer, found for a fifth of the comparisons.
    """
    dx, dy, seed_x, seed_y = motion
    height = ref.shape[0]
    x0, x1 = max(box.x, dx, 0), min(box.x + box.w, width + min(dx, 0), width)
    y0, y1 = max(box.y, dy, 0), min(box.y + box.h, height + min(dy, 0))
    if not (x0 <= seed_x < x1 and y0 <= seed_y < y1):
        return None
    for hint in hints or ():
        inside = x0 <= hint.x and hint.x + hint.w <= x1 and y0 <= hint.y and hint.y + hint.h <= y1
        around = hint.x <= seed_x < hint.x + hint.w and hint.y <= seed_y < hint.y + hint.h
        if (
            inside
            and around
            and _holds(cur, ref, hint, dx, dy)
            and not _grows(cur, ref, hint, dx, dy, Rect(x0, y0, x1 - x0, y1 - y0))
        ):
            return CopyOp(hint.x - dx, hint.y - dy, hint)
    dst, src = cur[y0:y1, x0:x1], ref[y0 - dy : y1 - dy, x0 - dx : x1 - dx]
    # One byte-wise comparison of the whole box (its rows are contiguous, so numpy runs
    # it in long vector loops). The projections then count differing *bytes* along
    # contiguous axes: a pixel that differs has at least one, so "at most this many
    # pixels differ" errs only towards a smaller copy, and the residual diff repairs
    # whatever the copy misses. Per-pixel channel ORs on strided views cost ten times more.
    ne = dst != src
    height, width = ne.shape[:2]
    seed_row, seed_col = seed_y - y0, seed_x - x0
    r0, r1 = 0, height
    # The rows are judged first on the seed's own segment, which is known to match: a
    # window dragged with its shadow fills less of the changed box than _MATCH_SHARE,
    # so judging columns over the whole box first would find no column that matches.
    c0, c1 = max(0, seed_col - STRIP // 2), min(width, seed_col + STRIP // 2)
    rows_bytes = ne.reshape(height, width * 3)  # a view: the box's rows are contiguous
    for _ in range(2):
        bad = _count(rows_bytes[:, c0 * 3 : c1 * 3], axis=1)
        r0, r1 = _run_around(bad <= (1 - _MATCH_SHARE) * (c1 - c0), seed_row)
        if r1 - r0 < 2:
            return None
        sample = ne[r0:r1:_STEP].reshape(-1, width * 3)
        bad = _count(sample, axis=0).reshape(width, 3).sum(axis=1)
        c0, c1 = _run_around(bad <= (1 - _MATCH_SHARE) * sample.shape[0], seed_col)
        if c1 - c0 < 8:
            return None
    rect = Rect(x0 + c0, y0 + r0, c1 - c0, r1 - r0)
    # Whether the copy pays off, judged on every 4th row and byte by byte (a pixel's
    # channels nearly always change together, so bytes weigh pixels about 3 to 1).
    rows = slice(r0, r1, _STEP)
    wrong = dst[rows, c0:c1] != ref[y0 + r0 : y0 + r1 : _STEP, x0 + c0 : x0 + c1]
    copied = ne[rows, c0:c1]
    fixed = int(np.count_nonzero(wrong & ~copied)) * _STEP
    broken = int(np.count_nonzero(copied & ~wrong)) * _STEP
    if fixed < 2 * broken + 3 * _MIN_GAIN:
        return None
    return CopyOp(rect.x - dx, rect.y - dy, rect)
