"""One zstd stream per keyframe epoch, flushed at each update.

Why one stream and not one frame per update: the compressor's window then
spans many screen frames (``window_log`` 24, 16 MiB, with long-distance
matching), so a glyph typed again, a line scrolled back into view or a
dialog shown a second time compresses against what the viewer already
received. Measured on screen content that is roughly ten times smaller than
compressing every update on its own.

The price is lock-step: the viewer's decompression context must have seen
exactly the bytes the encoder produced, in order. The update envelope's
epoch and sequence numbers enforce that; a keyframe starts a fresh stream on
both sides.

The decompressing side reads hostile bytes, and zstd can expand a few bytes
into 128 KiB. :class:`BoundedDecompressor` therefore walks the zstd block
headers itself and feeds the library only as many blocks as can fit in the
size the update declared, so no input can make it allocate more than that
plus one block.
"""

from __future__ import annotations

import zstandard

from codec._errors import LimitExceededError, ProtocolError

__all__ = ["BoundedDecompressor", "CompressStream"]

#: 16 MiB: larger than a 1080p or 1440p frame, so the previous frame is history.
WINDOW_LOG = 24
_MAGIC = b"\x28\xb5\x2f\xfd"
#: zstd never produces more than this from one block.
_BLOCK_MAX = 128 * 1024
_RAW, _RLE, _COMPRESSED = 0, 1, 2
_DICT_ID_BYTES = (0, 1, 2, 4)
_CONTENT_SIZE_BYTES = (0, 2, 4, 8)


class CompressStream:
    """The encoder's side: compress each update, flushing a whole block at its end."""

    def __init__(self, level: int) -> None:
        params = zstandard.ZstdCompressionParameters.from_level(
            level, window_log=WINDOW_LOG, enable_ldm=True
        )
        self._ctx = zstandard.ZstdCompressor(compression_params=params)
        self._obj = self._ctx.compressobj()

    def reset(self) -> None:
        """Start a new stream (a keyframe); the old history is forgotten."""
        self._obj = self._ctx.compressobj()

    def compress(self, data: bytes | memoryview) -> bytes:
        out: bytes = self._obj.compress(data)
        return out

    def flush(self) -> bytes:
        out: bytes = self._obj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
        return out


def _frame_header_size(data: bytes) -> int:
    if len(data) < 5 or data[:4] != _MAGIC:
        raise ProtocolError(
            "screen stream does not start with a zstd frame header", reason="screen-stream"
        )
    descriptor = data[4]
    single_segment = descriptor >> 5 & 1
    if descriptor & 0x08:
        raise ProtocolError("zstd frame header sets a reserved bit", reason="screen-stream")
    if descriptor & 0x03:
        raise ProtocolError("screen stream asks for a zstd dictionary", reason="screen-stream")
    content_size = _CONTENT_SIZE_BYTES[descriptor >> 6] or single_segment
    size = 5 + (0 if single_segment else 1) + _DICT_ID_BYTES[descriptor & 3] + content_size
    if len(data) < size:
        raise ProtocolError("zstd frame header is truncated", reason="screen-truncated")
    return size


class BoundedDecompressor:
    """The viewer's side of a :class:`CompressStream`, with a byte budget per update."""

    def __init__(self, *, max_window_bytes: int = 1 << WINDOW_LOG) -> None:
        ctx = zstandard.ZstdDecompressor(max_window_size=max_window_bytes)
        self._obj = ctx.decompressobj()
        self._started = False

    def decompress(self, data: bytes, expected: int) -> bytes:
        """Decompress one update that declared ``expected`` bytes; anything else raises."""
        pos = 0
        if not self._started:
            pos = _frame_header_size(data)
            self._started = True
        out: list[bytes] = []
        produced = 0
        batch_start = 0  # the frame header, if any, rides with the first batch
        batch_bound = 0
        end = len(data)
        while pos < end:
            if pos + 3 > end:
                raise ProtocolError("zstd block header is truncated", reason="screen-truncated")
            header = int.from_bytes(data[pos : pos + 3], "little")
            if header & 1:
                raise ProtocolError("screen stream ended its zstd frame", reason="screen-stream")
            kind = header >> 1 & 3
            size = header >> 3
            if kind == _RAW:
                length, bound = size, size
            elif kind == _RLE:
                length, bound = 1, size
            elif kind == _COMPRESSED:
                length, bound = size, _BLOCK_MAX
            else:
                raise ProtocolError("zstd block of reserved type", reason="screen-stream")
            if size > _BLOCK_MAX:
                raise ProtocolError("zstd block larger than 128 KiB", reason="screen-stream")
            block_end = pos + 3 + length
            if block_end > end:
                raise ProtocolError("zstd block is truncated", reason="screen-truncated")
            if batch_bound and produced + batch_bound + bound > expected:
                # Feed what we have before this block could push past the budget.
                produced += self._feed(data[batch_start:pos], out, expected - produced)
                batch_start, batch_bound = pos, 0
            batch_bound += bound
            pos = block_end
        if batch_start < end:
            produced += self._feed(data[batch_start:end], out, expected - produced)
        if produced != expected:
            raise ProtocolError(
                f"screen update decompressed to {produced} bytes, it declared {expected}",
                reason="screen-truncated",
            )
        return b"".join(out)

    def _feed(self, chunk: bytes, out: list[bytes], budget: int) -> int:
        try:
            result: bytes = self._obj.decompress(chunk)
        except zstandard.ZstdError as exc:
            raise ProtocolError(f"corrupt screen stream: {exc}", reason="screen-stream") from None
        if len(result) > budget:
            raise LimitExceededError(
                "screen update decompresses to more bytes than it declared",
                reason="screen-size",
            )
        out.append(result)
        return len(result)
