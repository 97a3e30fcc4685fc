"""Two people in a real session through a real relay, each with a file engine."""

from __future__ import annotations

import hashlib
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import trio

from codec import JoinTarget
from peer._file_session import open_file_transfers
from peer._file_settings import FileSettings
from peer._open import open_hosted_session, open_joined_session

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from peer._file_events import FileEvent
    from peer._file_transfers import FileTransfers
    from peer._session import Session

E = TypeVar("E")
WAIT = 30.0


@dataclass
class Side:
    session: Session
    files: FileTransfers
    folder: Path


@asynccontextmanager
async def open_pair(
    relay_url: str, tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Side, Side]]:
    """Alice (rep) and Bob (customer), each with a download folder and a file engine."""
    rep_dir, customer_dir, home = tmp_path / "rep", tmp_path / "customer", tmp_path / "home"
    for folder in (rep_dir, customer_dir, home):
        folder.mkdir(exist_ok=True)
    async with open_hosted_session(relay_url, "Alice") as rep:
        async with open_joined_session(JoinTarget(relay_url, rep.code), "Bob") as bob:
            rep_settings = FileSettings(download_dir=rep_dir, shared_root=tmp_path, **settings)
            bob_settings = FileSettings(download_dir=customer_dir, shared_root=home, **settings)
            async with (
                open_file_transfers(rep, rep_settings) as rep_files,
                open_file_transfers(bob, bob_settings) as bob_files,
            ):
                yield Side(rep, rep_files, rep_dir), Side(bob, bob_files, customer_dir)


async def next_file_event(side: Side, kind: type[E], *, within: float = WAIT) -> E:
    """The next file event of *kind*; others before it are skipped."""
    with trio.fail_after(within):
        async for event in side.files.events:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"file events ended before a {kind.__name__}")


def pending_file_events(side: Side) -> list[FileEvent]:
    out: list[FileEvent] = []
    while True:
        try:
            out.append(side.files.events.receive_nowait())
        except trio.WouldBlock:
            return out


def make_file(path: Path, size: int) -> str:
    """A file of *size* pseudo-random bytes; its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    block = os.urandom(1 << 20)
    with path.open("wb") as f:
        left = size
        while left > 0:
            piece = block[: min(left, len(block))]
            f.write(piece)
            digest.update(piece)
            left -= len(piece)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
