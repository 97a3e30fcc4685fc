"""Handing memory back to the system after a flood of connections.

A flood leaves the C heap full of freed message buffers: glibc's malloc
raises its mmap threshold as large buffers are freed, so later ones come
from the heap, and a heap top pinned by one live block never shrinks. The
relay therefore fixes the threshold (buffers of 128 KiB and more are mapped
and unmapped on their own) and, after connections have gone, asks malloc
to return free pages (``malloc_trim``). Both are glibc calls, made through
ctypes; elsewhere they are skipped and memory returns as the platform's
allocator allows.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

__all__ = ["return_free_memory", "tune_allocator"]

_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024


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
    """Keep large buffers out of the heap (call once, at start-up)."""
    if _LIBC is not None:
        _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def return_free_memory() -> None:
    """Collect cycles (a closed connection's buffers may hang on one), then
    give free heap pages back to the system."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
