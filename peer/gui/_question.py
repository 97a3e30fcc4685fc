"""The customer's modal question: a rep wants something; Allow or Deny, Deny the default.

Every consent a customer gives goes through one of these: screen viewing
and control, a window to share (picked from a list), file access, each
file request, system information (with exactly what would be sent shown
read-only). Enter and Escape both answer no, so a stray key never allows
anything; only a click on Allow (or Alt+A) does. The dialog is opened with
``open()``, not ``exec()``: a nested Qt loop would re-enter trio's guest
run, so the answer arrives through *on_answer* instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from peer.gui._text import PlainLabel, shown

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["QuestionDialog"]

STOP_HINT = "Nothing happens unless you allow it, and you can stop it at any time."
#: For what is sent once (system information): there is nothing to stop afterwards.
SEND_ONCE_HINT = "Nothing is sent unless you allow it; if you do, it is sent once, as shown."


class QuestionDialog(QDialog):
    def __init__(
        self,
        question: str,
        on_answer: Callable[[bool, int | None], None],
        *,
        details: Sequence[str] = (),
        choices: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        """*on_answer(yes, choice)*: *choice* is the picked row of *choices* (from 0)."""
        super().__init__(parent)
        self.setWindowTitle("Helpline — allow this?")
        self.setModal(True)
        self._on_answer = on_answer
        self._answered = False
        self.question = PlainLabel(shown(question))
        self.question.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        self.hint = PlainLabel(SEND_ONCE_HINT if details else STOP_HINT)
        layout.addWidget(self.hint)
        self.details: QPlainTextEdit | None = None
        if details:
            layout.addWidget(PlainLabel("This is exactly what would be sent:"))
            self.details = QPlainTextEdit("\n".join(shown(line) for line in details))
            self.details.setReadOnly(True)
            self.details.setMinimumSize(520, 260)
            layout.addWidget(self.details, 1)
        self.choices: QListWidget | None = None
        if choices:
            layout.addWidget(PlainLabel("Pick the one window to share:"))
            self.choices = QListWidget()
            self.choices.addItems([shown(c, 200) for c in choices])
            self.choices.setCurrentRow(0)
            layout.addWidget(self.choices, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.allow = QPushButton("&Allow")
        self.deny = QPushButton("&Deny")
        for button in (self.allow, self.deny):
            button.setAutoDefault(False)
        self.deny.setDefault(True)  # Enter denies
        self.allow.clicked.connect(self.accept)
        self.deny.clicked.connect(self.reject)
        buttons.addWidget(self.allow)
        buttons.addWidget(self.deny)
        layout.addLayout(buttons)
        self.finished.connect(self._finish)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.deny.setFocus(Qt.FocusReason.OtherFocusReason)

    def withdraw(self) -> None:
        """The question no longer stands (withdrawn, timed out): close without answering."""
        self._answered = True
        self.reject()

    def _finish(self, result: int) -> None:
        if self._answered:
            return
        self._answered = True
        yes = result == QDialog.DialogCode.Accepted
        choice = None
        if yes and self.choices is not None:
            row = self.choices.currentRow()
            if row < 0:
                yes = False
            else:
                choice = row
        self._on_answer(yes, choice)
