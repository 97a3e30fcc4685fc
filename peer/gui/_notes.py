"""The session's notes (I2): a panel that stays open until the rep closes it, and the last edit.

One note per line, as the history keeps them. Save replaces the session's
notes with what the editor holds; the panel stays where it is whatever
else happens in the tab, and only its Close hides it. At End (S5) the same
text opens in :class:`EndNotesDialog` for a last edit before the session
closes for everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from peer.gui._text import PlainLabel

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["EndNotesDialog", "NotesPanel", "note_lines"]


def note_lines(text: str) -> list[str]:
    """The notes an editor holds: its non-empty lines."""
    return [line.strip() for line in text.split("\n") if line.strip()]


class NotesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Called with the notes to keep (one per line).
        self.on_save: Callable[[list[str]], None] | None = None
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Notes for this session, one per line")
        self.editor.setAccessibleName("Session notes")
        self.editor.setTabChangesFocus(True)  # one note a line: Tab moves on, as in a form
        self.state = PlainLabel("Not saved yet.")
        self.state.setStyleSheet("color: #555;")
        self.save_button = QPushButton("&Save notes")
        self.save_button.setShortcut(QKeySequence("Ctrl+S"))
        self.save_button.clicked.connect(self.save)
        self.close_button = QPushButton("Close notes")
        self.close_button.clicked.connect(self.hide)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(PlainLabel("Notes"))
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons)

    def set_notes(self, notes: Sequence[str]) -> None:
        self.editor.setPlainText("\n".join(notes))

    def notes(self) -> list[str]:
        return note_lines(self.editor.toPlainText())

    def save(self) -> None:
        if self.on_save is not None:
            self.on_save(self.notes())

    def saved(self, count: int) -> None:
        self.state.setText(f"Saved ({count} note{'' if count == 1 else 's'}).")


class EndNotesDialog(QDialog):
    """Ending: the notes once more, then End session (or Cancel, and the session goes on)."""

    def __init__(
        self, notes: Sequence[str], on_end: Callable[[list[str]], None], parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("End the session")
        self.setModal(True)
        self._on_end = on_end
        self.editor = QPlainTextEdit("\n".join(notes))
        self.editor.setTabChangesFocus(True)
        self.editor.setMinimumSize(480, 220)
        self.end_button = QPushButton("&End session for everyone")
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setDefault(True)
        self.end_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.end_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(PlainLabel("Last look at the notes; they are saved with the session."))
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons)
        self.accepted.connect(lambda: self._on_end(note_lines(self.editor.toPlainText())))
