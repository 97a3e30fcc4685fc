"""A file transfer across a relay restart continues where it was (SPEC X3, F5)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from peer._file_events import SharedFilesListed, TransferEnded, TransferProgress
from tests.files.helpers import make_file, next_file_event, open_pair, sha256_of
from tests.peer.restartable import open_restartable_relay

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

MB = 1_000_000
SIZE = 40 * MB


async def test_a_download_across_a_relay_restart_resumes_and_arrives_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("peer._file_engine.PROGRESS_EVERY", 0.0)
    async with open_restartable_relay() as relay, open_pair(relay.url, tmp_path) as (rep, bob):
        digest = make_file(tmp_path / "outbox" / "disk.img", SIZE)
        rep.files.share([tmp_path / "outbox" / "disk.img"])
        await next_file_event(bob, SharedFilesListed)
        bob.files.get([1])
        while (await next_file_event(rep, TransferProgress)).view.done < 10 * MB:
            pass
        await relay.kill()  # mid-transfer: every room and connection gone
        await relay.start()
        ended = await next_file_event(bob, TransferEnded, within=120)
        assert ended.view.state == "complete"
        assert sha256_of(bob.folder / "disk.img") == digest
        assert sorted(os.listdir(bob.folder)) == ["disk.img"]
        link = rep.session.rules.links[bob.session.id]
        resent = link.channel.sync.resent_bytes
        # What was in flight went again; what Bob had verified did not.
        assert 0 < resent < SIZE // 2, resent
