"""F2, F3, F4: access granted once, each transfer allowed, revoke, end, application sharing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from codec import APPLICATION_SHARING_REFUSAL, AccessState, Activity, ConsentMachine, Party, Role
from peer._file_commands import FileDesk
from peer._file_events import (
    FileNotice,
    FileQuestion,
    FolderListed,
    TransferEnded,
    TransferProgress,
)
from peer._file_progress import Progress
from peer._file_settings import FileSettings
from peer._file_transfers import FileTransferError, FileTransfers
from tests.files.helpers import (
    Side,
    make_file,
    next_file_event,
    open_pair,
    pending_file_events,
    sha256_of,
)

if TYPE_CHECKING:
    from pathlib import Path


async def grant_access(rep: Side, bob: Side) -> None:
    rep.files.ask_access()
    question = await next_file_event(bob, FileQuestion)
    assert "Alice (rep) asks for file access" in question.text
    assert question.text.endswith("Allow? [y/N]")
    bob.files.answer(True)
    notice = await next_file_event(rep, FileNotice)
    assert notice.text == "* File access granted (Bob)"


async def test_file_access_asked_again_at_once_after_a_no_is_refused_without_a_question(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        rep.files.ask_access()
        await next_file_event(bob, FileQuestion)
        bob.files.answer(False)
        assert (await next_file_event(rep, FileNotice)).text == (
            "* File access refused: the customer said no (Bob)"
        )
        rep.files.ask_access()  # the moment it hears no
        notice = await next_file_event(rep, FileNotice)
        assert notice.text.startswith("* File access refused: the customer said no a moment ago")
        assert not bob.files.questions
        assert not any(isinstance(e, FileQuestion) for e in pending_file_events(bob))


async def test_a_put_is_asked_for_showing_name_size_and_direction(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        await grant_access(rep, bob)
        digest = make_file(tmp_path / "tool.exe", 1_500_000)
        rep.files.put([tmp_path / "tool.exe"])
        question = await next_file_event(bob, FileQuestion)
        assert "Alice (rep) wants to send you tool.exe (1.5 MB)" in question.text
        assert "download from Alice" in question.text
        bob.files.answer(True)
        assert (await next_file_event(bob, TransferEnded)).view.state == "complete"
        assert sha256_of(bob.folder / "tool.exe") == digest


async def test_a_put_without_file_access_is_refused_on_both_sides(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        make_file(tmp_path / "tool.exe", 1000)
        rep.files.put([tmp_path / "tool.exe"])
        ended = await next_file_event(rep, TransferEnded)
        assert ended.view.state == "refused"
        assert "has not granted file access" in ended.view.reason
        assert "has not granted file access" in (await next_file_event(bob, FileNotice)).text
        assert list(bob.folder.iterdir()) == []


async def test_fetch_brings_a_folder_tree_from_the_granted_folder(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        home = tmp_path / "home"
        tree = {"logs/app.log": 70_000, "logs/old/app.1.log": 5000, "logs/empty.txt": 0}
        digests = {name: make_file(home / name, size) for name, size in tree.items()}
        await grant_access(rep, bob)
        rep.files.fetch("logs")
        question = await next_file_event(bob, FileQuestion)
        assert "wants to fetch logs (3 files, 75.0 KB) from you (upload to Alice)" in question.text
        bob.files.answer(True)
        for _ in tree:
            assert (await next_file_event(rep, TransferEnded)).view.state == "complete"
        got = {name: sha256_of(rep.folder / name) for name in tree}
        assert got == digests


async def test_fetch_brings_one_file_from_a_folder_inside_the_granted_folder(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        digest = make_file(tmp_path / "home" / "logs" / "app.log", 70_000)
        await grant_access(rep, bob)
        rep.files.fetch("logs/app.log")
        question = await next_file_event(bob, FileQuestion)
        assert "wants to fetch logs/app.log (70.0 KB) from you" in question.text
        bob.files.answer(True)
        assert (await next_file_event(rep, TransferEnded)).view.state == "complete"
        assert sha256_of(rep.folder / "app.log") == digest


async def test_ls_lists_the_granted_folder_and_cannot_climb_out(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        home = tmp_path / "home"
        make_file(home / "Documents" / "a.txt", 3)
        (home / "link").symlink_to("/etc")
        await grant_access(rep, bob)
        rep.files.list_remote("")
        listing = await next_file_event(rep, FolderListed)
        assert [(e.name, e.is_dir) for e in listing.entries] == [("Documents", True)]
        rep.files.list_remote("../..")
        assert "outside the granted folder" in (await next_file_event(rep, FolderListed)).error
        rep.files.list_remote("link")
        assert "symbolic link" in (await next_file_event(rep, FolderListed)).error


async def test_fetch_through_a_symlink_is_refused(relay_url: str, tmp_path: Path) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        make_file(tmp_path / "secret.txt", 10)
        (tmp_path / "home" / "innocent.txt").symlink_to(tmp_path / "secret.txt")
        await grant_access(rep, bob)
        rep.files.fetch("innocent.txt")
        assert "symbolic link" in (await next_file_event(rep, FileNotice)).text
        assert list(rep.folder.iterdir()) == []


class Sharing:
    shared = False

    def application_shared(self) -> bool:
        return self.shared


async def test_no_transfer_while_an_application_is_shared(relay_url: str, tmp_path: Path) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        sharing = Sharing()
        bob.files.gate.sharing = sharing
        make_file(tmp_path / "outbox" / "a.txt", 100)
        rep.files.share([tmp_path / "outbox" / "a.txt"])
        await grant_access(rep, bob)
        sharing.shared = True
        rep.files.put([tmp_path / "outbox" / "a.txt"])
        ended = await next_file_event(rep, TransferEnded)
        assert ended.view.reason == APPLICATION_SHARING_REFUSAL
        assert APPLICATION_SHARING_REFUSAL in (await next_file_event(bob, FileNotice)).text
        with pytest.raises(FileTransferError, match="stop application sharing first"):
            bob.files.get([1])


async def test_revoking_mid_transfer_stops_it_on_both_sides(
    relay_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("peer._file_engine.PROGRESS_EVERY", 0.0)
    async with open_pair(relay_url, tmp_path, window_bytes=256 * 1024) as (rep, bob):
        make_file(tmp_path / "big.bin", 50_000_000)
        await grant_access(rep, bob)
        rep.files.put([tmp_path / "big.bin"])
        await next_file_event(bob, FileQuestion)
        bob.files.answer(True)
        while (await next_file_event(bob, TransferProgress)).view.done == 0:
            pass
        bob.files.revoke()
        assert bob.files.gate.access(rep.session.id) is AccessState.NOT_GRANTED
        mine = await next_file_event(bob, TransferEnded)
        theirs = await next_file_event(rep, TransferEnded)
        assert (mine.view.state, theirs.view.state) == ("cancelled", "cancelled")
        assert theirs.view.reason == "the customer revoked file access"
        assert theirs.view.done < 50_000_000
        assert [p.name for p in bob.folder.iterdir() if not p.name.startswith(".")] == []


async def test_ending_file_transfer_withdraws_the_list_and_access(
    relay_url: str, tmp_path: Path
) -> None:
    async with open_pair(relay_url, tmp_path) as (rep, bob):
        make_file(tmp_path / "outbox" / "a.txt", 100)
        rep.files.share([tmp_path / "outbox" / "a.txt"])
        await grant_access(rep, bob)
        rep.files.end_files()
        assert (await next_file_event(bob, FileNotice)).text == "* Alice ended file transfer"
        assert bob.files.gate.access(rep.session.id) is AccessState.NOT_GRANTED
        assert bob.files.catalogue == {}


async def test_the_site_policy_can_turn_advanced_transfer_off(
    relay_url: str, tmp_path: Path
) -> None:
    off = (
        "transferring files to or from the customer's computer is turned off by this site's policy"
    )
    async with open_pair(relay_url, tmp_path, advanced_off=off) as (rep, _):
        make_file(tmp_path / "a.txt", 10)
        for command in (rep.files.ask_access, lambda: rep.files.put([tmp_path / "a.txt"])):
            with pytest.raises(FileTransferError, match="turned off by this site"):
                command()
        assert rep.files.share([tmp_path / "a.txt"])[0].name == "a.txt"  # basic stays on


def test_the_command_line_reads_f3_from_the_customers_sharing_state(tmp_path: Path) -> None:
    files = FileTransfers(Role.CUSTOMER, send=None, members=list, settings=FileSettings(tmp_path))  # type: ignore[arg-type]
    machine = ConsentMachine(Party.CUSTOMER)

    state = SimpleNamespace(consent_machines=lambda: [machine])  # CustomerSharing's, one per rep
    FileDesk(files, print, Progress(print)).watch_sharing(state)
    machine.request(Activity.VIEW_APP, now=0.0)
    machine.grant(Activity.VIEW_APP)
    assert files.gate.refusal(0, needs_access=False) == APPLICATION_SHARING_REFUSAL
