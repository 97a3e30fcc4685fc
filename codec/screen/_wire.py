"""The envelope of one screen update message.

Every update is one msgpack array::

    [kind, epoch, seq, flags, body_size, body, images]            (delta)
    [kind, epoch, seq, flags, body_size, body, images, w, h]      (keyframe)

``body`` is the update's slice of the epoch's zstd stream and ``body_size``
the number of bytes it must decompress to (the viewer's allocation budget).
``images`` holds lossy pictures (JPEG) that would only waste time inside
zstd. ``epoch`` counts keyframes and ``seq`` counts messages inside an
epoch; together they let the viewer prove it has seen every message of the
stream its decompressor is in lock-step with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import TYPE_CHECKING, Any

import msgpack

from codec._errors import LimitExceededError, ProtocolError
from codec._wire import unpack

if TYPE_CHECKING:
    from codec._limits import Limits

__all__ = [
    "MAX_IMAGES",
    "UpdateFlags",
    "UpdateHeader",
    "UpdateKind",
    "pack_update",
    "unpack_update",
]

#: Lossy pictures one update may carry.
MAX_IMAGES = 256
#: Epochs and sequence numbers fit in a msgpack uint64 and never wrap in practice.
_MAX_COUNTER = 1 << 62


class UpdateKind(IntEnum):
    #: Starts a new epoch: new framebuffer size, fresh zstd stream, self-contained.
    KEYFRAME = 1
    #: Continues the current epoch's stream; needs every earlier message of it.
    DELTA = 2


class UpdateFlags(IntFlag):
    NONE = 0
    #: The last message of a captured frame: the framebuffer now shows that frame.
    FRAME_END = 1


@dataclass(frozen=True, slots=True)
class UpdateHeader:
    kind: UpdateKind
    epoch: int
    seq: int
    flags: UpdateFlags
    body_size: int
    #: Only keyframes carry a size; deltas report 0.
    width: int = 0
    height: int = 0


def pack_update(header: UpdateHeader, body: bytes, images: list[bytes]) -> bytes:
    fields: list[Any] = [
        int(header.kind),
        header.epoch,
        header.seq,
        int(header.flags),
        header.body_size,
        body,
        images,
    ]
    if header.kind is UpdateKind.KEYFRAME:
        fields += [header.width, header.height]
    packed: bytes = msgpack.packb(fields, use_bin_type=True)
    return packed


def _int(value: Any, what: str, limit: int = _MAX_COUNTER) -> int:
    # bool is an int subclass; a peer sending True for a counter is malformed.
    if type(value) is not int or not 0 <= value <= limit:
        raise ProtocolError(
            f"screen update field {what} is not a valid count", reason="screen-format"
        )
    return value


def unpack_update(message: bytes, limits: Limits) -> tuple[UpdateHeader, bytes, list[bytes]]:
    """Parse an envelope; only :class:`~codec.ProtocolError` escapes."""
    # The one bounded unpack every codec decoder uses (size, items, depth);
    # its refusal is re-labelled so screen errors keep their own reason.
    try:
        fields = unpack(message, limits, what="screen update")
    except ProtocolError as exc:
        raise ProtocolError(str(exc), reason="screen-format") from None
    if type(fields) is not list or len(fields) not in (7, 9):
        raise ProtocolError("screen update has the wrong shape", reason="screen-format")
    kind_value = _int(fields[0], "kind", 255)
    if kind_value not in UpdateKind._value2member_map_:
        raise ProtocolError(f"unknown screen update kind {kind_value}", reason="screen-format")
    kind = UpdateKind(kind_value)
    if (len(fields) == 9) != (kind is UpdateKind.KEYFRAME):
        raise ProtocolError(
            "screen update has the wrong shape for its kind", reason="screen-format"
        )
    flags_value = _int(fields[3], "flags", 255)
    if flags_value & ~UpdateFlags.FRAME_END:
        raise ProtocolError("screen update sets unknown flags", reason="screen-format")
    body_size = _int(fields[4], "body size")
    if body_size > limits.max_update_bytes:
        raise LimitExceededError(
            f"screen update declares {body_size} bytes, the limit is {limits.max_update_bytes}",
            reason="screen-size",
        )
    body, images = fields[5], fields[6]
    if type(body) is not bytes or type(images) is not list:
        raise ProtocolError("screen update body has the wrong type", reason="screen-format")
    if len(images) > MAX_IMAGES:
        raise LimitExceededError(
            f"screen update carries {len(images)} images, the limit is {MAX_IMAGES}",
            reason="screen-size",
        )
    if any(type(image) is not bytes for image in images):
        raise ProtocolError("screen update image has the wrong type", reason="screen-format")
    width = height = 0
    if kind is UpdateKind.KEYFRAME:
        width = _int(fields[7], "width", 1 << 32)
        height = _int(fields[8], "height", 1 << 32)
        side = limits.max_screen_side
        if not (0 < width <= side and 0 < height <= side):
            raise LimitExceededError(
                f"keyframe size {width}x{height} is outside 1..{side} pixels a side",
                reason="screen-size",
            )
    header = UpdateHeader(
        kind=kind,
        epoch=_int(fields[1], "epoch"),
        seq=_int(fields[2], "seq"),
        flags=UpdateFlags(flags_value),
        body_size=body_size,
        width=width,
        height=height,
    )
    return header, body, images
