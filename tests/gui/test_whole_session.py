"""A whole support session driven through the two windows, as a rep and a customer would.

Real relay process, real Xvfb for the customer's screen, Qt offscreen: the
rep starts from the dialog, the customer joins from its window, they chat
(one line private), the rep views the screen once the customer allows it,
the customer stops it, a file goes across, system information is refused,
and the rep's last notes are kept at End.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from peer.gui._activities import Action
from tests.gui.console import open_console_window, rgb, start_session
from tests.gui.customer import allow, click, open_customer_window
from tests.gui.helpers import until
from tests.sharing.pair import display_pixels
from tests.x11.probe import open_probe

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QApplication


pytestmark = pytest.mark.usefixtures("customer_display")


def type_line(entry: object, text: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClicks(entry, text)  # type: ignore[arg-type]
    QTest.keyClick(entry, Qt.Key.Key_Return)  # type: ignore[call-overload]


async def test_a_whole_session_through_the_console_and_the_customers_window(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    report = tmp_path / "fix.sh"
    report.write_bytes(b"#!/bin/sh\necho fixed\n" * 5000)
    async with (
        open_probe(xdisplay),
        open_console_window(qapp, relay_process, tmp_path) as (console_window, console),
    ):
        await start_session(console_window, console)
        face = console.faces[0]
        tab = face.tab
        assert tab.end_button.text() == "&End session"
        assert tab.activities.reason(Action.VIEW_DESKTOP) == "no customer has joined yet"
        async with open_customer_window(
            qapp, relay_process, tmp_path, code=tab.code_panel.code.text()
        ) as window:
            click(window.form.join_button)
            await until(lambda: window.in_session, "the customer to join")
            await until(lambda: len(tab.roster.rows()) == 2, "the rep's roster to list Bob")
            assert tab.roster.rows() == [("Alice", "rep, you"), ("★ Bob", "customer, primary")]
            assert window.who.text() == "You are connected with Alice (support)."

            # Chat both ways, one line private.
            type_line(tab.chat.entry, "Hello Bob")
            await until(lambda: "[rep] Alice: Hello Bob" in window.chat.lines(), "rep's line")
            type_line(window.chat.entry, "Hi, my printer is stuck")
            await until(
                lambda: "[customer] Bob: Hi, my printer is stuck" in tab.chat.lines(),
                "the customer's line",
            )
            tab.chat.choose(["Bob"])
            type_line(tab.chat.entry, "just between us")
            await until(
                lambda: "[rep] Alice (private): just between us" in window.chat.lines(),
                "the private line",
            )
            assert "[rep] Alice → Bob (private): just between us" in tab.chat.lines()
            tab.chat.choose([])

            # View: the customer allows, the rep's docked viewer shows the Xvfb screen.
            await until(lambda: tab.activities.reason(Action.VIEW_DESKTOP) is None, "View on")
            click(tab.activities.buttons[Action.VIEW_DESKTOP])
            await until(lambda: window.question is not None, "the customer's question")
            assert window.question is not None
            assert window.question.question.text() == "Alice wants to see your desktop"
            await allow(window.question)
            await until(lambda: tab.viewer.viewer is not None, "the rep's viewer")
            viewer = tab.viewer.viewer
            assert viewer is not None
            viewer.set_fit(False)
            expected = display_pixels(xdisplay)
            await until(
                lambda: np.array_equal(rgb(viewer.screen_widget.grab().toImage()), expected),
                "the viewer to show the customer's screen exactly",
            )
            assert tab.activities.reason(Action.VIEW_DESKTOP) == (
                "something is shared already: press Stop first"
            )
            assert window.share_bar.texts() == ["Alice views your desktop (no control)"]

            # The customer's Stop ends it on both sides.
            click(window.share_bar.stop_button("screen"))
            await until(lambda: tab.viewer.viewer is None, "the rep's viewer to close")
            await until(window.share_bar.idle.isVisible, "the customer's bar to go idle")
            await until(lambda: tab.activities.reason(Action.STOP) is not None, "Stop off")

            # A file shared from the Files menu, downloaded by the customer.
            menu = tab.activities.buttons[Action.FILES].menu()
            menu.actions()[0].trigger()
            await until(lambda: face.file_dialog is not None, "the file picker")
            assert face.file_dialog is not None
            face.file_dialog.selectFile(str(report))
            face.file_dialog.accept()
            await until(lambda: window.shared_files.names() == ["fix.sh"], "the shared list")
            click(window.shared_files.download_button)
            await until(lambda: window.transfers.numbers() != [], "the download's row")
            number = window.transfers.numbers()[0]
            await until(
                lambda: window.transfers.state(number) == "complete, verified", "the download"
            )
            assert window.transfers.progress_bar(number).value() == 100
            assert (tmp_path / "downloads" / "fix.sh").read_bytes() == report.read_bytes()

            # System information: asked, shown to the customer, denied.
            assert tab.activities.reason(Action.SYSINFO) is None
            click(tab.activities.buttons[Action.SYSINFO])
            await until(lambda: window.question is not None, "the system information question", 30)
            assert window.question is not None
            click(window.question.deny)
            await until(
                lambda: any(
                    "Bob refused to send system information." in ln for ln in tab.chat.lines()
                ),
                "the rep to learn it was refused",
            )
            assert face.reports == []

            # Notes, then End with a last edit: the customer sees the end.
            tab.open_notes()
            tab.notes.editor.setPlainText("Printer queue was stuck")
            click(tab.notes.save_button)
            assert face.desk.notes == ["Printer queue was stuck"]
            click(tab.end_button)
            await until(lambda: face.end_dialog is not None, "the end-of-session notes")
            dialog = face.end_dialog
            assert dialog is not None
            assert dialog.editor.toPlainText() == "Printer queue was stuck"
            dialog.editor.appendPlainText("Cleared it; customer happy")
            assert dialog.cancel_button.isDefault()
            click(dialog.end_button)
            await until(lambda: not window.in_session, "the customer to see the end")
            assert window.who.text() == "Session ended by Alice"
            await until(lambda: tab.over, "the rep's tab to end")
            assert face.desk.notes == ["Printer queue was stuck", "Cleared it; customer happy"]
            assert not tab.end_button.isEnabled()
