"""The rep's Files menu on the customer's granted folder (F2): browse it, fetch what is
picked or typed, each fetch allowed by the customer in its own dialog."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from peer._history import HistoryStore, history_path
from peer.gui._activities import Action
from peer.gui._activity_bar import FileAction
from tests.gui.console import open_console_window, start_session
from tests.gui.customer import allow, click, open_customer_window
from tests.gui.helpers import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from peer.gui import CustomerWindow
    from peer.gui._remote_files import RemoteFilesDialog
    from peer.gui._rep import RepFace


def from_files_menu(face: RepFace, label: str) -> None:
    menu = face.tab.activities.buttons[Action.FILES].menu()
    [action] = [a for a in menu.actions() if a.text() == label]
    action.trigger()


@asynccontextmanager
async def browsing(
    qapp: QApplication, relay: str, tmp: Path, *, grant: bool = True
) -> AsyncIterator[tuple[RepFace, CustomerWindow, RemoteFilesDialog]]:
    """The rep's console and Bob's window, Bob's folder holding report.txt and logs/today.txt;
    with *grant*, Bob gave file access; the rep's Browse dialog is open."""
    (tmp / "bob" / "logs").mkdir(parents=True)
    (tmp / "bob" / "report.txt").write_text("all fine\n")
    (tmp / "bob" / "logs" / "today.txt").write_text("printer jammed at 9:14\n" * 100)
    async with open_console_window(qapp, relay, tmp) as (window, console):
        await start_session(window, console)
        face = console.faces[0]
        code = face.tab.code_panel.code.text()
        async with open_customer_window(qapp, relay, tmp, code=code) as bob:
            click(bob.form.join_button)
            await until(lambda: face.tab.activities.reason(Action.FILES) is None, "Files on")
            if grant:
                from_files_menu(face, FileAction.ACCESS)
                await until(lambda: bob.question is not None, "Bob's access question")
                assert bob.question is not None
                assert "asks for file access" in bob.question.question.text()
                await allow(bob.question)
                await until(lambda: len(bob.share_bar.texts()) == 1, "Bob's bar to say so")
            from_files_menu(face, FileAction.BROWSE)
            await until(lambda: face.remote_files is not None, "the browse dialog")
            assert face.remote_files is not None
            yield face, bob, face.remote_files


def double_click(dialog: RemoteFilesDialog, name: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    spot = dialog.tree.visualItemRect(dialog.item(name)).center()
    # A person's double-click: a press and release, then the second press.
    QTest.mouseClick(dialog.tree.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    QTest.mouseDClick(dialog.tree.viewport(), Qt.MouseButton.LeftButton, pos=spot)


async def test_the_rep_browses_the_granted_folder_and_fetches_a_picked_file_once_allowed(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with browsing(qapp, relay_process, tmp_path) as (face, bob, dialog):
        await until(lambda: dialog.names() == ["logs/", "report.txt"], "the folder's list")
        assert dialog.windowTitle() == "Files on Bob's computer"
        double_click(dialog, "logs/")
        await until(lambda: dialog.names() == ["today.txt"], "the logs folder")
        assert dialog.path.text() == "logs"
        dialog.tree.setCurrentItem(dialog.item("today.txt"))
        assert dialog.path.text() == "logs/today.txt"
        asked_before = bob.question is not None
        click(dialog.fetch_button)
        await until(lambda: bob.question is not None, "Bob's question for this file")
        assert bob.question is not None
        assert not asked_before  # picking asks nothing; Fetch asks Bob for this one file
        assert bob.question.question.text().startswith("Alice (rep) wants to fetch logs/today.txt")
        await allow(bob.question)
        transfers = face.tab.transfers
        await until(lambda: transfers.numbers() != [], "the rep's transfer row")
        number = transfers.numbers()[0]
        await until(lambda: transfers.state(number) == "complete, verified", "the fetch")
        assert transfers.progress_bar(number).value() == 100
        fetched = tmp_path / "rep-downloads" / "today.txt"
        assert fetched.read_bytes() == (tmp_path / "bob" / "logs" / "today.txt").read_bytes()


async def test_a_typed_path_the_customer_denies_is_not_fetched_and_the_rep_is_told(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    async with browsing(qapp, relay_process, tmp_path) as (face, bob, dialog):
        await until(lambda: dialog.names() != [], "the folder's list")
        dialog.path.clear()
        QTest.keyClicks(dialog.path, "report.txt")
        QTest.keyClick(dialog.path, Qt.Key.Key_Return)
        await until(lambda: bob.question is not None, "Bob's question")
        assert bob.question is not None
        assert "report.txt" in bob.question.question.text()
        click(bob.question.deny)
        await until(
            lambda: any("Bob refused" in line for line in face.tab.chat.lines()),
            "the rep to learn Bob refused",
        )
        assert not (tmp_path / "rep-downloads" / "report.txt").exists()


async def test_without_file_access_the_list_says_why_not(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with browsing(qapp, relay_process, tmp_path, grant=False) as (_face, bob, dialog):
        await until(lambda: dialog.status.text().startswith("Cannot list"), "the refusal")
        assert dialog.names() == []
        assert "access" in dialog.status.text()
        assert bob.question is None


async def test_the_consoles_history_record_holds_the_file_access_and_the_fetch(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with browsing(qapp, relay_process, tmp_path) as (face, bob, dialog):
        await until(lambda: dialog.names() == ["logs/", "report.txt"], "the folder's list")
        dialog.tree.setCurrentItem(dialog.item("report.txt"))
        click(dialog.fetch_button)
        await until(lambda: bob.question is not None, "Bob's question for this file")
        assert bob.question is not None
        await allow(bob.question)
        transfers = face.tab.transfers
        await until(lambda: transfers.numbers() != [], "the rep's transfer row")
        number = transfers.numbers()[0]
        await until(lambda: transfers.state(number) == "complete, verified", "the fetch")
        [record] = HistoryStore(history_path()).find(face.session.code.number)
    assert [(c.customer, c.activity, c.how) for c in record.consent] == [
        ("Bob", "file access", "allowed")
    ]
    [fetched] = record.transfers
    assert (fetched.direction, fetched.name, fetched.size) == ("from Bob", "report.txt", 9)
    assert fetched.digest.startswith("sha256:")
