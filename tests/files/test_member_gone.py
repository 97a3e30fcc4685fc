"""A customer who leaves, is removed or vanishes mid-transfer, either way, through a real relay.

The rep's side stops that customer's transfers at once with a line naming
the person and the file; a receiver keeps the partial file hidden beside
its record for a resume; nothing hangs, nothing crashes, and the session
goes on for everyone else.
"""

from __future__ import annotations

import os
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
import trio

from codec import JoinTarget, SessionTimings
from peer._events import ChatReceived, MemberLeft
from peer._file_commands import FileDesk
from peer._file_events import (
    FileNotice,
    FileQuestion,
    SharedFilesListed,
    TransferEnded,
    TransferProgress,
)
from peer._file_progress import Progress
from peer._file_session import open_file_transfers
from peer._file_settings import FileSettings
from peer._file_store import PARTIAL_SUFFIX, RECORD_SUFFIX
from peer._open import open_hosted_session, open_joined_session
from tests.files.helpers import Side, make_file, next_file_event, sha256_of
from tests.files.test_advanced import grant_access
from tests.peer.helpers import invite, next_event

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

MB = 1_000_000
SIZE = 60 * MB
#: A vanished customer is given up after a second.
QUICK = SessionTimings(resume_timeout=1.0)
#: A small window keeps the file moving long enough to go mid-way.
SLOW_WINDOW = 256 * 1024

#: How Bob goes, and how the rep's side names it.
WHY = {
    "leaves": "Bob left",
    "is removed": "Bob left (removed by Alice)",
    "vanishes": "Bob left (connection lost)",
}
GOES = list(WHY)


@pytest.fixture(autouse=True)
def every_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """A progress event per chunk, so a test sees how far a transfer got."""
    monkeypatch.setattr("peer._file_engine.PROGRESS_EVERY", 0.0)


@dataclass
class Leaving(Side):
    """Bob: told when to go; says when he is out (his session and engine closed)."""

    go: trio.Event = field(default_factory=trio.Event)
    out: trio.Event = field(default_factory=trio.Event)


async def run_bob(
    target: JoinTarget, folders: dict[str, Path], how: str, task_status: trio.TaskStatus[Leaving]
) -> None:
    """Bob, with his file engine, until he leaves, is removed or vanishes (no goodbye)."""
    async with open_joined_session(target, "Bob") as session:
        settings = FileSettings(
            download_dir=folders["bob"], shared_root=folders["bob-home"], window_bytes=SLOW_WINDOW
        )
        async with open_file_transfers(session, settings) as files:
            bob = Leaving(session, files, folders["bob"])
            task_status.started(bob)
            await bob.go.wait()
            if how == "leaves":
                await session.leave()
            elif how == "is removed":
                with trio.fail_after(5):
                    await session.finished.wait()
    bob.out.set()


@asynccontextmanager
async def open_rep(
    relay_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Side, dict[str, Path], trio.Nursery]]:
    """Alice (rep) with her file engine; everyone's folders; a nursery for Bob to run in."""
    folders = {n: tmp_path / n for n in ("rep", "bob", "bob-home")}
    for folder in folders.values():
        folder.mkdir()
    settings = FileSettings(
        download_dir=folders["rep"], shared_root=tmp_path, window_bytes=SLOW_WINDOW
    )
    async with (
        open_hosted_session(relay_url, "Alice", timings=QUICK) as alice,
        open_file_transfers(alice, settings) as files,
        trio.open_nursery() as nursery,
    ):
        yield Side(alice, files, folders["rep"]), folders, nursery


async def until_a_tenth_moved(side: Side) -> None:
    while (await next_file_event(side, TransferProgress)).view.done < SIZE // 10:
        pass


async def bob_goes_mid_transfer(
    relay_url: str,
    tmp_path: Path,
    how: str,
    start: Callable[[Side, Side], Awaitable[None]],
    check: Callable[[Side, Leaving, str], Awaitable[None]],
) -> None:
    """Alice (rep), Bob and Carol; *start* a transfer with Bob, Bob goes at 10 %, *check*."""
    async with open_rep(relay_url, tmp_path) as (rep, folders, nursery):
        alice = rep.session
        bob: Leaving = await nursery.start(run_bob, invite(alice), folders, how)
        async with open_joined_session(invite(alice), "Carol") as carol:
            await start(rep, bob)
            await until_a_tenth_moved(rep)
            bob.go.set()
            if how == "is removed":
                await alice.remove_member("Bob")
            assert (await next_event(alice, MemberLeft)).name == "Bob"
            await check(rep, bob, WHY[how])
            await alice.send_chat("still there, Carol?")  # the session goes on
            assert (await next_event(carol, ChatReceived)).text == "still there, Carol?"


async def download(rep: Side, bob: Side) -> None:
    make_file(rep.folder.parent / "outbox" / "big.bin", SIZE)
    rep.files.share([rep.folder.parent / "outbox" / "big.bin"])
    await next_file_event(bob, SharedFilesListed)
    bob.files.get([1])


async def put(rep: Side, bob: Side) -> None:
    make_file(rep.folder.parent / "big.bin", SIZE)
    await grant_access(rep, bob)
    rep.files.put([rep.folder.parent / "big.bin"])
    await next_file_event(bob, FileQuestion)
    bob.files.answer(True)


async def fetch(rep: Side, bob: Side) -> None:
    make_file(rep.folder.parent / "bob-home" / "big.bin", SIZE)
    await grant_access(rep, bob)
    rep.files.fetch("big.bin")
    await next_file_event(bob, FileQuestion)
    bob.files.answer(True)


async def the_reps_send_stops_naming_bob_and_the_file(rep: Side, bob: Leaving, why: str) -> None:
    notice = await next_file_event(rep, FileNotice, within=5)
    assert re.fullmatch(rf"! {re.escape(why)}; big\.bin stopped at \d+%", notice.text)
    assert (await next_file_event(rep, TransferEnded, within=5)).view.state == "cancelled"
    assert re.fullmatch(
        rf"\[1\] big\.bin \(60\.0 MB\) to Bob: stopped at \d+%: {re.escape(why)}",
        await transfers_line(rep),
    )
    with trio.fail_after(5):
        await bob.out.wait()
    hidden_partial_only(bob.folder)  # what Bob got waits for a resume, under no final name


async def transfers_line(rep: Side) -> str:
    """What /transfers says of the one transfer."""
    said: list[str] = []
    await FileDesk(rep.files, said.append, Progress(said.append)).command("/transfers")
    [line] = said
    return line.strip()


def hidden_partial_only(folder: Path) -> None:
    assert sorted(os.listdir(folder)) == [f".big.bin{PARTIAL_SUFFIX}", f".big.bin{RECORD_SUFFIX}"]


async def the_reps_fetch_stops_keeping_the_partial_for_resume(
    rep: Side, bob: Leaving, why: str
) -> None:
    notice = await next_file_event(rep, FileNotice, within=5)
    kept = "the partial file is kept to resume"
    assert re.fullmatch(rf"! {re.escape(why)}; big\.bin stopped at \d+%; {kept}", notice.text)
    assert (await next_file_event(rep, TransferEnded, within=5)).view.state == "cancelled"
    line = await transfers_line(rep)
    assert re.fullmatch(
        rf"\[1\] big\.bin \(60\.0 MB\) from Bob: stopped at \d+%: {re.escape(why)}", line
    )
    hidden_partial_only(rep.folder)


@pytest.mark.parametrize("how", GOES)
async def test_a_download_stops_at_once_on_the_reps_side_when_the_customer_goes(
    relay_url: str, tmp_path: Path, how: str
) -> None:
    await bob_goes_mid_transfer(
        relay_url, tmp_path, how, download, the_reps_send_stops_naming_bob_and_the_file
    )


@pytest.mark.parametrize("how", GOES)
async def test_a_put_stops_at_once_on_the_reps_side_when_the_customer_goes(
    relay_url: str, tmp_path: Path, how: str
) -> None:
    await bob_goes_mid_transfer(
        relay_url, tmp_path, how, put, the_reps_send_stops_naming_bob_and_the_file
    )


@pytest.mark.parametrize("how", GOES)
async def test_a_fetch_stops_at_once_keeping_the_partial_when_the_customer_goes(
    relay_url: str, tmp_path: Path, how: str
) -> None:
    await bob_goes_mid_transfer(
        relay_url, tmp_path, how, fetch, the_reps_fetch_stops_keeping_the_partial_for_resume
    )


async def test_a_customer_who_vanished_mid_download_resumes_it_on_coming_back(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_rep(relay_url, tmp_path) as (rep, folders, nursery):
        bob: Leaving = await nursery.start(run_bob, invite(rep.session), folders, "vanishes")
        await download(rep, bob)
        digest = sha256_of(tmp_path / "outbox" / "big.bin")
        await until_a_tenth_moved(bob)
        bob.go.set()
        await next_event(rep.session, MemberLeft)
        back: Leaving = await nursery.start(run_bob, invite(rep.session), folders, "leaves")
        await next_file_event(back, SharedFilesListed)
        back.files.get([1])
        ended = await next_file_event(back, TransferEnded, within=60)
        assert ended.view.state == "complete"
        assert SIZE // 10 <= ended.view.resumed_from < SIZE
        assert sha256_of(back.folder / "big.bin") == digest
        assert os.listdir(back.folder) == ["big.bin"]
        back.go.set()
