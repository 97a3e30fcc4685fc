"""Names from the other side are hostile: every file lands safely inside the download folder."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

import trio

from codec import FileChunk, FileDone, FileOffer, FileStart
from peer._file_events import FileQuestion, TransferEnded
from tests.files.helpers import Side, make_file, next_file_event, open_pair
from tests.files.test_advanced import grant_access

if TYPE_CHECKING:
    from pathlib import Path


async def put_and_allow(rep: Side, bob: Side, source: Path, remote_dir: str = "") -> str:
    """Where the file landed, relative to Bob's download folder."""
    rep.files.put([source], remote_dir)
    await next_file_event(bob, FileQuestion)
    bob.files.answer(True)
    ended = await next_file_event(bob, TransferEnded)
    assert ended.view.state == "complete", ended.view.reason
    return ended.view.saved_as


def everything_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


async def test_hostile_names_land_safely_inside_the_download_folder(
    relay_url: str, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        await grant_access(rep, bob)
        make_file(tmp_path / "passwd", 10)
        assert await put_and_allow(rep, bob, tmp_path / "passwd", "../../etc") == "etc/passwd"
        assert await put_and_allow(rep, bob, tmp_path / "passwd", "/etc") == "etc/passwd (2)"
        make_file(tmp_path / "CON", 10)
        assert await put_and_allow(rep, bob, tmp_path / "CON") == "_CON"
        make_file(tmp_path / "a\nSession ended by Alice", 10)
        landed = await put_and_allow(rep, bob, tmp_path / "a\nSession ended by Alice")
        assert landed == "aSession ended by Alice"
        make_file(tmp_path / "\x1b[2J\x1b[31mred.txt", 10)
        assert await put_and_allow(rep, bob, tmp_path / "\x1b[2J\x1b[31mred.txt") == "red.txt"
    assert list(outside.iterdir()) == []
    assert everything_under(bob.folder) == {
        "etc",
        "etc/passwd",
        "etc/passwd (2)",
        "_CON",
        "aSession ended by Alice",
        "red.txt",
    }


async def test_a_symlink_planted_in_the_download_folder_is_never_followed(
    relay_url: str, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("precious")
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        (bob.folder / "report.txt").symlink_to(outside / "victim.txt")
        (bob.folder / "docs").symlink_to(outside)
        await grant_access(rep, bob)
        make_file(tmp_path / "report.txt", 10)
        assert await put_and_allow(rep, bob, tmp_path / "report.txt") == "report (2).txt"
        assert await put_and_allow(rep, bob, tmp_path / "report.txt", "docs") == (
            "docs (2)/report.txt"
        )
    assert (outside / "victim.txt").read_text() == "precious"
    assert sorted(os.listdir(outside)) == ["victim.txt"]
    assert (bob.folder / "report.txt").is_symlink()


async def test_a_file_whose_digest_does_not_match_never_gets_its_name(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        await grant_access(rep, bob)
        bob_id = bob.session.id
        # The rep's program is hostile: it writes the transfer's messages itself.
        await rep.session.send_message(bob_id, FileOffer(77, "update.exe", 10))
        await next_file_event(bob, FileQuestion)
        bob.files.answer(True)
        await trio.sleep(0.2)  # Bob's accept reaches the rep
        for message in (
            FileStart(77, 0),
            FileChunk(77, 0, b"0123456789"),
            FileDone(77, hashlib.sha256(b"something else").digest()),
        ):
            await rep.session.send_message(bob_id, message)
        ended = await next_file_event(bob, TransferEnded)
        assert ended.view.state == "cancelled"
        assert "digest does not match" in ended.view.reason
        assert os.listdir(bob.folder) == []
