"""The customer's window (``helpline join --gui``) against a real relay and a rep.

Consent is the customer's: each request is a question in the window naming
the rep and the activity, Deny the default, and nothing is shared before
Allow; the bar at the top always says what is shared and stops it, whatever
is being asked. Clicks here go through the window, as a real mouse's do, so
anything that blocks the window blocks them too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import trio

from codec import Activity, JoinTarget
from peer._file_events import FileNotice
from peer._open import open_joined_session
from peer.gui._customer_window import PAUSE_AFTER_NO
from tests.gui.customer import (
    allow,
    asked,
    click,
    click_in_window,
    open_customer_window,
    open_joined,
)
from tests.gui.helpers import until

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from peer.gui import CustomerWindow
    from tests.gui.rep_side import RepSide


pytestmark = pytest.mark.usefixtures("customer_display")


async def test_the_customer_joins_with_the_code_and_sees_who_helps(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        assert window.who.text() == "You are connected with Alice (support)."
        assert rep.session.code.number in window.windowTitle()
        assert window.share_bar.idle.isVisible()


async def test_a_wrong_code_is_explained_and_the_customer_can_try_again(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with open_customer_window(qapp, relay_process, tmp_path) as window:
        window.form.code.setText("0000-0000-000-0000")
        click(window.form.join_button)
        await until(window.form.error.isVisible, "the join's error")
        assert "no session 0000" in window.form.error.text()
        assert window.form.join_button.isEnabled()


async def test_a_control_request_is_a_question_in_the_window_that_enter_denies(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        dialog = await asked(rep, window, Activity.CONTROL_DESKTOP)
        assert dialog.question.text() == (
            "Alice wants to control your desktop (mouse, keyboard, clipboard)"
        )
        assert dialog.hint.text() == (
            "Nothing happens unless you allow it, and you can stop it at any time."
        )
        assert dialog.window() is window
        assert dialog.isVisible()
        assert dialog.deny.isDefault()
        assert not dialog.allow.isDefault()
        assert rep.sharing.view is None  # nothing captured while the question is open
        QTest.keyClick(dialog, Qt.Key.Key_Return)
        await until(lambda: window.question is None, "the question to close")
        await until(lambda: "asked to" not in rep.sharing.status(), "the rep to get the no")
        assert any(line.startswith("You declined: Alice may not") for line in window.chat.lines())
        assert rep.sharing.view is None
        assert not rep.sharing.control
        assert window.share_bar.idle.isVisible()


async def test_allowing_shares_the_screen_and_the_bar_stops_it_on_both_sides(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        dialog = await asked(rep, window, Activity.VIEW_DESKTOP)
        assert dialog.question.text() == "Alice wants to see your desktop"
        await allow(dialog)
        await until(lambda: rep.sharing.view is not None, "the rep's view to start")
        await until(lambda: window.share_bar.texts() != [], "the bar to show the sharing")
        assert window.share_bar.texts() == ["Alice views your desktop (no control)"]
        assert not window.share_bar.idle.isVisible()
        click(window.share_bar.stop_button("screen"))
        await until(lambda: rep.sharing.view is None, "the rep's view to end")
        await until(window.share_bar.idle.isVisible, "the bar to say nothing is shared")
        assert window.share_bar.texts() == []


async def test_a_shared_file_downloads_with_its_progress_bar_reaching_100(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(bytes(range(256)) * 2048)  # 512 KiB: several chunks
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        rep.files.share([report])
        await until(lambda: window.shared_files.names() == ["report.pdf"], "the shared list")
        assert window.shared_files.download_button.isEnabled()
        click(window.shared_files.download_button)
        await until(lambda: window.transfers.numbers() != [], "the transfer's row")
        number = window.transfers.numbers()[0]
        await until(lambda: window.transfers.state(number) == "complete, verified", "the download")
        assert window.transfers.progress_bar(number).value() == 100
        assert (tmp_path / "downloads" / "report.pdf").read_bytes() == report.read_bytes()
        # The state is in view in the window's own pane, with no sideways scrolling.
        window.files_tabs.setCurrentWidget(window.transfers)
        await until(window.transfers.table.isVisible, "the Transfers tab")
        table = window.transfers.table
        state = table.horizontalHeader()
        assert table.horizontalScrollBar().maximum() == 0
        assert state.sectionViewportPosition(5) + state.sectionSize(5) <= table.viewport().width()


async def test_file_requests_are_asked_one_at_a_time_and_answered_each(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("one")
    second.write_text("two")
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        rep.files.ask_access()
        await until(lambda: window.question is not None, "the file access question")
        assert window.question is not None
        assert window.question.question.text().startswith("Alice (rep) asks for file access")
        await allow(window.question)
        await until(lambda: "files" in window.share_bar._rows, "the bar to show file access")
        rep.files.put([first, second])
        await until(lambda: window.question is not None, "the first file's question")
        assert window.question is not None
        asked = window.question.question.text()
        assert asked.startswith("Alice (rep) wants to send you ")
        assert asked.endswith("(download from Alice).")
        allowed = "first.txt" if "first.txt" in asked else "second.txt"
        await allow(window.question)
        await until(
            lambda: window.question is not None and allowed not in window.question.question.text(),
            "the other file's question, after the first",
        )
        assert window.question is not None
        click(window.question.deny)
        await until(lambda: (tmp_path / "downloads" / allowed).exists(), "the allowed file")
        await until(lambda: len(window.transfers.numbers()) == 2, "both rows")
        await until(
            lambda: (
                sorted(window.transfers.state(n)[:7] for n in window.transfers.numbers())
                == ["complet", "refused"]
            ),
            "one file received, one refused",
        )
        denied = "second.txt" if allowed == "first.txt" else "first.txt"
        assert not (tmp_path / "downloads" / denied).exists()
        click(window.share_bar.stop_button("files"))
        await until(lambda: "files" not in window.share_bar._rows, "file access to end")


async def test_system_information_is_shown_before_it_is_sent_and_deny_sends_nothing(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        await rep.sysinfo.ask("")
        await until(lambda: window.question is not None, "the system information question", 30)
        dialog = window.question
        assert dialog is not None
        assert dialog.question.text() == "Alice wants to see your system information"
        # Sent once: there is nothing to stop later, so the dialog does not promise it.
        assert dialog.hint.text() == (
            "Nothing is sent unless you allow it; if you do, it is sent once, as shown."
        )
        assert dialog.details is not None
        assert dialog.details.isReadOnly()
        assert "\n  OS: " in dialog.details.toPlainText()
        click(dialog.deny)
        await until(lambda: any("refused" in line for line in rep.said), "the rep to hear no")
        assert not any(line.startswith("System information from") for line in rep.said)


async def test_a_system_information_question_closes_unanswered_when_control_moves(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        await rep.session.assistant_code()
        target = JoinTarget(rep.session.relay, rep.session.code)
        async with open_joined_session(target, "Dave", assist=True):
            await until(lambda: any("Dave" in line for line in window.chat.lines()), "Dave")
            await rep.sysinfo.ask("")
            await until(lambda: window.question is not None, "the system information question")
            await rep.session.transfer_control("Dave")
            await until(lambda: window.question is None, "the question to close")
            assert any("request is withdrawn" in line for line in window.chat.lines())


async def test_a_request_for_one_application_lets_the_customer_pick_the_window(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    from tests.x11.probe import open_probe

    async with (
        open_probe(xdisplay) as probe,
        open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window),
    ):
        dialog = await asked(rep, window, Activity.VIEW_APP)
        if dialog.choices is None:  # one window: the question names it
            assert dialog.question.text() == f"Alice wants to see your window “{probe.title}”"
        else:
            assert dialog.question.text() == "Alice wants to see one of your windows"
            items = [dialog.choices.item(i) for i in range(dialog.choices.count())]
            titles = [item.text() for item in items if item is not None]
            dialog.choices.setCurrentRow(titles.index(probe.title))
        await allow(dialog)
        await until(lambda: rep.sharing.view is not None, "the rep's view of the window")
        await until(lambda: window.share_bar.texts() != [], "the bar")
        assert window.share_bar.texts() == [f"Alice views “{probe.title}” (no control)"]


def asking(window: CustomerWindow, words: str) -> bool:
    """Whether the question open in *window* contains *words*."""
    return window.question is not None and words in window.question.question.text()


async def rep_hears(rep: RepSide, words: str) -> None:
    """Wait for the rep's file notice that contains *words*."""
    with trio.fail_after(10):
        async for event in rep.files.events:
            if isinstance(event, FileNotice) and words in event.text:
                return


async def test_stop_sharing_stays_clickable_while_a_question_is_open(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        await allow(await asked(rep, window, Activity.CONTROL_DESKTOP))
        await until(lambda: rep.sharing.control, "control to start")
        rep.files.ask_access()  # a rep holding control keeps asking something
        await until(lambda: window.question is not None, "the file access question")
        await until(lambda: "screen" in window.share_bar._rows, "the bar's Stop")
        click_in_window(window.share_bar.stop_button("screen"))
        await until(lambda: not rep.sharing.control, "control to end on the rep's side")
        assert rep.sharing.view is None
        assert window.question is not None  # the question still waits for its own answer


async def test_leave_stays_clickable_while_a_question_is_open(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        await asked(rep, window, Activity.VIEW_DESKTOP)
        click_in_window(window.leave_button)
        await until(lambda: not window.in_session, "the customer to leave")
        assert window.question is None  # the question went with the session
        await until(lambda: rep.session.primary is None, "the rep to see the customer gone")


async def test_a_click_in_the_first_moment_after_a_question_appears_does_not_answer_it(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        await allow(await asked(rep, window, Activity.VIEW_DESKTOP))
        await until(lambda: rep.sharing.view is not None, "the view to start")
        # The rep asks for control the moment viewing is allowed: the second click of
        # a double-click on Allow lands on the new question's Allow.
        question = await asked(rep, window, Activity.CONTROL_DESKTOP)
        click_in_window(question.allow)
        await trio.sleep(0.3)
        assert window.question is question
        assert question.is_open
        assert not rep.sharing.control
        await allow(question)  # once it could be read, Allow works
        await until(lambda: rep.sharing.control, "control, allowed on purpose")


async def test_a_press_in_the_first_moment_released_later_does_not_answer(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        question = await asked(rep, window, Activity.VIEW_DESKTOP)
        handle = window.windowHandle()
        where = question.allow.mapTo(window, question.allow.rect().center())
        QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
        await until(question.allow.isEnabled, "Allow to become clickable")
        QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
        await trio.sleep(0.3)
        assert question.is_open
        assert rep.sharing.view is None


async def test_allow_is_held_again_when_the_window_comes_back_to_the_front(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    from PySide6.QtCore import QEvent

    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        question = await asked(rep, window, Activity.VIEW_DESKTOP)
        await until(question.allow.isEnabled, "Allow to become clickable")
        qapp.sendEvent(window, QEvent(QEvent.Type.WindowDeactivate))
        qapp.sendEvent(window, QEvent(QEvent.Type.WindowActivate))
        click_in_window(question.allow)  # the click that brought the window to the front
        await trio.sleep(0.3)
        assert question.is_open
        assert rep.sharing.view is None
        await allow(question)
        await until(lambda: rep.sharing.view is not None, "the view, allowed on purpose")


async def test_after_a_no_the_next_question_waits_a_moment(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        click_in_window((await asked(rep, window, Activity.VIEW_DESKTOP)).deny)
        await until(lambda: window.question is None, "the question to close")
        rep.files.ask_access()  # another question from the same rep, at once
        await trio.sleep(1.0)
        assert window.question is None  # the customer has a moment to reach the bar
        await until(lambda: asking(window, "asks for file access"), "the file access question", 5)


async def test_file_access_asked_again_at_once_after_a_no_is_refused(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with open_joined(qapp, relay_process, xdisplay, tmp_path) as (rep, window):
        rep.files.ask_access()
        await until(lambda: window.question is not None, "the file access question")
        assert window.question is not None
        click_in_window(window.question.deny)
        await rep_hears(rep, "File access refused: the customer said no (Bob)")
        rep.files.ask_access()
        await rep_hears(rep, "File access refused: the customer said no a moment ago")
        await trio.sleep(PAUSE_AFTER_NO + 0.2)
        assert window.question is None  # nothing is put to the customer again
