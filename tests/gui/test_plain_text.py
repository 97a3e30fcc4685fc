"""Every string another person controls is shown as the characters it is, never as markup.

Names, chat, file names, window titles, system information: each widget is
given text holding HTML (``<b>``, ``<img src=...>``) and a right-to-left
override, and must show the tags literally and the override as a visible
escape, the way the CLI shows system information.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import SharedItem
from peer._file_events import TransferView

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QLabel

HOSTILE = '<b>Bold</b> <img src="file:///etc/hostname"> \u202eexe.txt'
SHOWN = '<b>Bold</b> <img src="file:///etc/hostname"> \\u202eexe.txt'


def literal(label: QLabel) -> str:
    """The label's text, after checking Qt will not read it as rich text."""
    from PySide6.QtCore import Qt

    assert label.textFormat() == Qt.TextFormat.PlainText
    return label.text()


def test_chat_lines_and_names_show_markup_as_characters(qapp: QApplication) -> None:
    from peer.gui._chat import ChatPanel

    chat = ChatPanel()
    chat.set_people([HOSTILE])
    chat.add_line("customer", HOSTILE, HOSTILE, private=True)
    assert chat.lines() == [f"[customer] {SHOWN} (private): {SHOWN}"]
    html = chat.transcript.document().toHtml()
    assert "<img" not in html
    assert "&lt;img" in html
    names = [a.text() for a in chat.send_to.menu().actions()]
    assert SHOWN in names


def test_the_share_bar_and_who_line_show_names_as_characters(qapp: QApplication) -> None:
    from peer.gui._customer_window import CustomerWindow

    window = CustomerWindow()
    window.share_bar.set_items([("screen", f"{HOSTILE} controls your desktop", "Stop")])
    assert window.share_bar.texts() == [f"{SHOWN} controls your desktop"]
    label = window.share_bar._rows["screen"][0]
    assert literal(label) == f"{SHOWN} controls your desktop"
    window.set_reps([HOSTILE])
    assert literal(window.who) == f"You are connected with {SHOWN} (support)."
    window.joined("4821-9376", HOSTILE)
    assert window.windowTitle() == f"Helpline — session 4821-9376 — {SHOWN}"


def test_shared_file_names_and_transfers_show_markup_as_characters(qapp: QApplication) -> None:
    from peer.gui._shared_files import SharedFilesPanel
    from peer.gui._transfers import TransfersPanel

    files = SharedFilesPanel()
    files.set_items(HOSTILE, [SharedItem(1, HOSTILE, 10, 1)])
    assert files.names() == [SHOWN]
    assert literal(files.heading).startswith(SHOWN)
    transfers = TransfersPanel()
    transfers.update_view(
        TransferView(1, HOSTILE, HOSTILE, False, 10, 10, "refused", 0.0, None, reason=HOSTILE)
    )
    row = [transfers.table.item(0, c) for c in (0, 1, 5)]
    assert [i.text() if i else "" for i in row] == [
        f"{SHOWN} (10 bytes)",
        f"from {SHOWN}",
        f"refused: {SHOWN}",
    ]


def test_a_question_shows_its_window_titles_and_report_as_characters(qapp: QApplication) -> None:
    from peer.gui._question import QuestionPanel

    dialog = QuestionPanel(
        f"{HOSTILE} wants to see one of your windows",
        lambda _yes, _choice: None,
        details=[HOSTILE],
        choices=[HOSTILE],
    )
    assert literal(dialog.question) == f"{SHOWN} wants to see one of your windows"
    assert dialog.details is not None
    assert dialog.details.toPlainText() == SHOWN
    assert dialog.choices is not None
    item = dialog.choices.item(0)
    assert item is not None
    assert item.text() == SHOWN


def test_the_roster_shows_names_as_characters(qapp: QApplication) -> None:
    from codec import Role
    from peer.gui._roster import Person, RosterChoice, RosterPanel

    roster = RosterPanel()
    roster.offers = {RosterChoice.PRIMARY}
    roster.set_people([Person("Alice", Role.REP, me=True), Person(HOSTILE, Role.CUSTOMER)])
    assert roster.rows() == [("Alice", "rep, you"), (SHOWN, "customer")]
    labels = [a.text() for a in roster.menu_for(HOSTILE).actions()]
    assert labels == [f"Make {SHOWN} the primary customer"]


def test_system_information_and_the_viewer_banner_show_markup_as_characters(
    qapp: QApplication,
) -> None:
    from peer.gui._sysinfo_view import SysinfoView
    from peer.gui._viewer_dock import ViewerDock

    view = SysinfoView(HOSTILE, ["System:", f"  Host name: {HOSTILE}"])
    assert view.windowTitle() == f"System information — {SHOWN}"
    assert view.text.toPlainText() == f"System:\n  Host name: {SHOWN}"
    dock = ViewerDock()
    viewer = dock.open_view(f"{HOSTILE}'s desktop — control on", control=True, post=print)
    assert literal(viewer.banner) == f"{SHOWN}'s desktop — control on"
    assert literal(dock.hint).startswith(f"Click the screen to type on {SHOWN}'s computer")
