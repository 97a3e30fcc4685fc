"""Disk and digest work of a transfer, in a worker thread beside the session's.

A chunk's sha256 and its read or write are the half of a transfer's CPU
that needs no Python: hashlib and the file system calls release the GIL on
large buffers. Done inline they ran one after the other with the cipher and
the sockets; here the sender reads and hashes the next chunks while the
current one is sealed and sent, and the receiver writes and hashes what has
arrived while the next chunks are opened. Each side holds a few chunks at
most (the read-ahead, or what the window lets the sender have in flight),
so memory stays flat for any file size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from peer._file_store import FileStoreError

if TYPE_CHECKING:
    import hashlib
    from collections.abc import Callable

    from peer._file_store import IncomingFile, OutgoingFile

__all__ = [
    "CHUNK_SECONDS",
    "CHUNK_STEP",
    "MIN_CHUNK_BYTES",
    "READ_AHEAD",
    "Read",
    "chunk_size",
    "read_ahead",
    "write_all",
]

#: Chunks read (and hashed) ahead of the one being sent.
READ_AHEAD = 2
#: A chunk carries about this long's worth of the rate the receiver acknowledges:
#: chat and screen updates wait behind one chunk at most, about this long.
CHUNK_SECONDS = 0.05
#: Chunks before the first acknowledgement, and on the slowest links.
MIN_CHUNK_BYTES = 256 * 1024
#: Chunk sizes are whole multiples of this.
CHUNK_STEP = 64 * 1024


def chunk_size(rate: float, largest: int) -> int:
    """Bytes for the next chunk at *rate* (bytes a second acknowledged, 0 before any)."""
    wanted = int(rate * CHUNK_SECONDS) // CHUNK_STEP * CHUNK_STEP
    return max(min(wanted, largest), min(MIN_CHUNK_BYTES, largest))


#: A chunk read, b"" where the file ended early, or why it could not be read.
Read = bytes | FileStoreError


async def read_ahead(
    file: OutgoingFile,
    position: int,
    size: int,
    chunk_bytes: Callable[[], int],
    digest: hashlib._Hash,
    out: trio.MemorySendChannel[Read],
) -> None:
    """Read ``[position, size)`` of *file* into *out* in chunks of ``chunk_bytes()``
    bytes (asked before each read), hashing them in order."""
    async with out:
        while position < size:
            want = min(chunk_bytes(), size - position)
            data: Read
            try:
                data = await trio.to_thread.run_sync(_read_and_hash, file, position, want, digest)
            except FileStoreError as e:
                data = e
            try:
                await out.send(data)
            except trio.BrokenResourceError:
                return  # the sender stopped
            if not isinstance(data, bytes) or not data:
                return
            position += len(data)


def _read_and_hash(file: OutgoingFile, offset: int, length: int, digest: hashlib._Hash) -> bytes:
    data = file.read(offset, length)
    digest.update(data)
    return data


def write_all(store: IncomingFile, chunks: list[tuple[int, bytes | memoryview]]) -> None:
    """Write *chunks* in order (run in a worker thread; the store hashes as it writes)."""
    for offset, data in chunks:
        store.write(offset, data)
