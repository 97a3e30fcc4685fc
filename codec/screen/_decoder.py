"""The viewer's side of the screen codec: hostile bytes in, a framebuffer out.

Theory of operation. A :class:`ScreenDecoder` is either *awaiting a
keyframe* (new, or broken by a bad message) or *in an epoch*. A keyframe
message opens an epoch: it sizes the framebuffer, starts a fresh zstd
stream and must carry ``seq`` 0. Every later message of the epoch must carry
the next ``seq``. Anything else (a gap, a repeat, a delta with no keyframe, a
message from an epoch we are not in) is a :class:`~codec.ProtocolError`,
because the zstd history would no longer match the encoder's and the next
picture would be garbage. After an error the decoder refuses deltas until a
keyframe arrives, which the viewer can ask the sender for.

Each message is validated completely (envelope, decompression budget, every
operation's rectangle, every lossy image's size) before a pixel is drawn.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import numpy as np

from codec._errors import ProtocolError
from codec._limits import DEFAULT_LIMITS, Limits
from codec.screen._atlas import ATLAS_MIN_PIXELS, ATLAS_SCREENS
from codec.screen._lossy import decode_atlas, decode_image
from codec.screen._ops import (
    CopyOp,
    LossyOp,
    Op,
    PartOp,
    PixelsOp,
    VideoOp,
    apply_copy,
    apply_pixels,
    parse_ops,
)
from codec.screen._stream import BoundedDecompressor
from codec.screen._video import VideoCodec, VideoDecoder
from codec.screen._wire import UpdateFlags, UpdateKind, unpack_update

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["ScreenDecoder"]

_CODECS = frozenset(int(codec) for codec in VideoCodec)


class _State(Enum):
    #: No usable stream: only a keyframe is accepted.
    AWAITING_KEYFRAME = "awaiting keyframe"
    #: Following an epoch; the next message must be its next sequence number.
    IN_EPOCH = "in epoch"


class ScreenDecoder:
    """Rebuilds the sender's screen from the messages of a :class:`ScreenEncoder`."""

    def __init__(self, *, limits: Limits = DEFAULT_LIMITS) -> None:
        self._limits = limits
        self._state = _State.AWAITING_KEYFRAME
        self._epoch = -1
        self._next_seq = 0
        self._fb: NDArray[np.uint8] = np.zeros((0, 0, 3), dtype=np.uint8)
        self._stream = BoundedDecompressor()
        self._videos: dict[int, VideoDecoder] = {}
        self._frame_complete = False

    @property
    def framebuffer(self) -> NDArray[np.uint8]:
        """The picture so far, ``(height, width, 3)`` BGR; a read-only view."""
        view = self._fb.view()
        view.flags.writeable = False
        return view

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the framebuffer; ``(0, 0)`` before the first keyframe."""
        return self._fb.shape[1], self._fb.shape[0]

    @property
    def frame_complete(self) -> bool:
        """True when the last message fed ended a captured frame (a good moment to paint)."""
        return self._frame_complete

    def feed(self, message: bytes) -> None:
        """Apply one update message; raises :class:`~codec.ProtocolError` on bad input."""
        try:
            self._feed(message)
        except ProtocolError:
            self._state = _State.AWAITING_KEYFRAME
            self._frame_complete = False
            raise

    def _feed(self, message: bytes) -> None:
        header, body, images = unpack_update(message, self._limits)
        if header.kind is UpdateKind.KEYFRAME:
            if header.epoch <= self._epoch:
                raise ProtocolError(
                    f"keyframe of epoch {header.epoch} arrived after epoch {self._epoch}: "
                    "replayed or out of order",
                    reason="screen-order",
                )
            if header.seq != 0:
                raise ProtocolError("a keyframe must start its epoch at 0", reason="screen-order")
            self._epoch = header.epoch
            self._next_seq = 0
            self._stream = BoundedDecompressor()
            self._videos = {}
            # The epoch is ours from here on even if this message turns out bad.
            self._state = _State.IN_EPOCH
            fb = np.zeros((header.height, header.width, 3), dtype=np.uint8)
        else:
            if self._state is _State.AWAITING_KEYFRAME:
                raise ProtocolError(
                    "screen delta arrived with no usable keyframe before it", reason="screen-order"
                )
            if header.epoch != self._epoch or header.seq != self._next_seq:
                raise ProtocolError(
                    f"screen update {header.epoch}:{header.seq} arrived where "
                    f"{self._epoch}:{self._next_seq} was due: a message was lost or reordered",
                    reason="screen-order",
                )
            fb = self._fb
        self._next_seq += 1
        height, width = fb.shape[:2]
        raw = self._stream.decompress(body, header.body_size)
        ops = parse_ops(raw, width=width, height=height, images=len(images), codecs=_CODECS)
        # Every picture is decoded before anything is drawn, so a bad one draws nothing.
        decoded = self._pictures(ops, images, width * height)
        pictures = iter(decoded)
        for op in ops:
            if isinstance(op, CopyOp):
                apply_copy(fb, op)
            elif isinstance(op, PixelsOp):
                apply_pixels(fb, op)
            else:
                r = op.rect
                fb[r.y : r.y + r.h, r.x : r.x + r.w] = next(pictures)
        self._fb = fb
        self._frame_complete = bool(header.flags & UpdateFlags.FRAME_END)

    def _pictures(
        self, ops: list[Op], images: list[bytes], screen_pixels: int
    ) -> list[NDArray[np.uint8]]:
        """What each lossy, part and video operation draws, in order.

        An image of pieces is decoded once, however many parts read from it; all of
        them together may hold at most :data:`~codec.screen._atlas.ATLAS_SCREENS` screens, so a
        hostile update cannot make the viewer allocate more than that.
        """
        atlases: dict[int, NDArray[np.uint8]] = {}
        budget = ATLAS_SCREENS * max(screen_pixels, ATLAS_MIN_PIXELS)
        out = []
        for op in ops:
            if isinstance(op, LossyOp):
                out.append(decode_image(images[op.image], op.rect.w, op.rect.h))
            elif isinstance(op, VideoOp):
                out.append(self._video(op, images[op.image]))
            elif isinstance(op, PartOp):
                atlas = atlases.get(op.image)
                if atlas is None:
                    atlas = decode_atlas(images[op.image], self._limits.max_screen_side, budget)
                    budget -= atlas.shape[0] * atlas.shape[1]
                    atlases[op.image] = atlas
                r = op.rect
                if op.src_x + r.w > atlas.shape[1] or op.src_y + r.h > atlas.shape[0]:
                    raise ProtocolError(
                        f"lossy part reads {r.w}x{r.h}+{op.src_x}+{op.src_y} from an image "
                        f"of {atlas.shape[1]}x{atlas.shape[0]}",
                        reason="screen-bounds",
                    )
                out.append(atlas[op.src_y : op.src_y + r.h, op.src_x : op.src_x + r.w])
        return out

    def _video(self, op: VideoOp, packet: bytes) -> NDArray[np.uint8]:
        codec = VideoCodec(op.codec)
        if op.new:
            self._videos.pop(op.stream, None)
            self._videos[op.stream] = VideoDecoder(codec, op.rect.w, op.rect.h)
        stream = self._videos.get(op.stream)
        if stream is None or (stream.codec, stream.width, stream.height) != (
            codec,
            op.rect.w,
            op.rect.h,
        ):
            raise ProtocolError(
                f"video stream {op.stream} was not opened as {codec.name} {op.rect.w}x{op.rect.h}",
                reason="screen-video",
            )
        return stream.decode(packet)
