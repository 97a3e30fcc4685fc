"""Video regions: a real video codec, through PyAV, for pixels that keep changing.

A playing video sent as one still picture per frame pays for every frame
afresh; a video codec predicts each frame from the last and pays only for
what is new. Each lossy region that keeps changing in the same place gets a
*stream*: an encoder on the sharing side and a decoder on the viewing side
that keep their state from frame to frame, one compressed picture (a
packet) per captured frame, carried beside the update body like a lossy
image.

The codec is H.264 (libx264 ``ultrafast``/``zerolatency``, one thread, no
B-frames, chroma at full resolution so colour edges stay sharp); VP9
(libvpx realtime) is available for comparison. Measured on the benchmark's
640x360 clip at about 38 dB, VP9 needs some 20 % fewer bytes per frame but
several times the milliseconds and a first frame three times larger, so
H.264 is the default.

The viewer's decoder reads hostile bytes. Its memory is bounded: at most
:data:`MAX_STREAMS` streams, each of at most :data:`MAX_PIXELS` pixels, and
FFmpeg's ``max_pixels`` refuses a bitstream that declares a larger picture
than the stream was opened for. Anything FFmpeg refuses, or a packet that
does not give exactly one picture of the declared size, is a
:class:`~codec.ProtocolError`.

Both sides run the same FFmpeg decoder (H.264 and VP9 decoding are exact by
specification), so the encoder knows the viewer's pixels; it still refreshes
every approximate pixel losslessly once it stands still.
"""

from __future__ import annotations

from enum import IntEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

import av
import numpy as np

from codec._errors import LimitExceededError, ProtocolError
from codec.screen._ops import VIDEO_STREAMS, Rect, VideoOp

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Pixels = NDArray[np.uint8]

__all__ = [
    "MAX_PIXELS",
    "MAX_STREAMS",
    "VideoCodec",
    "VideoDecoder",
    "VideoEncoder",
    "VideoStreams",
]

#: Streams a viewer keeps open at once (a video and a second one beside it).
MAX_STREAMS = VIDEO_STREAMS
#: Largest picture one stream may carry: a 1080p video played full screen.
MAX_PIXELS = 1920 * 1088
#: FFmpeg checks ``max_pixels`` against the width aligned to its SIMD stride (at
#: most 64) times the height in whole 16-row macroblocks.
_WIDTH_ALIGN, _HEIGHT_ALIGN = 64, 16


class VideoCodec(IntEnum):
    H264 = 1
    VP9 = 2


_ENCODERS = {
    VideoCodec.H264: (
        "libx264",
        {"preset": "ultrafast", "tune": "zerolatency", "crf": "20", "bframes": "0"},
    ),
    VideoCodec.VP9: (
        "libvpx-vp9",
        {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "crf": "24", "b": "0"},
    ),
}
_DECODERS = {VideoCodec.H264: "h264", VideoCodec.VP9: "vp9"}


def _video_context(name: str, mode: Literal["r", "w"]) -> av.VideoCodecContext:
    ctx = av.CodecContext.create(name, mode)
    if not isinstance(ctx, av.VideoCodecContext):  # pragma: no cover - FFmpeg names are fixed
        raise TypeError(f"{name} is not a video codec")
    ctx.thread_count = 1
    return ctx


def _check_size(width: int, height: int) -> None:
    if width < 16 or height < 16 or width % 2 or height % 2 or width * height > MAX_PIXELS:
        raise LimitExceededError(
            f"video stream of {width}x{height} pixels: streams are even-sized, at least "
            f"16x16 and at most {MAX_PIXELS} pixels",
            reason="screen-video",
        )


class VideoDecoder:
    """The viewer's side of one stream: packets in, ``(height, width, 3)`` BGR out."""

    def __init__(self, codec: VideoCodec, width: int, height: int) -> None:
        _check_size(width, height)
        self.codec, self.width, self.height = codec, width, height
        try:
            self._ctx = _video_context(_DECODERS[codec], "r")
            # FFmpeg refuses to allocate a picture larger than this, whatever the
            # bitstream's own headers claim.
            wide = -(-width // _WIDTH_ALIGN) * _WIDTH_ALIGN
            high = -(-height // _HEIGHT_ALIGN) * _HEIGHT_ALIGN
            self._ctx.options = {"max_pixels": str(wide * high)}
        except av.FFmpegError as exc:  # pragma: no cover - a PyAV build without the codec
            raise ProtocolError(f"video codec unavailable: {exc}", reason="screen-video") from None

    def decode(self, packet: bytes) -> NDArray[np.uint8]:
        if not packet:
            raise ProtocolError("empty video packet", reason="screen-video")
        try:
            frames = self._ctx.decode(av.Packet(packet))
        except (av.FFmpegError, ValueError, MemoryError) as exc:
            raise ProtocolError(
                f"video packet does not decode: {exc}", reason="screen-video"
            ) from None
        if len(frames) != 1:
            raise ProtocolError(
                f"video packet gave {len(frames)} pictures, not one", reason="screen-video"
            )
        frame = frames[0]
        if (frame.width, frame.height) != (self.width, self.height):
            raise ProtocolError(
                f"video picture is {frame.width}x{frame.height}, the stream is "
                f"{self.width}x{self.height}",
                reason="screen-video",
            )
        pixels = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
        return pixels


class VideoEncoder:
    """The sharing side of one stream; also decodes its own packets, as the viewer will."""

    def __init__(self, codec: VideoCodec, width: int, height: int) -> None:
        _check_size(width, height)
        name, options = _ENCODERS[codec]
        self.codec, self.width, self.height = codec, width, height
        self._ctx = _video_context(name, "w")
        self._ctx.width, self._ctx.height = width, height
        self._ctx.pix_fmt = "yuv444p"
        self._ctx.time_base = Fraction(1, 30)
        self._ctx.options = dict(options)
        self._pts = 0
        self.viewer = VideoDecoder(codec, width, height)

    def encode(self, pixels: NDArray[np.uint8]) -> tuple[bytes, NDArray[np.uint8]]:
        """The packet for one picture, and the picture the viewer will decode from it."""
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="bgr24")
        frame.pts = self._pts
        self._pts += 1
        packet = b"".join(bytes(p) for p in self._ctx.encode(frame))
        return packet, self.viewer.decode(packet)


def _contains(outer: Rect, inner: Rect) -> bool:
    return (
        outer.x <= inner.x
        and outer.y <= inner.y
        and inner.x + inner.w <= outer.x + outer.w
        and inner.y + inner.h <= outer.y + outer.h
    )


class VideoStreams:
    """The encoder's open streams, matched to lossy regions by where they are.

    A video's region is found afresh every frame and may come out a pixel
    smaller now and then; a stream whose rectangle still holds the region
    and is not much larger keeps going, because a new stream starts with a
    whole picture (ten to twenty times a predicted one).
    """

    def __init__(self, codec: VideoCodec) -> None:
        self._codec = codec
        self._open: dict[int, tuple[Rect, VideoEncoder, int]] = {}
        self._frame = 0
        self._seen: set[Rect] = set()
        self._seen_now: set[Rect] = set()

    def reset(self) -> None:
        """The viewer starts afresh (a keyframe): every stream is forgotten."""
        self._open.clear()

    def tick(self) -> None:
        self._frame += 1
        self._seen, self._seen_now = self._seen_now, set()

    def place(self, region: Rect) -> Rect | None:
        """The rectangle a stream would cover for ``region``, or None if it should not.

        A stream opens only where the same region changed in the previous frame
        too: a shadow sliding along with a dragged window changes every frame but
        never twice in the same place, and would pay a whole first picture each time.
        """
        for rect, _, _ in self._open.values():
            if _contains(rect, region) and region.area * 5 >= rect.area * 4:
                return rect
        even = Rect(region.x, region.y, region.w - region.w % 2, region.h - region.h % 2)
        self._seen_now.add(even)
        if even not in self._seen or even.w < 16 or even.h < 16 or even.area > MAX_PIXELS:
            return None
        return even

    def playing(self) -> list[Rect]:
        """Rectangles of the streams that carried the previous frame's picture."""
        return [rect for rect, _, frame in self._open.values() if frame >= self._frame - 1]

    def encode(self, rect: Rect, pixels: NDArray[np.uint8]) -> tuple[VideoOp, bytes, Pixels]:
        """Send ``pixels`` on the stream at ``rect``, opening one if need be."""
        found = [s for s, entry in self._open.items() if entry[0] == rect]
        new = not found
        if found:
            stream, encoder = found[0], self._open[found[0]][1]
        else:
            free = [s for s in range(VIDEO_STREAMS) if s not in self._open]
            stream = free[0] if free else min(self._open, key=lambda s: self._open[s][2])
            encoder = VideoEncoder(self._codec, rect.w, rect.h)
        self._open[stream] = (rect, encoder, self._frame)
        packet, picture = encoder.encode(pixels)
        return VideoOp(rect, int(self._codec), stream, new, 0), packet, picture

    def close(self, rect: Rect) -> None:
        """The stream at ``rect`` lost step with the viewer (its packet was not sent)."""
        self._open = {s: entry for s, entry in self._open.items() if entry[0] != rect}
