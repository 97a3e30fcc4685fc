"""Names from the other side are hostile: every file lands safely inside the download folder."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

import pytest
import trio

from codec import FileChunk, FileDone, FileFetch, FileOffer, FileStart
from peer._file_engine import MAX_OPEN_OFFERS
from peer._file_events import FileNotice, FileQuestion, TransferEnded
from peer._file_transfers import MAX_OPEN_QUESTIONS, FileTransferError
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
        make_file(tmp_path / "...hidden\u200b.txt", 10)
        assert await put_and_allow(rep, bob, tmp_path / "...hidden\u200b.txt") == "_..hidden.txt"
    assert list(outside.iterdir()) == []
    assert everything_under(bob.folder) == {
        "etc",
        "etc/passwd",
        "etc/passwd (2)",
        "_CON",
        "_..hidden.txt",
    }


async def test_a_name_that_could_repaint_a_screen_is_refused_before_it_is_sent(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        await grant_access(rep, bob)
        for name in ("a\nSession ended by Alice", "\x1b[2J\x1b[31mred.txt"):
            make_file(tmp_path / name, 10)
            with pytest.raises(FileTransferError, match="in its name; rename it"):
                rep.files.put([tmp_path / name])
        assert rep.files.transfers() == []
    assert everything_under(bob.folder) == set()


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


async def test_a_sender_may_have_only_a_few_offers_open_at_once(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        await grant_access(rep, bob)
        for tid in range(1, MAX_OPEN_OFFERS + 3):
            await rep.session.send_message(bob.session.id, FileOffer(tid, f"f{tid}.txt", 10, 0))
        for _ in range(2):
            notice = await next_file_event(bob, FileNotice)
            assert notice.text == (
                f"! Refused a file message from Alice: more than {MAX_OPEN_OFFERS} files "
                "offered at once"
            )
        assert len(bob.files.transfers()) == MAX_OPEN_OFFERS
        assert len(bob.files.questions) == MAX_OPEN_OFFERS


async def test_a_rep_may_have_only_a_few_fetch_questions_waiting_at_once(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        make_file(tmp_path / "home" / "a.txt", 10)
        await grant_access(rep, bob)
        for request in range(1, MAX_OPEN_QUESTIONS + 2):
            await rep.session.send_message(bob.session.id, FileFetch(request, "a.txt"))
        notice = await next_file_event(bob, FileNotice)
        assert notice.text == (
            f"! Refused Alice's request for a.txt: {MAX_OPEN_QUESTIONS} questions already wait "
            "for the customer's answer"
        )
        assert len(bob.files.questions) == MAX_OPEN_QUESTIONS
