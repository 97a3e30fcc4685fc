"""Tab walks each window in the order it is laid out, and comes back round to the start.

The start dialog top to bottom; the console's tab from the code to End; the
customer's join form, then its session page (chat, files, Leave). A text
box that ate Tab (the notes did) would stop the walk there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import DEFAULT_POLICY

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget


def tab_walk(app: QApplication, window: QWidget, start: QWidget) -> list[QWidget]:
    """The widgets Tab gives the focus to, from *start* until it comes back to it."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window.show()
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window, 2000)
    start.setFocus()
    app.processEvents()
    walked: list[QWidget] = []
    for _ in range(60):
        focused = app.focusWidget()
        assert focused is not None
        walked.append(focused)
        QTest.keyClick(focused, Qt.Key.Key_Tab)
        app.processEvents()
        if app.focusWidget() is start:
            return walked
    raise AssertionError(f"Tab never came back: {[type(w).__name__ for w in walked[-8:]]}")


def test_tab_walks_the_start_dialog_top_to_bottom(qapp: QApplication) -> None:
    from peer.gui._start_dialog import StartDialog

    dialog = StartDialog(DEFAULT_POLICY, lambda _: None, name="Alice")
    walked = tab_walk(qapp, dialog, dialog.session_type)
    assert walked == [
        dialog.session_type,
        dialog.tracking,
        dialog.name,
        dialog.relay,
        dialog.assist,
        dialog.start_button,
        dialog.cancel_button,
    ]


def test_tab_walks_the_consoles_panels_from_the_code_to_end(qapp: QApplication) -> None:
    from peer.gui._console_window import ConsoleWindow

    window = ConsoleWindow(1)
    tab = window.add_session("1234 · general")
    tab.set_controlling(True)
    code, bar, chat, notes = tab.code_panel, tab.activities, tab.chat, tab.notes
    walked = tab_walk(qapp, window, code.copy_code)
    assert walked[: walked.index(tab.end_button) + 1] == [
        code.copy_code,
        code.copy_link,
        code.invite,
        code.assistant,
        *bar.buttons.values(),
        tab.transfers.table,
        tab.roster.tree,
        chat.transcript,
        chat.send_to,
        chat.entry,
        chat.send_button,
        notes.editor,
        notes.save_button,
        notes.close_button,
        tab.notes_button,
        tab.end_button,
    ]
    assert walked[-1] is window.tabs.tabBar()  # then round to the tabs and the code again


def test_tab_walks_the_customers_join_form_then_its_session_page(qapp: QApplication) -> None:
    from peer.gui import CustomerWindow

    window = CustomerWindow()
    form = window.form
    assert tab_walk(qapp, window, form.code) == [
        form.code,
        form.name,
        form.relay,
        form.join_button,
    ]
    window.joined("1234", "Bob")
    chat = window.chat
    assert tab_walk(qapp, window, chat.transcript) == [
        chat.transcript,
        chat.send_to,
        chat.entry,
        chat.send_button,
        window.files_tabs.tabBar(),
        window.shared_files.tree,
        window.leave_button,
    ]
