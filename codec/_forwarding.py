"""Forwarding a ``Send`` as a ``Delivered`` without unpacking its payload.

Theory of operation
-------------------
The relay's hot path is: an endpoint sends ``[SEND, to, payload]``, the relay
delivers ``[DELIVERED, sender, payload]``. Both are msgpack arrays whose last
item is the payload as a msgpack ``bin``, so the payload bytes can stay where
they are: :func:`split_send` reads the few header bytes in front of it and
says where it starts, and :func:`delivered_prefix` writes the few bytes that
go in front of it on the way out. The relay then sends prefix and payload
with one gathering write, never copying or re-encoding the payload.

Only the canonical encoding (what :func:`codec.encode_envelope` writes:
the shortest unsigned int and bin forms) is read here; anything else returns
``None`` and goes through :func:`codec.decode_client_envelope`, which accepts
or refuses it by the full rules. So both paths agree on every input (a test
checks this).
"""

from __future__ import annotations

from codec._envelope import Op
from codec._validate import MAX_ENDPOINT_ID

__all__ = ["delivered_prefix", "split_send"]

_FIXARRAY_3 = 0x93
_SEND = int(Op.SEND)


def split_send(data: bytes | bytearray | memoryview) -> tuple[int, int] | None:
    """``(to, payload_offset)`` if *data* is a canonical Send envelope, else None.

    The payload is ``data[payload_offset:]``; its length has been checked
    against the bin header, so nothing may follow it.
    """
    n = len(data)
    if n < 4 or data[0] != _FIXARRAY_3 or data[1] != _SEND:
        return None
    if data[2] < 0x80 and data[3] == 0xC4 and n >= 5 and 5 + data[4] == n:
        return data[2], 5  # endpoint ids below 128, payloads below 256 bytes: most Sends
    to, at = _read_uint(data, 2)
    if to < 0 or at >= n:
        return None
    kind = data[at]
    if kind == 0xC4:
        size_bytes = 1
    elif kind == 0xC5:
        size_bytes = 2
    elif kind == 0xC6:
        size_bytes = 4
    else:
        return None
    start = at + 1 + size_bytes
    if start > n:
        return None
    length = int.from_bytes(data[at + 1 : start], "big")
    if start + length != n or _bin_header_bytes(length) != size_bytes:
        return None
    return to, start


def delivered_prefix(sender: int, payload_length: int) -> bytes:
    """The bytes of ``[DELIVERED, sender, payload]`` that come before the payload."""
    if payload_length < 0x100:
        bin_header = bytes((0xC4, payload_length))
    elif payload_length < 0x10000:
        bin_header = b"\xc5" + payload_length.to_bytes(2, "big")
    else:
        bin_header = b"\xc6" + payload_length.to_bytes(4, "big")
    return bytes((_FIXARRAY_3, Op.DELIVERED)) + _uint(sender) + bin_header


def _read_uint(data: bytes | bytearray | memoryview, at: int) -> tuple[int, int]:
    """A canonical msgpack unsigned int at *at*: its value and the next offset (-1 if not)."""
    first = data[at]
    if first < 0x80:
        return first, at + 1
    width = {0xCC: 1, 0xCD: 2, 0xCE: 4}.get(first)
    if width is None or at + 1 + width > len(data):
        return -1, at
    value = int.from_bytes(data[at + 1 : at + 1 + width], "big")
    if value > MAX_ENDPOINT_ID or len(_uint(value)) != 1 + width:
        return -1, at
    return value, at + 1 + width


def _uint(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    if value < 0x100:
        return bytes((0xCC, value))
    if value < 0x10000:
        return b"\xcd" + value.to_bytes(2, "big")
    return b"\xce" + value.to_bytes(4, "big")


def _bin_header_bytes(length: int) -> int:
    return 1 if length < 0x100 else 2 if length < 0x10000 else 4
