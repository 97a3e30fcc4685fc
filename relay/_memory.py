"""Handing memory back to the system after a flood of connections.

A flood leaves the C heap full of freed message buffers, and a heap top
pinned by one live block never shrinks by itself. So after connections
have gone the relay asks malloc to return every free page
(``malloc_trim``), wherever it sits in the heap.

Meanwhile a forwarded message's buffers should come from the heap and go
back to it: mapping each 256 KiB buffer on its own (what glibc does above
its mmap threshold) costs a page fault and a zeroed page per 4 KiB, and
halved bulk forwarding. The relay fixes both thresholds (glibc's dynamic
ones move with the traffic): buffers up to 4 MiB come from the heap, and
the heap keeps up to 32 MiB of free space at its top between trims. All
are glibc calls, made through ctypes; elsewhere they are skipped and memory
returns as the platform's allocator allows.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

__all__ = ["return_free_memory", "tune_allocator"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 32 * 1024 * 1024


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not hasattr(libc, "malloc_trim") or not hasattr(libc, "mallopt"):
        return None
    return libc


_LIBC = _glibc()


def tune_allocator() -> None:
    """Message-sized buffers from the heap, and no trimming on every free (call once)."""
    if _LIBC is not None:
        _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        _LIBC.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)


def return_free_memory() -> None:
    """Collect cycles (a closed connection's buffers may hang on one), then
    give free heap pages back to the system."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
