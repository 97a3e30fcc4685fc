"""Strict msgpack for bytes that came off the network.

Every decoder in codec goes through :func:`unpack`, so the hard limits of
:class:`~codec.Limits` apply everywhere and no msgpack exception escapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgpack

from codec._errors import LimitExceededError, ProtocolError

if TYPE_CHECKING:
    from codec._limits import Limits

__all__: list[str] = []  # pack, unpack and the readers below are codec-internal

_UINT_BYTES = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}
_BIN_BYTES = {0xC4: 1, 0xC5: 2, 0xC6: 4}


def pack(obj: Any) -> bytes:
    """Pack *obj* the one way codec writes msgpack (bin for bytes, no ext types)."""
    return msgpack.packb(obj, use_bin_type=True)


def bin_head(size: int) -> bytes:
    """msgpack's own (shortest) bin header for *size* bytes: what pack writes before them."""
    if size < 1 << 8:
        return bytes((0xC4, size))
    if size < 1 << 16:
        return b"\xc5" + size.to_bytes(2, "big")
    return b"\xc6" + size.to_bytes(4, "big")


def read_uint(view: memoryview, at: int) -> tuple[int | None, int]:
    """A msgpack unsigned int at *at* and where it ends (None if it is not one).

    With :func:`read_bin_head`, for the hot paths that take a known layout
    apart without copying it; anything else goes through :func:`unpack`.
    """
    if at >= len(view):
        return None, at
    first = view[at]
    if first < 0x80:
        return first, at + 1
    width = _UINT_BYTES.get(first)
    if width is None or at + 1 + width > len(view):
        return None, at
    return int.from_bytes(view[at + 1 : at + 1 + width], "big"), at + 1 + width


def read_bin_head(view: memoryview, at: int) -> tuple[int | None, int]:
    """The size of a msgpack bin at *at* and where its bytes start (None if not a bin)."""
    width = _BIN_BYTES.get(view[at]) if at < len(view) else None
    if width is None or at + 1 + width > len(view):
        return None, at
    return int.from_bytes(view[at + 1 : at + 1 + width], "big"), at + 1 + width


def unpack(
    data: bytes | bytearray | memoryview, limits: Limits, *, what: str, max_bytes: int | None = None
) -> Any:
    """Unpack one msgpack document, refusing anything beyond *limits*.

    *what* names the thing being decoded for the error message.
    """
    cap = limits.max_envelope_bytes if max_bytes is None else max_bytes
    if len(data) > cap:
        raise LimitExceededError(f"{what} of {len(data)} bytes exceeds the {cap}-byte limit")
    try:
        obj = msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=True,
            use_list=True,
            max_str_len=cap,
            max_bin_len=cap,
            max_array_len=limits.max_items,
            max_map_len=limits.max_items,
            max_ext_len=0,
        )
    except (ValueError, TypeError, msgpack.UnpackException, RecursionError) as e:
        raise ProtocolError(f"malformed {what}: {e}", reason="malformed") from None
    _check_depth(obj, limits.max_depth, what)
    return obj


def _check_depth(obj: Any, budget: int, what: str) -> None:
    if isinstance(obj, list | dict):
        if budget <= 0:
            raise ProtocolError(f"malformed {what}: nested too deeply", reason="malformed")
        children = obj.values() if isinstance(obj, dict) else obj
        for child in children:
            _check_depth(child, budget - 1, what)
