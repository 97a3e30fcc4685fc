"""Large downloads written around the page cache (Linux ``O_DIRECT``).

A file arriving through the page cache is copied into pages the kernel
has to find first, and a big download pushes out what the customer was
working with. In a virtual machine whose host takes back free memory (a
balloon with free-page reporting, as cloud desktops and Firecracker use),
every such page is also faulted in afresh on the host: measured on the
development VM, writing a new file through the page cache cost 2.0-3.5 s
of CPU per GiB, the largest single cost of a transfer on the customer's
side. Written with ``O_DIRECT`` from one aligned buffer, the same GiB
costs about 0.1 s (a copy into the buffer, and the device's own DMA).

Direct IO wants the memory, the file offset and the length aligned to the
device's block size, so only the aligned middle of a chunk goes this way;
a chunk's ragged end (the file's last block, or a sender cutting chunks
oddly) goes through the page cache as before, on the same descriptor,
and the kernel keeps the two coherent. A file system that refuses direct
IO (tmpfs on older kernels, some FUSE ones) is simply written the usual
way; so is every file on a system without ``O_DIRECT``.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import sys

if sys.platform != "win32":
    import fcntl

__all__ = ["ALIGN", "BOUNCE_BYTES", "DIRECT_FROM", "DirectWrites"]

#: Offsets and lengths of direct writes are multiples of this (4 KiB covers 512 B
#: and 4 KiB sectors alike); the buffer, from mmap, is page-aligned.
ALIGN = 4096
#: Files from this size on are written directly; smaller ones are cheap enough cached.
DIRECT_FROM = 64 * 1024 * 1024
#: The aligned buffer chunks are copied through (a chunk is at most 3 MiB).
BOUNCE_BYTES = 4 * 1024 * 1024
_O_DIRECT: int | None = getattr(os, "O_DIRECT", None)


class DirectWrites:
    """Writes the aligned part of each chunk to *fd* with ``O_DIRECT``, while it works."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._bounce: mmap.mmap | None = None
        self.usable = _O_DIRECT is not None

    def write(self, offset: int, data: bytes | memoryview) -> int:
        """Write a prefix of *data* at *offset* directly; how many bytes that was.

        The rest (all of it, when the offset is not aligned or direct IO is
        not to be had) is the caller's to write the usual way. A full disk
        or any other failure of the write itself raises ``OSError``.
        """
        size = len(data) // ALIGN * ALIGN
        if not self.usable or offset % ALIGN or not size:
            return 0
        assert _O_DIRECT is not None
        flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
        try:
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags | _O_DIRECT)
        except OSError:
            self.usable = False  # this file system does no direct IO
            return 0
        try:
            return self._write_aligned(offset, data, size)
        finally:
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags)

    def _write_aligned(self, offset: int, data: bytes | memoryview, size: int) -> int:
        if self._bounce is None:
            self._bounce = mmap.mmap(-1, BOUNCE_BYTES)
        done = 0
        with memoryview(self._bounce) as bounce, memoryview(data) as source:
            while done < size:
                piece = min(size - done, BOUNCE_BYTES)
                bounce[:piece] = source[done : done + piece]
                try:
                    written = os.pwrite(self._fd, bounce[:piece], offset + done)
                except OSError as e:
                    if e.errno != errno.EINVAL:
                        raise
                    self.usable = False  # accepted the flag, refuses the write
                    return done
                done += written
                if written != piece:
                    return done  # short (a disk filling up): the rest the usual way
        return done

    def close(self) -> None:
        if self._bounce is not None:
            with contextlib.suppress(BufferError):
                self._bounce.close()
            self._bounce = None
