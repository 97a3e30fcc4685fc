"""The sharing side of the screen codec: captured frames in, update messages out.

Theory of operation. The encoder keeps an exact model of the viewer's
framebuffer (``_ref``) and brings it to each new frame with as few bytes as
it can:

1. Convert the BGRA capture to BGR (Pillow's raw decoder: ten times faster
   than numpy slicing) and flag changed row strips against the model.
2. If much changed, look for moved content (:mod:`codec.screen._motion`) and
   emit copies; the model is updated as the viewer will be.
3. With lossy mode on, send changing photographic regions as JPEG
   (:mod:`codec.screen._lossy`); text and interface never go lossy.
4. Send what still differs as tight rectangles of pixels, photographs
   through a gradient filter, all through one zstd stream per epoch.

Every operation is applied to the model with the same code the viewer uses,
so lossless mode is exact by construction, whatever the heuristics decide.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from codec._errors import LocalProtocolError
from codec._limits import DEFAULT_LIMITS, Limits
from codec.screen._atlas import ATLAS_MIN_PIXELS, ATLAS_SCREENS, pack
from codec.screen._diff import (
    BAND,
    STRIP,
    changed_rects,
    changed_strips,
    changed_strips_where,
    copy_strips,
    pixel_keys,
    pixels_differ,
    runs,
    split_rect,
    true_at,
)
from codec.screen._lossy import (
    BLOCK,
    LossyTracker,
    decode_image,
    encode_image,
    flat_pixels,
)
from codec.screen._motion import MotionFinder, copy_for
from codec.screen._ops import (
    CopyOp,
    LossyOp,
    Op,
    PartOp,
    PixelFilter,
    PixelsOp,
    Rect,
    VideoOp,
    apply_copy,
    filter_pixels,
    serialize_op,
)
from codec.screen._stream import CompressStream
from codec.screen._video import VideoCodec, VideoStreams
from codec.screen._wire import UpdateFlags, UpdateHeader, UpdateKind, pack_update

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    #: ``(x, y, width, height)`` in the frame's pixels.
    Box = tuple[int, int, int, int]

__all__ = ["ScreenEncoder"]

#: Changed row-strips (rows x 64-pixel strips) above which moves are searched for;
#: typing a character changes far fewer.
_MOTION_MIN_CHANGE = 256
#: Copies at the previous frame's offsets that cover 1/this of what changed spare the
#: search for others (a scroll or drag going on as it went).
_PREDICTED_SHARE = 2
#: Every this many damaged rows are compared to judge whether a move is worth a search.
_SAMPLE_STEP = 8
#: Pixels equal to their left neighbour, share below which a block is a photograph.
_PHOTO_FLAT_SHARE = 0.5
#: The most raw bytes a message's body can grow by before zstd emits them.
_PENDING_BOUND = 128 * 1024 + 1024
#: Raw bytes of operations handed to zstd at once.
_BATCH = 16 * 1024


def _magnitude(residual: NDArray[np.uint8]) -> int:
    """How large a filtered residual is, as signed bytes, from every fourth row."""
    return int(np.abs(residual[::4].view(np.int8), dtype=np.int32).sum())


class ScreenEncoder:
    """Turns captured frames into update messages for one :class:`ScreenDecoder`.

    ``lossy`` sends changing photographic regions lossily and refreshes them
    losslessly once still; it can be switched at any time. New photographic
    areas go as JPEG (``lossy_quality`` 1-95); regions that keep changing go
    through a video stream (``video_codec`` ``"h264"`` or ``"vp9"``), or as
    JPEG stills too with ``video_codec=None``. ``max_message_bytes`` bounds
    each message so it fits the channel; a frame that needs more is split.
    """

    def __init__(
        self,
        width: int,
        height: int,
        *,
        lossy: bool = False,
        lossy_quality: int = 40,
        video_codec: str | None = "h264",
        compression_level: int = 3,
        max_message_bytes: int = 1024 * 1024,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        if max_message_bytes < 512 * 1024:
            raise LocalProtocolError("max_message_bytes must be at least 512 KiB")
        self._limits = limits
        if not 1 <= lossy_quality <= 95:
            # Past 95 libjpeg's quantisation gains next to nothing for many more bytes.
            raise LocalProtocolError("lossy_quality must be between 1 and 95")
        self._quality = lossy_quality
        if video_codec not in (None, "h264", "vp9"):
            raise LocalProtocolError("video_codec must be 'h264', 'vp9' or None")
        self._videos = (
            None if video_codec is None else VideoStreams(VideoCodec[video_codec.upper()])
        )
        self._max_message = max_message_bytes
        self._stream = CompressStream(compression_level)
        self._epoch = 0
        self._seq = 0
        self._lossy = lossy
        self._tracker: LossyTracker | None = None
        #: The current frame's pixel keys, for the lossy tracker (lossy mode only).
        self._keys: NDArray[np.uint32] = np.zeros((0, 0), dtype=np.uint32)
        #: Whether ``_keys`` were computed for a whole frame since lossy mode came on.
        self._keyed = False
        #: The previous capture (lossy mode only), which the model equals except where
        #: the viewer holds approximations.
        self._seen: NDArray[np.uint8] = np.zeros((0, 0, 3), dtype=np.uint8)
        self._resize(width, height)

    @property
    def lossy(self) -> bool:
        return self._lossy

    @lossy.setter
    def lossy(self, value: bool) -> None:
        # Turning lossy off needs nothing special: approximate pixels differ from the
        # next capture and go out losslessly with it.
        self._lossy = value
        if not value:
            self._tracker = None
            self._keyed = False

    def keyframe(self) -> None:
        """Make the next :meth:`encode` self-contained (a new viewer, a reset)."""
        self._want_keyframe = True

    def _resize(self, width: int, height: int) -> None:
        side = self._limits.max_screen_side
        if not (0 < width <= side and 0 < height <= side):
            raise LocalProtocolError(f"screen size {width}x{height} is outside 1..{side}")
        self._width, self._height = width, height
        self._padded = -(-width // STRIP) * STRIP
        self._ref = np.zeros((height, self._padded, 3), dtype=np.uint8)
        #: What the lossless pass must reach, with lossy mode on (see _encode_lossy).
        self._target = np.zeros_like(self._ref)
        self._motion = MotionFinder(height, self._padded)
        self._tracker = None
        self._keyed = False
        self._want_keyframe = True

    def _to_bgr(self, frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
            raise LocalProtocolError(
                "a frame must be a uint8 array of shape (height, width, 4) or (height, width, 3)"
            )
        height, width = frame.shape[:2]
        if (width, height) != (self._width, self._height):
            self._resize(width, height)
        if frame.shape[2] == 3:
            # Already BGR: a sharer that keeps its own converted copy of the screen
            # spares the full-frame conversion (the largest cost of a small change).
            if self._padded == width and frame.flags.c_contiguous:
                return frame
            padded = np.zeros((height, self._padded, 3), dtype=np.uint8)
            padded[:, :width] = frame
            return padded
        # Pillow keeps RGB as 4 bytes a pixel, so it maps the capture without a copy;
        # packing to 3 bytes is then one pass. Its channel names are swapped both ways,
        # so the bytes come out B, G, R as they went in.
        image = Image.frombuffer(
            "RGB", (width, height), np.ascontiguousarray(frame), "raw", "RGBX", 0, 1
        )
        packed = image.tobytes("raw", "RGB")
        bgr = np.frombuffer(packed, dtype=np.uint8).reshape(height, width, 3)
        if self._padded == width:
            return bgr
        padded = np.zeros((height, self._padded, 3), dtype=np.uint8)
        padded[:, :width] = bgr
        return padded

    def encode(
        self, frame: NDArray[np.uint8], *, now: float, damage: Sequence[Box] | None = None
    ) -> list[bytes]:
        """The messages that bring the viewer from the previous frame to ``frame``.

        ``frame`` is ``(height, width, 4)`` BGRA (alpha ignored), or ``(height, width,
        3)`` BGR, which is read as it is and not kept past the call; it was captured
        at ``now`` (seconds on any clock that never goes back).
        A frame of a new size starts a keyframe. An unchanged frame gives an empty list.

        ``damage``, when given, is a promise: outside these ``(x, y, width, height)``
        boxes ``frame`` equals the frame passed before (a sharer that reads back only
        what the display says it drew knows where that is), so only their rows are
        compared.
        A keyframe and lossy mode compare everything: approximations are refreshed
        where nothing was drawn.
        """
        cur = self._to_bgr(frame)
        if self._lossy and not self._keyed:
            # The first frame watched: every key is computed once, nothing has moved yet.
            # Lossless updates left the model equal to the previous capture.
            self._keys, self._seen, self._keyed = pixel_keys(cur), self._ref.copy(), True
        if self._want_keyframe:
            return self._encode_keyframe(cur, now)
        if self._lossy and self._tracker is None:
            self._tracker = LossyTracker(self._height, self._padded)
        if damage is not None and self._tracker is None:
            return self._encode_damaged(cur, damage)
        if self._tracker is not None:
            # What the screen changed. The model also differs from the capture where
            # the viewer holds approximations (the wallpaper a long drag uncovered),
            # which are compared again only once the tracker drops them.
            changed = changed_strips(cur, self._seen)
            copy_strips(self._seen, cur, changed)
        else:
            changed = changed_strips(cur, self._ref)
        rows = np.flatnonzero(changed.any(axis=1))
        if rows.size == 0 and (self._tracker is None or not self._tracker.holding):
            if self._tracker is not None:
                self._tracker.observe(None, now)
            return []
        ops: list[Op] = []
        images: list[bytes] = []
        # Every difference left after this update's operations lies in this box of
        # strips: copies stay inside it, lossy pictures and refreshes widen it (see
        # _encode_lossy). Nothing changed: the box is empty, refreshes may fill it.
        top, bottom, s0, s1 = self._height, 0, changed.shape[1], 0
        if rows.size:
            top, bottom = int(rows[0]), int(rows[-1]) + 1
            strips = true_at(changed[top:bottom].any(axis=0))
            s0, s1 = int(strips[0]), int(strips[-1]) + 1
        if self._worth_a_motion_search(changed):
            x0, x1 = s0 * STRIP, s1 * STRIP
            box = Rect(x0, top, x1 - x0, bottom - top)
            copies = self._copies(cur, box, self._motion.predicted(cur, self._ref, box))
            if sum(c.dst.area for c in copies) * _PREDICTED_SHARE < self._new_area(changed, box):
                copies += self._copies(cur, box, self._motion.find(cur, self._ref, box))
            for copy in copies:
                ops.append(copy)
                top, bottom = min(top, copy.dst.y), max(bottom, copy.dst.y + copy.dst.h)
        target = cur
        if self._tracker is not None:
            if ops:  # copies repaired part of the change: only the rest may go lossy
                changed = changed.copy()
                for op in ops:  # copies only, so far; elsewhere the model is unchanged
                    assert isinstance(op, CopyOp)
                    d = op.dst
                    c0, c1 = d.x // STRIP, -(-(d.x + d.w) // STRIP)
                    cols, span = slice(c0 * STRIP, c1 * STRIP), slice(d.y, d.y + d.h)
                    changed[span, c0:c1] = changed_strips(cur[:, cols], self._ref[:, cols], span)
            self._tracker.observe(self._watch(cur, changed), now)
            (top, bottom, s0, s1), drawn, kept = self._encode_lossy(
                cur, changed, ops, images, (top, bottom, s0, s1)
            )
            # The model changed since ``changed`` was exact only where pictures were
            # drawn; elsewhere what may differ is what differed. Where the viewer may
            # keep an approximation, the target is the model, not the capture.
            maybe = changed[top:bottom] | self._tracker.dropped[top:bottom]
            for r in drawn:
                maybe[r.y - top : r.y + r.h - top, r.x // STRIP : -(-(r.x + r.w) // STRIP)] = True
            if kept:
                target = self._target
                residual = changed_strips_where(
                    cur, self._ref, maybe, top, (self._tracker.mask, target)
                )
            else:
                residual = changed_strips_where(cur, self._ref, maybe, top)
        else:
            cols = slice(s0 * STRIP, s1 * STRIP)
            residual = np.zeros((bottom - top, changed.shape[1]), dtype=bool)
            residual[:, s0:s1] = changed_strips(
                target[:, cols], self._ref[:, cols], slice(top, bottom)
            )
        ops.extend(self._pixels(target, r) for r in changed_rects(target, self._ref, residual, top))
        if not ops:
            return []  # only approximate pixels differ, and they are not still yet
        return self._pack(ops, images, keyframe=False)

    def _rows_of(self, damage: Sequence[Box]) -> list[tuple[int, int]]:
        """The rows the damage covers inside the frame, as sorted, disjoint spans.

        Whole rows are compared, not the boxes alone: numpy runs a comparison of
        whole rows as one long loop, and one of part rows as a short loop per row.
        """
        spans: list[tuple[int, int]] = []
        for x, y, w, h in sorted(damage, key=lambda box: box[1]):
            y0, y1 = max(y, 0), min(y + h, self._height)
            if y1 <= y0 or x + w <= 0 or x >= self._width:
                continue
            if spans and y0 <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], y1))
            else:
                spans.append((y0, y1))
        return spans

    def _encode_damaged(self, cur: NDArray[np.uint8], damage: Sequence[Box]) -> list[bytes]:
        """:meth:`encode` in lossless mode where ``damage`` bounds what changed.

        A scroll damages most of a window, and comparing its rows, copying, then
        comparing them again to find what the copy left reads them twice. Here the
        move is looked for on a sample of the damaged rows, and the rows are compared
        in full once, after the copies: against the model as the viewer will hold it.
        """
        spans = self._rows_of(damage)
        if not spans:
            return []
        s0, s1 = self._strips_of(damage)
        top, bottom = spans[0][0], spans[-1][1]
        cols = slice(s0 * STRIP, s1 * STRIP)
        ops: list[Op] = []
        guess = self._sampled_change(cur, spans, cols)
        if guess >= _MOTION_MIN_CHANGE:
            box = Rect(cols.start, top, cols.stop - cols.start, bottom - top)
            copies = self._copies(cur, box, self._motion.predicted(cur, self._ref, box))
            if sum(c.dst.area for c in copies) * _PREDICTED_SHARE < guess * STRIP:
                copies += self._copies(cur, box, self._motion.find(cur, self._ref, box))
            ops.extend(copies)
            if copies:  # they changed the model inside the box, between spans too
                spans = [(top, bottom)]
        # Whole rows: numpy compares them as one long loop, part rows as a loop each.
        changed = np.zeros((bottom - top, self._padded // STRIP), dtype=bool)
        for y0, y1 in spans:
            changed[y0 - top : y1 - top] = changed_strips(cur, self._ref, slice(y0, y1))
        ops.extend(self._pixels(cur, r) for r in changed_rects(cur, self._ref, changed, top))
        if not ops:
            return []
        return self._pack(ops, [], keyframe=False)

    def _strips_of(self, damage: Sequence[Box]) -> tuple[int, int]:
        """The first and end column strip of the damage's bounding box, inside the frame."""
        inside = [
            (max(x, 0), min(x + w, self._width))
            for x, y, w, h in damage  # the boxes _rows_of keeps
            if min(y + h, self._height) > max(y, 0) and x + w > 0 and x < self._width
        ]
        x0, x1 = min(a for a, _ in inside), max(b for _, b in inside)
        return x0 // STRIP, max(-(-x1 // STRIP), x0 // STRIP + 1)

    def _sampled_change(
        self, cur: NDArray[np.uint8], spans: list[tuple[int, int]], cols: slice
    ) -> int:
        """About how many row strips changed in ``spans``, from every few of their rows.

        Enough to tell a scroll or a drag from a keystroke (whether to look for a move),
        for a fraction of the comparison.
        """
        count = 0
        for y0, y1 in spans:
            rows = slice(y0, y1, _SAMPLE_STEP)  # views: nothing is copied
            count += int(np.count_nonzero(changed_strips(cur[rows, cols], self._ref[rows, cols])))
        return count * _SAMPLE_STEP

    def _copies(
        self, cur: NDArray[np.uint8], box: Rect, motions: list[tuple[int, int, int, int]]
    ) -> list[CopyOp]:
        """The copies worth sending for candidate motions, each applied to the model."""
        out = []
        for motion in motions:
            hints = self._motion.hints(motion[0], motion[1])
            copy = copy_for(cur, self._ref, box, motion, self._width, hints)
            if copy is not None:
                self._apply(copy)
                out.append(copy)
        return out

    def _new_area(self, changed: NDArray[np.bool_], box: Rect) -> int:
        """About how many pixels of ``box`` changed.

        With lossy mode on, ``changed`` is what the screen changed, not where the model
        differs: a long drag's trail of approximate wallpaper (refreshed only once the
        motion stops) is not counted, and no copy is to be found there.
        """
        s0, s1 = box.x // STRIP, (box.x + box.w) // STRIP
        return int(np.count_nonzero(changed[box.y : box.y + box.h, s0:s1])) * STRIP

    def next_deadline(self) -> float | None:
        """When to call :meth:`encode` again even if the screen has not changed.

        With lossy mode on, the viewer may hold approximations that are refreshed
        losslessly once they have stood still; a sharer that captures only on change
        must capture again by then, or the still screen stays inexact. None: nothing
        is waiting.
        """
        return None if self._tracker is None else self._tracker.next_deadline()

    def _watch(
        self, cur: NDArray[np.uint8], differs: NDArray[np.bool_]
    ) -> tuple[int, int, NDArray[np.bool_]] | None:
        """Bring the pixel keys up to ``cur`` where it matters; which of them changed.

        Only what still differs from the viewer's model after the copies (``differs``,
        row strips) can go lossy, so keys are recomputed only in its box and a little
        around it (a lossy rectangle's edge looks one pixel past itself, its growth up
        to a block): a scrolled page, a typed character or a still screen costs next
        to nothing. A key outside that box may be a few captures old; a pixel that
        changed since is then seen as changing when it is next needed, which it did.
        Returns ``(y, x, mask)`` for the tracker, None when nothing differs.
        """
        rows = true_at(differs.any(axis=1))
        if rows.size == 0:
            return None
        cols = true_at(differs[rows[0] : rows[-1] + 1].any(axis=0))
        height, width = self._keys.shape
        y0 = max(0, int(rows[0]) - BLOCK) // BLOCK * BLOCK
        x0 = max(0, int(cols[0]) * STRIP - BLOCK)
        y1 = min(height, -(-(int(rows[-1]) + 1 + BLOCK) // BLOCK) * BLOCK)
        x1 = min(width, (int(cols[-1]) + 1) * STRIP + BLOCK)
        changed = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        # Within that box, band by band of rows, only around the runs of strips that
        # differ: a dragged window's copy repaired its inside, which is most of the box.
        for b0 in range(int(rows[0]) // BAND * BAND, int(rows[-1]) + 1, BAND):
            band = differs[b0 : b0 + BAND]
            hit = true_at(band.any(axis=1))
            if hit.size == 0:
                continue
            r0, r1 = max(y0, b0 + int(hit[0]) - BLOCK), min(y1, b0 + int(hit[-1]) + 1 + BLOCK)
            for f, last in runs(band.any(axis=0)):
                c0, c1 = max(x0, f * STRIP - BLOCK), min(x1, last * STRIP + BLOCK)
                box = np.s_[r0:r1, c0:c1]
                keys = pixel_keys(cur, box[0], box[1])
                # Boxes of neighbouring bands overlap by a block: what one found stays found.
                changed[r0 - y0 : r1 - y0, c0 - x0 : c1 - x0] |= keys != self._keys[box]
                self._keys[box] = keys
        return y0, x0, changed

    def _worth_a_motion_search(self, changed: NDArray[np.bool_]) -> bool:
        """Did enough change for a move to be likely, not counting a video playing?

        Pictures inside a playing video's stream change every frame but never move
        as a copy; searching them would cost more than the rest of a small update.
        """
        count = int(np.count_nonzero(changed))
        if count < _MOTION_MIN_CHANGE or self._videos is None or self._tracker is None:
            return count >= _MOTION_MIN_CHANGE
        for r in self._videos.playing():
            s0, s1 = -(-r.x // STRIP), (r.x + r.w) // STRIP
            if s1 > s0:
                count -= int(np.count_nonzero(changed[r.y : r.y + r.h, s0:s1]))
        return count >= _MOTION_MIN_CHANGE

    def _encode_keyframe(self, cur: NDArray[np.uint8], now: float) -> list[bytes]:
        self._want_keyframe = False
        if self._videos is not None:
            self._videos.reset()
        self._epoch += 1
        self._seq = 0
        self._stream.reset()
        self._ref[:] = 0
        self._motion.invalidate(Rect(0, 0, self._padded, self._height))
        if self._lossy:
            # Watching starts with the keyframe, so the next frame can already go lossy.
            self._tracker = LossyTracker(self._height, self._padded)
            self._tracker.observe(None, now)
            self._keys, self._seen = pixel_keys(cur), cur.copy()
        whole = Rect(0, 0, self._width, self._height)
        ops: list[Op] = [self._pixels(cur, rect) for rect in split_rect(whole)]
        return self._pack(ops, [], keyframe=True)

    def _pixels(self, source: NDArray[np.uint8], rect: Rect) -> PixelsOp:
        block = source[rect.y : rect.y + rect.h, rect.x : rect.x + rect.w]
        kind = PixelFilter.NONE
        if rect.w > 1 and rect.area >= 256:
            flat = np.count_nonzero(pixels_differ(block[:, 1:], block[:, :-1]))
            if flat > (1 - _PHOTO_FLAT_SHARE) * rect.h * (rect.w - 1):
                kind = PixelFilter.GRADIENT
        before = self._ref[rect.y : rect.y + rect.h, rect.x : rect.x + rect.w]
        data = filter_pixels(block, kind)
        if kind is PixelFilter.GRADIENT:
            # A shadow or fade over a photograph the viewer already has: the change is
            # smoother than the picture. Whichever residual is smaller wins.
            change = filter_pixels(block, PixelFilter.TEMPORAL, before)
            if _magnitude(change) < _magnitude(data):
                kind, data = PixelFilter.TEMPORAL, change
        op = PixelsOp(rect, kind, data.reshape(-1).data)
        before[...] = block
        self._motion.invalidate(rect)
        # The lossy mask stays: where it is set the block holds the viewer's approximation
        # (the lossless pass reaches for it), so the viewer keeps holding one there.
        return op

    def _apply(self, op: CopyOp) -> None:
        apply_copy(self._ref, op)
        self._motion.moved(op)
        if self._tracker is not None:
            d, mask = op.dst, self._tracker.mask
            mask[d.y : d.y + d.h, d.x : d.x + d.w] = mask[
                op.src_y : op.src_y + d.h, op.src_x : op.src_x + d.w
            ]

    def _encode_lossy(
        self,
        cur: NDArray[np.uint8],
        changed: NDArray[np.bool_],
        ops: list[Op],
        images: list[bytes],
        area: tuple[int, int, int, int],
    ) -> tuple[tuple[int, int, int, int], list[Rect], bool]:
        """Send changing photographic regions lossily; say what the lossless pass must reach.

        That is ``cur`` except where the mask says the viewer holds an approximation it
        may keep; the lossless pass repairs every other pixel, so text and interface
        are exact at the end of every update. Returns ``area`` (``(top, bottom, first
        strip, end strip)``, where ``cur`` differs from the model) widened to every
        picture sent, outside which nothing differs; the rectangles where pictures
        were drawn; and whether the mask holds any approximation.
        """
        assert self._tracker is not None
        tracker = self._tracker
        if self._videos is not None:
            self._videos.tick()
        regions = tracker.regions(self._keys, changed)
        # A region that keeps changing in place goes through a video stream; any other
        # is a still, and stills mean the screen is in motion (see codec.screen._lossy).
        placed = [
            (region.rect, self._videos.place(region.rect) if region.moving else None)
            if self._videos is not None
            else (region.rect, None)
            for region in regions
        ]
        # Every approximation not held now is exact after this update: the lossless
        # pass repairs those that differ, and the rest already equal the capture.
        holds = tracker.hold(stills=any(stream is None for _, stream in placed))
        top, bottom, s0, s1 = area
        rows = true_at(tracker.dropped.any(axis=1))
        if rows.size:  # refreshed where the screen may not have changed
            strips = true_at(tracker.dropped[rows[0] : rows[-1] + 1].any(axis=0))
            top, bottom = min(top, int(rows[0])), max(bottom, int(rows[-1]) + 1)
            s0, s1 = min(s0, int(strips[0])), max(s1, int(strips[-1]) + 1)
        if not regions and not holds:
            return (top, bottom, s0, s1), [], False
        for rect, stream in placed:
            outer = rect if stream is None else stream
            top, bottom = min(top, outer.y), max(bottom, outer.y + outer.h)
            s0, s1 = min(s0, outer.x // STRIP), max(s1, -(-(outer.x + outer.w) // STRIP))
        for rect, stream in placed:
            if stream is not None:
                self._send_video(cur, rect, stream, ops, images)
        stills = [rect for rect, stream in placed if stream is None]
        if stills:
            self._send_stills(cur, stills, ops, images)
        drawn = [rect if stream is None else stream for rect, stream in placed]
        return (top, bottom, s0, s1), drawn, True

    def _send_video(
        self,
        cur: NDArray[np.uint8],
        rect: Rect,
        stream: Rect,
        ops: list[Op],
        images: list[bytes],
    ) -> None:
        """A region that keeps changing: the next picture of the video stream at ``stream``."""
        assert self._videos is not None
        assert self._tracker is not None
        sl = np.s_[stream.y : stream.y + stream.h, stream.x : stream.x + stream.w]
        op, data, picture = self._videos.encode(stream, cur[sl])
        if len(data) > self._max_message // 2:
            self._videos.close(stream)
            return
        ops.append(replace(op, image=len(images)))
        # The stream may cover a little more than the region; only the region's
        # photographic pixels stay approximate, the lossless pass repairs the rest.
        inside = np.zeros((stream.h, stream.w), dtype=bool)
        inside[rect.y - stream.y : rect.y - stream.y + rect.h, rect.x - stream.x :][:, : rect.w] = (
            True
        )
        approximate = self._photographic(self._keys, stream) & inside
        images.append(data)
        self._ref[sl] = picture
        self._tracker.approximated(stream.y, stream.x, approximate)
        self._motion.invalidate(stream)

    def _send_stills(
        self,
        cur: NDArray[np.uint8],
        rects: list[Rect],
        ops: list[Op],
        images: list[bytes],
    ) -> None:
        """New photographic areas: pieces of as few JPEG pictures as the limits allow."""
        assert self._tracker is not None
        screen = max(self._width * self._height, ATLAS_MIN_PIXELS)
        budget = ATLAS_SCREENS * screen  # what the viewer decodes of such pictures at most
        approximate = {rect: self._photographic(self._keys, rect) for rect in rects}
        for atlas in pack(rects, screen):
            area = atlas.width * atlas.height
            data = encode_image(atlas.compose(cur), self._quality)
            if area > budget or len(data) > self._max_message // 2:
                continue  # these go losslessly
            budget -= area
            picture = decode_image(data, atlas.width, atlas.height)
            index = len(images)
            images.append(data)
            #: Per region, the row spans of it this picture carries.
            spans: dict[Rect, list[list[int]]] = {}
            for piece in sorted(atlas.pieces, key=lambda p: (p.region.y, p.region.x, p.rect.y)):
                r = piece.rect
                ops.append(PartOp(r, index, piece.x, piece.y))
                self._ref[r.y : r.y + r.h, r.x : r.x + r.w] = picture[
                    piece.y : piece.y + r.h, piece.x : piece.x + r.w
                ]
                runs = spans.setdefault(piece.region, [])
                if runs and runs[-1][1] == r.y:
                    runs[-1][1] = r.y + r.h
                else:
                    runs.append([r.y, r.y + r.h])
            # The bookkeeping goes by span, not by piece: a tall strip is ten pieces. The
            # target takes the approximations from the mask (see _encode_lossy).
            for region, runs in spans.items():
                for y0, y1 in runs:
                    keep = approximate[region][y0 - region.y : y1 - region.y]
                    self._tracker.approximated(y0, region.x, keep)
                    self._motion.invalidate(Rect(region.x, y0, region.w, y1 - y0))

    @staticmethod
    def _photographic(keys: NDArray[np.uint32], rect: Rect) -> NDArray[np.bool_]:
        """Which pixels of a lossy rectangle may stay approximate.

        Near its edge, where it meets interface, lines and fills (:func:`flat_pixels`,
        judged with a pixel of margin so a border ending at the edge keeps its
        neighbours) stay exact; the inside is photographic blocks only.
        """
        y0, x0 = max(rect.y - 1, 0), max(rect.x - 1, 0)
        around = flat_pixels(keys[y0 : rect.y + rect.h + 1, x0 : rect.x + rect.w + 1])
        flat = around[rect.y - y0 : rect.y - y0 + rect.h, rect.x - x0 : rect.x - x0 + rect.w]
        flat[BLOCK:-BLOCK, BLOCK:-BLOCK] = False
        return ~flat

    def _pack(self, ops: list[Op], images: list[bytes], *, keyframe: bool) -> list[bytes]:
        messages: list[bytes] = []
        body: list[bytes] = []
        body_size = 0
        out_size = 0
        local_images: list[bytes] = []
        #: This message's index of each of the frame's images it carries (an image of
        #: pieces serves many operations, and goes again if they span two messages).
        local: dict[int, int] = {}
        #: Small operations go to zstd together: a drag's frame has a hundred.
        pending: list[bytes | memoryview] = []
        pending_size = 0
        images_size = 0

        def compress() -> None:
            nonlocal out_size, pending_size
            chunk = self._stream.compress(b"".join(pending))
            out_size += len(chunk)
            body.append(chunk)
            pending.clear()
            pending_size = 0

        for op in ops:
            raw = serialize_op(op)
            size = sum(len(piece) for piece in raw)
            pictured = isinstance(op, LossyOp | VideoOp | PartOp)
            image = images[op.image] if pictured and op.image not in local else b""  # type: ignore[union-attr]
            bound = out_size + pending_size + _PENDING_BOUND + size + (size >> 10) + len(image)
            if body_size and (
                bound + 256 + images_size > self._max_message
                or body_size + size > self._limits.max_update_bytes
            ):
                if pending:
                    compress()
                messages.append(self._finish(body, body_size, local_images, keyframe, end=False))
                body, body_size, out_size, local_images, local = [], 0, 0, [], {}
                images_size = 0
            if isinstance(op, LossyOp | VideoOp | PartOp):
                if op.image not in local:
                    local[op.image] = len(local_images)
                    local_images.append(images[op.image])
                    images_size += len(images[op.image])
                if local[op.image] != op.image:
                    raw = serialize_op(replace(op, image=local[op.image]))
            pending.extend(raw)
            pending_size += size
            if pending_size >= _BATCH:
                compress()
            body_size += size
        if pending:
            compress()
        messages.append(self._finish(body, body_size, local_images, keyframe, end=True))
        return messages

    def _finish(
        self, body: list[bytes], body_size: int, images: list[bytes], keyframe: bool, *, end: bool
    ) -> bytes:
        body.append(self._stream.flush())
        first = keyframe and self._seq == 0
        header = UpdateHeader(
            kind=UpdateKind.KEYFRAME if first else UpdateKind.DELTA,
            epoch=self._epoch,
            seq=self._seq,
            flags=UpdateFlags.FRAME_END if end else UpdateFlags.NONE,
            body_size=body_size,
            width=self._width if first else 0,
            height=self._height if first else 0,
        )
        self._seq += 1
        return pack_update(header, b"".join(body), images)
