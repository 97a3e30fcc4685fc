"""F1: the rep shares files; the customer sees them and downloads the ones it picks."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from peer._file_events import SharedFilesListed, TransferEnded
from tests.files.helpers import make_file, next_file_event, open_pair, sha256_of

if TYPE_CHECKING:
    from pathlib import Path


async def test_a_shared_file_arrives_identical_in_the_download_folder(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        digest = make_file(tmp_path / "outbox" / "notes 2024.txt", 300_000)
        rep.files.share([tmp_path / "outbox" / "notes 2024.txt"])
        listed = await next_file_event(bob, SharedFilesListed)
        assert [(i.number, i.name, i.size) for i in listed.items] == [
            (1, "notes 2024.txt", 300_000)
        ]
        bob.files.get([1])
        ended = await next_file_event(bob, TransferEnded)
        assert ended.view.state == "complete"
        assert sha256_of(bob.folder / "notes 2024.txt") == digest
        umask = os.umask(0o022)
        os.umask(umask)
        assert (bob.folder / "notes 2024.txt").stat().st_mode & 0o777 == 0o666 & ~umask
        assert (await next_file_event(rep, TransferEnded)).view.state == "complete"
