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

__all__: list[str] = []  # pack and unpack are codec-internal


def pack(obj: Any) -> bytes:
    """Pack *obj* the one way codec writes msgpack (bin for bytes, no ext types)."""
    return msgpack.packb(obj, use_bin_type=True)


def unpack(
    data: bytes | bytearray, limits: Limits, *, what: str, max_bytes: int | None = None
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
