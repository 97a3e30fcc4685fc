"""Starting file transfer in a session: the engine, wired to the session's channels."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from peer._file_transfers import FileTransfers
from peer._nursery import open_task_nursery

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from codec import ApplicationSharing
    from peer._file_settings import FileSettings
    from peer._session import Session

__all__ = ["open_file_transfers"]


@asynccontextmanager
async def open_file_transfers(
    session: Session, settings: FileSettings, sharing: ApplicationSharing | None = None
) -> AsyncIterator[FileTransfers]:
    """Run a :class:`FileTransfers` for *session* until the block ends."""
    engine = FileTransfers(
        session.role,
        session.send_message,
        session.roster,
        settings,
        sharing,
        primary=lambda: session.primary,
    )
    try:
        async with open_task_nursery() as nursery:
            await nursery.start(engine.run)
            session.files = engine
            try:
                yield engine
            finally:
                session.files = None
                nursery.cancel_scope.cancel()
    finally:
        # Writers were cut short, not stopped: the records they owed are written now.
        engine.keep_partials()
