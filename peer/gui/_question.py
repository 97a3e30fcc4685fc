"""The customer's question: a rep wants something; Allow or Deny, Deny the default.

Every consent a customer gives goes through one of these: screen viewing
and control, a window to share (picked from a list), file access, each
file request, system information (with exactly what would be sent shown
read-only). Enter and Escape both answer no, so a stray key never allows
anything; only a click on Allow (or Alt+A) does.

The question is a panel inside the customer's window, not a modal dialog:
a modal dialog blocks the whole window, and a rep that asks again the
moment it hears no would keep the share bar's Stop and the Leave button
out of reach for as long as it likes (Qt even ignores the window
manager's close on a window a modal dialog blocks). The answer arrives
through *on_answer*.

Allow is held: it cannot be clicked for :data:`ALLOW_DELAY` seconds after
the question is shown and again after the window comes back to the front;
a click whose press falls in that time does nothing. Otherwise a click
aimed at what was there a moment before (the second click of a
double-click on the last question's Allow, a click into a window that was
behind) answers a question the customer never read.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
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

    from PySide6.QtGui import QKeyEvent, QShowEvent

__all__ = ["ALLOW_DELAY", "QuestionPanel"]

STOP_HINT = "Nothing happens unless you allow it, and you can stop it at any time."
#: For what is sent once (system information): there is nothing to stop afterwards.
SEND_ONCE_HINT = "Nothing is sent unless you allow it; if you do, it is sent once, as shown."
#: Seconds Allow stays unclickable after the question appears or the window is raised
#: (Firefox holds its install and download buttons the same way, for 1 s).
ALLOW_DELAY = 0.7
_STYLE = "QFrame#question { background: #e6efff; border: 2px solid #3a6fd8; }"
_DENY_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)


class QuestionPanel(QFrame):
    #: Emitted once the question is closed: True (allowed), False (denied), None (withdrawn).
    closed = Signal(object)

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
        self.setObjectName("question")
        self.setStyleSheet(_STYLE)
        self.setAccessibleName("A question for you")
        self._on_answer = on_answer
        self._answered = False
        self.question = PlainLabel(shown(question))
        self.question.setStyleSheet("font-size: 13pt; font-weight: bold;")
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        self.hint = PlainLabel(SEND_ONCE_HINT if details else STOP_HINT)
        layout.addWidget(self.hint)
        self.details: QPlainTextEdit | None = None
        if details:
            layout.addWidget(PlainLabel("This is exactly what would be sent:"))
            self.details = QPlainTextEdit("\n".join(shown(line) for line in details))
            self.details.setReadOnly(True)
            self.details.setMinimumHeight(160)
            layout.addWidget(self.details, 1)
        self.choices: QListWidget | None = None
        if choices:
            layout.addWidget(PlainLabel("Pick the one window to share:"))
            self.choices = QListWidget()
            self.choices.addItems([shown(c, 200) for c in choices])
            self.choices.setCurrentRow(0)
            self.choices.setMinimumHeight(80)
            layout.addWidget(self.choices, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.allow = QPushButton("&Allow")
        self.deny = QPushButton("&Deny")
        self.deny.setDefault(True)  # Enter on the focused Deny denies
        self.allow.clicked.connect(lambda: self._finish(True))
        self.deny.clicked.connect(lambda: self._finish(False))
        buttons.addWidget(self.allow)
        buttons.addWidget(self.deny)
        layout.addLayout(buttons)
        self._ready_at = math.inf
        self._release = QTimer(self)
        self._release.setSingleShot(True)
        self._release.timeout.connect(self._ready)
        self.hold()

    @property
    def is_open(self) -> bool:
        return not self._answered

    def hold(self) -> None:
        """Allow is unclickable for :data:`ALLOW_DELAY` s from now."""
        # Disabled, Allow takes neither press nor release: a click whose press falls in
        # the held time does nothing even if its release comes after.
        self._ready_at = time.monotonic() + ALLOW_DELAY
        self.allow.setEnabled(False)
        self._release.start(math.ceil(ALLOW_DELAY * 1000))

    def _ready(self) -> None:
        left = self._ready_at - time.monotonic()
        if left > 0:  # a timer may fire a little early
            self._release.start(math.ceil(left * 1000))
            return
        self.allow.setEnabled(not self._answered)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.hold()
        self.deny.setFocus(Qt.FocusReason.OtherFocusReason)

    def event(self, event: QEvent) -> bool:
        # The window hands its activation to every child: coming back to the front
        # (a click into a window that was behind) holds Allow again.
        if event.type() == QEvent.Type.WindowActivate:
            self.hold()
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _DENY_KEYS:
            self._finish(False)
            return
        super().keyPressEvent(event)

    def withdraw(self) -> None:
        """The question no longer stands (withdrawn, timed out): close without answering."""
        if self._answered:
            return
        self._answered = True
        self._close(None)

    def _finish(self, yes: bool) -> None:
        if self._answered:
            return
        self._answered = True
        choice = None
        if yes and self.choices is not None:
            row = self.choices.currentRow()
            if row < 0:
                yes = False
            else:
                choice = row
        self._close(yes)
        self._on_answer(yes, choice)

    def _close(self, how: bool | None) -> None:
        self.allow.setEnabled(False)
        self.deny.setEnabled(False)
        self.hide()
        self.closed.emit(how)
