"""The code to read out, large, with Copy code, Copy link and Invite (S4).

A code admits one person, so the panel changes whenever the session issues
the next one and says why (used, retired after failed attempts, reopened,
for an assistant). The copy buttons put text on the system clipboard;
Invite opens the invitations (by e-mail, by link, the ones still open),
which the controller runs (:mod:`peer.gui._invitations`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QWidget,
)

from peer.gui._text import PlainLabel

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CodePanel"]


class CodePanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Called to show the invitations: send one, copy one's link, list and withdraw them.
        self.on_invitations: Callable[[], None] | None = None
        #: Called to issue a code that admits an assistant.
        self.on_assistant_code: Callable[[], None] | None = None
        self.code = PlainLabel()
        self.code.setStyleSheet("font-size: 28pt; font-weight: bold; letter-spacing: 3px;")
        self.code.setAccessibleName("Session code")
        self.link = ""
        self.note = PlainLabel("Read this code to the customer; it admits one person.")
        self.note.setStyleSheet("color: #444;")
        self.copy_code = QPushButton("Copy &code")
        self.copy_code.setShortcut(QKeySequence("Ctrl+Shift+K"))
        self.copy_code.clicked.connect(lambda: self._copy(self.code.text()))
        self.copy_link = QPushButton("Copy &link")
        self.copy_link.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.copy_link.setToolTip("A helpline: link to paste into a chat or an e-mail")
        self.copy_link.clicked.connect(lambda: self._copy(self.link))
        self.invite = QPushButton("&Invite…")
        self.invite.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.invite.setToolTip(
            "Invite by e-mail or by a link, each with a code of its own; "
            "see and withdraw the invitations still open (Ctrl+Shift+E)"
        )
        self.invite.clicked.connect(lambda: self.on_invitations() if self.on_invitations else None)
        self.assistant = QPushButton("Code for an a&ssistant")
        self.assistant.setToolTip("A code another rep joins with, to assist in this session")
        self.assistant.clicked.connect(
            lambda: self.on_assistant_code() if self.on_assistant_code else None
        )
        buttons = QHBoxLayout()
        for button in (self.copy_code, self.copy_link, self.invite, self.assistant):
            buttons.addWidget(button)
        buttons.addStretch(1)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.code, 0, 0)
        grid.addWidget(self.note, 0, 1, Qt.AlignmentFlag.AlignVCenter)
        grid.addLayout(buttons, 1, 0, 1, 2)
        grid.setColumnStretch(1, 1)

    def set_code(self, code: str, link: str, note: str | None = None) -> None:
        self.code.setText(code)
        self.link = link
        if note is not None:
            self.note.setText(note)

    def _copy(self, text: str) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(text)
        self.note.setText("Copied.")
