"""Memory habits for long transfers: large buffers stay in the C heap, and
the objects made at startup stay out of the garbage collector's way.

glibc hands out blocks above its mmap threshold (128 KiB to start) as fresh
mappings and returns them to the kernel when freed, so every 256 KiB file
chunk (its ciphertext, its frame, its copy in msgpack) and every captured
screen region page-faults its way in again: measured, that made a chunk's
encryption about three times slower than at 64 KiB. Raising the threshold
keeps such blocks in the heap, reused from one chunk to the next; the trim
threshold bounds how much freed memory the process keeps for that.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_large_buffers", "spare_the_collector"]

log = logging.getLogger("helpline.peer")

#: Blocks up to this size come from the heap: a 1 MiB chunk's buffers, a 1080p frame.
MMAP_THRESHOLD = 16 * 1024 * 1024
#: Freed heap memory kept for reuse before it is returned to the kernel.
TRIM_THRESHOLD = 64 * 1024 * 1024
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_large_buffers() -> bool:
    """Tune glibc's allocator for this process; False where there is no glibc."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False  # musl and others: no mallopt, and no such threshold either
    ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    ok = bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and ok
    if not ok:
        log.info("the C allocator refused the large-buffer settings; left as it was")
    return ok


def spare_the_collector() -> None:
    """Take what the imports built out of the cyclic garbage collector's sight.

    The program imports several hundred thousand objects that live as long as
    it does; every full collection walked them all again, and the objects a
    file transfer makes per chunk set one off every few hundred chunks: a few
    per cent of a transfer's CPU on each side. Frozen, they are never walked;
    what is made afterwards is collected as before.
    """
    gc.freeze()
