"""One session's tab in the rep's console: connection, code, activities, viewer, people, chat,
files, notes.

Layout only; :mod:`peer.gui._rep` fills it and wires its callbacks. The
viewer takes the room the screen needs on the left, with the transfers
under it; the roster, the chat and the notes share the right-hand column.
The bottom row carries End (the controlling rep) or Leave (an assistant).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from peer.gui._activity_bar import ActivityBar
from peer.gui._chat import ChatPanel
from peer.gui._code_panel import CodePanel
from peer.gui._connection_bar import ConnectionBar
from peer.gui._notes import NotesPanel
from peer.gui._roster import RosterPanel
from peer.gui._text import PlainLabel, shown
from peer.gui._transfers import TransfersPanel
from peer.gui._viewer_dock import ViewerDock

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["SessionTab"]


class SessionTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Called when End (controlling rep) or Leave (assistant) is pressed.
        self.on_end: Callable[[], None] | None = None
        self.over = False
        self.connection = ConnectionBar()
        self.code_panel = CodePanel()
        self.activities = ActivityBar()
        self.viewer = ViewerDock()
        self.transfers = TransfersPanel()
        self.roster = RosterPanel()
        self.chat = ChatPanel()
        self.notes = NotesPanel()
        self.status = PlainLabel()
        self.status.setStyleSheet("color: #444;")
        self.notes_button = QPushButton("&Notes")
        self.notes_button.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.notes_button.setToolTip("Open the notes panel (Ctrl+Shift+N); it stays until closed")
        self.notes_button.clicked.connect(self.open_notes)
        self.end_button = QPushButton("&End session")
        self.end_button.setShortcut(QKeySequence("Ctrl+Shift+Q"))
        self.end_button.setStyleSheet("QPushButton { color: #b3261e; font-weight: bold; }")
        self.end_button.clicked.connect(lambda: self.on_end() if self.on_end else None)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.viewer)
        left.addWidget(self.transfers)
        left.setStretchFactor(0, 4)
        left.setStretchFactor(1, 1)
        left.setSizes([600, 140])  # the screen first; transfers are a few rows
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.roster)
        right.addWidget(self.chat)
        right.addWidget(self.notes)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 3)
        right.setStretchFactor(2, 2)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(right)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.notes_button)
        bottom.addWidget(self.end_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.connection)
        layout.addWidget(self.code_panel)
        layout.addWidget(self.activities)
        layout.addWidget(body, 1)
        layout.addLayout(bottom)
        # Tab walks the panels as they are laid out: the code, the activities, the viewer and
        # its transfers, then the right-hand column top to bottom, and End last.
        chain = [
            self.code_panel.copy_code,
            self.code_panel.copy_link,
            self.code_panel.invite,
            self.code_panel.assistant,
            *self.activities.buttons.values(),
            self.viewer.detach_button,
            self.transfers.table,
            self.roster.tree,
            self.chat.transcript,
            self.chat.send_to,
            self.chat.entry,
            self.chat.send_button,
            self.notes.editor,
            self.notes.save_button,
            self.notes.close_button,
            self.notes_button,
            self.end_button,
        ]
        for before, after in itertools.pairwise(chain):
            self.setTabOrder(before, after)

    def set_controlling(self, controlling: bool) -> None:
        """End for the controlling rep; an assistant may only leave (S5)."""
        self.end_button.setText("&End session" if controlling else "&Leave session")
        self.end_button.setShortcut(QKeySequence("Ctrl+Shift+Q"))
        tip = "End the session for everyone" if controlling else "Leave; the session goes on"
        self.end_button.setToolTip(f"{tip} (Ctrl+Shift+Q)")
        self.code_panel.setVisible(controlling)

    def open_notes(self) -> None:
        self.notes.show()
        self.notes.editor.setFocus()

    def say(self, text: str) -> None:
        self.status.setText(shown(text))

    def ended(self, text: str) -> None:
        self.over = True
        self.say(text)
        self.chat.add_notice(text)
        self.chat.entry.setEnabled(False)
        self.chat.send_button.setEnabled(False)
        self.end_button.setEnabled(False)
        self.code_panel.setEnabled(False)
        self.viewer.close_view()
