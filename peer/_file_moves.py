"""The records of the file engine: one transfer either way, a request, a shared item."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio

from peer._errors import PeerError

if TYPE_CHECKING:
    from pathlib import Path

    from codec import (
        Member,
        SharedItem,
        Transfer,
    )
    from peer._file_store import (
        IncomingFile,
        OutgoingFile,
    )


__all__ = ["FileTransferError", "Move", "Request", "SharedEntry", "hash_prefix"]


class FileTransferError(PeerError):
    """A file command cannot be carried out; the message says why and what to do."""


@dataclass
class Move:
    """One transfer with one member, either way."""

    number: int
    machine: Transfer
    peer: Member
    sending: bool
    #: put/fetch (F2): stopped when the customer revokes access.
    advanced: bool
    started: float = 0.0
    last_progress: float = -math.inf
    # sender side
    source: str = ""
    follow_symlinks: bool = True
    wake: trio.Event = field(default_factory=trio.Event)
    stop_reason: str = ""
    # receiver side
    store: IncomingFile | None = None
    #: Chunks (offset, data) for the writer task, then None for the digest; closed to stop.
    writes: trio.MemorySendChannel[tuple[int, bytes | memoryview] | None] | None = None
    folder: Path | None = None
    saved_as: str = ""
    ended: bool = False

    def stopping(self) -> bool:
        """Asked to stop (a method, so type checkers do not assume it stays false)."""
        return bool(self.stop_reason)

    def poke(self) -> None:
        self.wake.set()
        self.wake = trio.Event()


@dataclass
class Request:
    """Something we asked for (``/get``, ``/fetch``): what its answer may bring."""

    peer: int
    folder: Path
    advanced: bool
    count: int = 0
    size: int = 0
    answered: bool = False


@dataclass
class SharedEntry:
    item: SharedItem
    path: Path


def hash_prefix(file: OutgoingFile, length: int) -> hashlib._Hash:
    h = hashlib.sha256()
    offset = 0
    while offset < length:
        block = file.read(offset, min(1 << 20, length - offset))
        if not block:
            break
        h.update(block)
        offset += len(block)
    return h
