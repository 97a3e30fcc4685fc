"""Big files, folders, resume, full disks and refusals, through a real relay."""

from __future__ import annotations

import contextlib
import os
import subprocess
from typing import TYPE_CHECKING

import pytest
import trio

from peer._events import ChatReceived
from peer._file_events import (
    FileNotice,
    FileQuestion,
    SharedFilesListed,
    TransferEnded,
    TransferProgress,
)
from peer._file_transfers import FileTransferError
from tests.files.helpers import make_file, next_file_event, open_pair, sha256_of
from tests.files.test_advanced import grant_access
from tests.peer.helpers import next_event
from tests.peer.wiretap import open_wiretap

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

MB = 1_000_000


async def test_a_200_mb_file_arrives_identical_and_chat_is_not_starved(
    relay_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("peer._file_engine.PROGRESS_EVERY", 0.0)
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        digest = make_file(tmp_path / "outbox" / "disk.img", 200 * MB)
        rep.files.share([tmp_path / "outbox" / "disk.img"])
        await next_file_event(bob, SharedFilesListed)
        bob.files.get([1])
        while (await next_file_event(rep, TransferProgress)).view.done < 20 * MB:
            pass
        await rep.session.send_chat("still there?")
        chat = await next_event(bob.session, ChatReceived)
        assert chat.text == "still there?"
        [view] = bob.files.transfers()
        assert view.state == "moving"  # the chat overtook most of the file
        assert view.done < 200 * MB
        ended = await next_file_event(bob, TransferEnded, within=90)
        assert ended.view.state == "complete"
        assert sha256_of(bob.folder / "disk.img") == digest
        assert sorted(os.listdir(bob.folder)) == ["disk.img"]  # no partial file left


async def test_a_shared_folder_arrives_with_its_structure(relay_url: str, tmp_path: Path) -> None:
    tree = {"a.txt": 1000, "sub/b.bin": 300_000, "sub/deeper/c": 0, "sub/deeper/d d.txt": 77}
    outbox = tmp_path / "outbox" / "project"
    digests = {name: make_file(outbox / name, size) for name, size in tree.items()}
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        rep.files.share([outbox])
        listed = await next_file_event(bob, SharedFilesListed)
        assert (listed.items[0].name, listed.items[0].count) == ("project", 4)
        bob.files.get([1])
        for _ in tree:
            assert (await next_file_event(bob, TransferEnded)).view.state == "complete"
    assert {n: sha256_of(bob.folder / "project" / n) for n in tree} == digests


def big_messages(recorded: list[bytes]) -> int:
    """Bytes of file data that crossed the relay (each message is recorded both ways)."""
    return sum(len(m) for m in recorded if len(m) > 4096) // 2


async def test_a_refused_transfer_sends_no_file_data(relay_url: str, tmp_path: Path) -> None:
    async with open_wiretap(relay_url) as tap:
        async with open_pair(tap.url, tmp_path) as (rep, bob):
            await grant_access(rep, bob)
            make_file(tmp_path / "tool.exe", 5 * MB)
            before = sum(len(m) for m in tap.recorded)
            rep.files.put([tmp_path / "tool.exe"])
            await next_file_event(bob, FileQuestion)
            bob.files.answer(False)
            ended = await next_file_event(rep, TransferEnded)
            assert (ended.view.state, ended.view.reason) == ("refused", "the customer said no")
            await trio.sleep(0.2)  # anything sent after the refusal would show up by now
            assert sum(len(m) for m in tap.recorded) - before < 5000
            assert list(bob.folder.iterdir()) == []


async def test_a_cancelled_transfer_sent_again_resumes_from_its_offset(
    relay_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("peer._file_engine.PROGRESS_EVERY", 0.0)
    size = 20 * MB
    async with open_wiretap(relay_url) as tap:
        async with open_pair(tap.url, tmp_path, window_bytes=512 * 1024) as (rep, bob):
            digest = make_file(tmp_path / "setup.msi", size)
            await grant_access(rep, bob)
            rep.files.put([tmp_path / "setup.msi"])
            await next_file_event(bob, FileQuestion)
            bob.files.answer(True)
            while (progress := await next_file_event(bob, TransferProgress)).view.done < size // 2:
                pass
            bob.files.cancel(progress.view.number)
            assert (await next_file_event(rep, TransferEnded)).view.state == "cancelled"
            assert not (bob.folder / "setup.msi").exists()
            await trio.sleep(0.3)  # chunks in flight when it stopped reach Bob (and are dropped)
            first_attempt = len(tap.recorded)
            rep.files.put([tmp_path / "setup.msi"])
            await next_file_event(bob, FileQuestion)
            bob.files.answer(True)
            ended = await next_file_event(bob, TransferEnded)
            assert ended.view.state == "complete"
            assert sha256_of(bob.folder / "setup.msi") == digest
            resumed = ended.view.resumed_from
            assert size // 2 <= resumed < size
            resent = big_messages(tap.recorded[first_attempt:])
            assert size - resumed <= resent < size - resumed + size // 20


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "2m") -> Iterator[bool]:
    """A tmpfs of *size* on *folder* when we may mount one; whether it is real."""
    folder.mkdir(exist_ok=True)
    mounted = os.geteuid() == 0 and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


async def test_a_file_too_big_for_the_disk_is_refused_before_any_data(
    relay_url: str, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "customer") as real:
        settings = {} if real else {"free_space": lambda _: 2 * 1024 * 1024}
        async with open_pair(relay_url, tmp_path, **settings) as (rep, bob):
            make_file(tmp_path / "outbox" / "big.iso", 5 * MB)
            rep.files.share([tmp_path / "outbox" / "big.iso"])
            await next_file_event(bob, SharedFilesListed)
            with pytest.raises(FileTransferError, match=r"not enough disk space: 5\.0 MB needed"):
                bob.files.get([1])
        assert os.listdir(tmp_path / "customer") == []


async def test_a_disk_that_fills_mid_transfer_leaves_nothing_named_complete(
    relay_url: str, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "customer") as real:
        if not real:
            pytest.skip("needs root to mount a small tmpfs")
        plenty = {"free_space": lambda _: 10**12}  # the disk lies; the writes find out
        async with open_pair(relay_url, tmp_path, **plenty) as (rep, bob):
            make_file(tmp_path / "outbox" / "big.iso", 5 * MB)
            rep.files.share([tmp_path / "outbox" / "big.iso"])
            await next_file_event(bob, SharedFilesListed)
            bob.files.get([1])
            said = await next_file_event(bob, FileNotice)
            assert "the disk is full on the customer's side" in said.text
            heard = await next_file_event(rep, FileNotice)
            assert "Bob stopped big.iso: cannot write big.iso: the disk is full" in heard.text
            mine = await next_file_event(bob, TransferEnded)
            theirs = await next_file_event(rep, TransferEnded)
            assert (mine.view.state, theirs.view.state) == ("cancelled", "cancelled")
            named = [n for n in os.listdir(bob.folder) if not n.startswith(".")]
            assert named == []
