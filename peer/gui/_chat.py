"""The chat panel: a transcript that marks private lines, a line to type, a Send to choice.

The transcript is a read-only QPlainTextEdit, which has no rich-text mode:
what people wrote is inserted as characters (with a format for the marks),
never parsed. The Send to button's menu offers Everyone or any set of the
others (SPEC C1); with nobody chosen a line goes to everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from peer.gui._text import shown

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["ChatPanel"]

EVERYONE = "Everyone"


class ChatPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Called with the text and the chosen recipients (empty: everyone).
        self.on_send: Callable[[str, list[str]], None] | None = None
        self._people: list[str] = []
        self._chosen: list[str] = []
        self.transcript = QPlainTextEdit()
        self.transcript.setReadOnly(True)
        self.transcript.setAccessibleName("Chat transcript")
        self.transcript.setMaximumBlockCount(5000)
        self.entry = QLineEdit()
        self.entry.setPlaceholderText("Type a message and press Enter")
        self.entry.setAccessibleName("Chat message")
        self.entry.returnPressed.connect(self.send)
        self.send_to = QToolButton()
        self.send_to.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.send_to.setToolTip("Send to everyone, or only to the people you tick (Alt+T)")
        self.send_to.setShortcut(QKeySequence("Alt+T"))
        self.send_to.setMenu(QMenu(self.send_to))
        self.send_button = QPushButton("&Send")
        self.send_button.clicked.connect(self.send)
        row = QHBoxLayout()
        row.addWidget(self.send_to)
        row.addWidget(self.entry, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.transcript, 1)
        layout.addLayout(row)
        self.setTabOrder(self.entry, self.send_button)
        self._refresh_menu()

    # Who may be written to -------------------------------------------------------------

    def set_people(self, names: Sequence[str]) -> None:
        """The others in the session; a chosen recipient who left is dropped."""
        self._people = list(names)
        self._chosen = [n for n in self._chosen if n in self._people]
        self._refresh_menu()

    @property
    def recipients(self) -> list[str]:
        return list(self._chosen)

    def choose(self, names: Sequence[str]) -> None:
        """Send the next lines only to *names* (empty: to everyone)."""
        self._chosen = [n for n in names if n in self._people]
        self._refresh_menu()

    def _refresh_menu(self) -> None:
        menu = self.send_to.menu()
        menu.clear()
        everyone = QAction(EVERYONE, menu, checkable=True, checked=not self._chosen)
        everyone.triggered.connect(lambda: self.choose([]))
        menu.addAction(everyone)
        menu.addSeparator()
        for name in self._people:
            action = QAction(shown(name, 80), menu, checkable=True, checked=name in self._chosen)
            action.toggled.connect(lambda on, n=name: self._toggle(n, on))
            menu.addAction(action)
        label = ", ".join(shown(n, 40) for n in self._chosen) if self._chosen else EVERYONE
        self.send_to.setText(f"To: {label}")

    def _toggle(self, name: str, on: bool) -> None:
        chosen = [n for n in self._chosen if n != name] + ([name] if on else [])
        self.choose(chosen)

    # Lines -------------------------------------------------------------------------------

    def send(self) -> None:
        text = self.entry.text()
        if not text.strip() or self.on_send is None:
            return
        self.on_send(text, self.recipients)
        self.entry.clear()

    def add_line(
        self, mark: str, sender: str, text: str, *, private: bool, to: Sequence[str] = ()
    ) -> None:
        """One chat line: ``[mark] sender: text``, private lines flagged and coloured."""
        head = f"[{mark}] {shown(sender, 80)}"
        if to:
            head += " → " + ", ".join(shown(n, 80) for n in to)
        if private:
            head += " (private)"
        self._append(head + ": ", bold=True, private=private)
        self._append(shown(text, multiline=True), private=private, newline=False)

    def add_notice(self, text: str) -> None:
        """A line from the program itself (joins, sharing changes), in grey."""
        self._append(shown(text, multiline=True), grey=True)

    def lines(self) -> list[str]:
        return self.transcript.toPlainText().split("\n")

    def _append(
        self, text: str, *, bold: bool = False, private: bool = False, grey: bool = False,
        newline: bool = True,
    ) -> None:  # fmt: skip
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if newline and not self.transcript.document().isEmpty():
            cursor.insertBlock()
        fmt = QTextCharFormat()
        if bold:
            fmt.setFontWeight(QFont.Weight.Bold)
        if private:
            fmt.setForeground(QColor("#7a3e9d"))
            fmt.setFontItalic(True)
        if grey:
            fmt.setForeground(QColor("#666666"))
        cursor.insertText(text, fmt)  # characters, never markup
        self.transcript.setTextCursor(cursor)
        self.transcript.ensureCursorVisible()
