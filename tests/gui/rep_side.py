"""A rep driven through the session API (no window), for the customer window's tests.

Its session events are routed as the CLI routes them: sharing messages to
:class:`RepSharing`, system information to a :class:`SysinfoRequester`,
the rest into ``events`` for the test to read.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio

from codec import DEFAULT_POLICY, ShareMessage, SysinfoRefused, SysinfoReport
from peer._events import MessageReceived, SessionEvent
from peer._file_session import open_file_transfers
from peer._file_settings import FileSettings
from peer._open import open_hosted_session
from peer._share_backends import x11_backends
from peer._share_rep import RepSharing
from peer._sysinfo_desk import SysinfoRequester

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from peer._file_transfers import FileTransfers
    from peer._host import HostSession


@dataclass
class RepSide:
    session: HostSession
    sharing: RepSharing
    files: FileTransfers
    sysinfo: SysinfoRequester
    events: trio.MemoryReceiveChannel[SessionEvent]
    said: list[str] = field(default_factory=list)


@asynccontextmanager
async def open_rep(
    relay: str, display: str, folder: Path, name: str = "Alice"
) -> AsyncIterator[RepSide]:
    said: list[str] = []
    settings = FileSettings(download_dir=folder / "rep-downloads", shared_root=folder)
    async with (
        open_hosted_session(relay, name) as session,
        open_file_transfers(session, settings) as files,
        trio.open_nursery() as nursery,
    ):
        other, events = trio.open_memory_channel[SessionEvent](256)
        sysinfo = SysinfoRequester(session, DEFAULT_POLICY, said.append, lambda: None)
        rep = RepSide(
            session, RepSharing(session, x11_backends(display)), files, sysinfo, events, said
        )

        async def route() -> None:
            async for event in session.events:
                if isinstance(event, MessageReceived) and isinstance(event.message, ShareMessage):
                    await rep.sharing.receive(event.sender, event.message)
                elif isinstance(event, MessageReceived) and isinstance(
                    event.message, SysinfoReport | SysinfoRefused
                ):
                    sysinfo.received(event.sender, event.message)
                else:
                    await other.send(event)

        nursery.start_soon(rep.sharing.run)
        nursery.start_soon(route)
        yield rep
        nursery.cancel_scope.cancel()
