"""The customer's window: the join form, then the session (who, what is shared, chat, files).

Widgets only: the controller (:mod:`peer.gui._customer`) fills them and
sets their callbacks. Questions from reps come one at a time as a panel
under the share bar (:meth:`ask`); one asked while another is open waits
its turn. Nothing about a question blocks the rest of the window: the share
bar's Stop and Leave stay clickable whatever is being asked (SPEC R2).
After the customer says no, the next question waits :data:`PAUSE_AFTER_NO`
seconds, so a rep that asks again the moment it hears no does not keep a
question in the customer's face.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from peer.gui._chat import ChatPanel
from peer.gui._connection_bar import ConnectionBar
from peer.gui._join_form import JoinForm
from peer.gui._question import QuestionPanel
from peer.gui._share_bar import ShareBar
from peer.gui._shared_files import SharedFilesPanel
from peer.gui._text import PlainLabel, shown
from peer.gui._transfers import TransfersPanel

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["PAUSE_AFTER_NO", "CustomerWindow"]

#: Seconds after the customer says no before the next question is shown. Only the
#: controlling rep asks anything, so this is the same rep's next question.
PAUSE_AFTER_NO = 2.0


@dataclass(frozen=True, slots=True)
class _Asked:
    kind: str
    question: str
    on_answer: Callable[[bool, int | None], None]
    details: tuple[str, ...]
    choices: tuple[str, ...]


class CustomerWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Helpline — remote support")
        #: Called when the customer presses Leave (or closes the window in a session).
        self.on_leave: Callable[[], None] | None = None
        #: Called once the window is closed for good.
        self.on_closed: Callable[[], None] | None = None
        self.in_session = False
        self.form = JoinForm()
        self.who = PlainLabel()
        self.who.setStyleSheet("font-size: 13pt; font-weight: bold; padding: 4px;")
        self.share_bar = ShareBar()
        self.connection = ConnectionBar()
        self.chat = ChatPanel()
        self.shared_files = SharedFilesPanel()
        self.transfers = TransfersPanel(compact=True)
        self.files_tabs = QTabWidget()
        self.files_tabs.addTab(self.shared_files, "&Files for you")
        self.files_tabs.addTab(self.transfers, "T&ransfers")
        self.leave_button = QPushButton("&Leave session")
        self.leave_button.setToolTip("Leave the session (Ctrl+Q); the rep can no longer reach you")
        self.leave_button.clicked.connect(self._leave)
        QShortcut(QKeySequence("Ctrl+Q"), self, self._leave)
        QShortcut(QKeySequence("Ctrl+L"), self, lambda: self.chat.entry.setFocus())

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.chat)
        splitter.addWidget(self.files_tabs)
        # Half each: the transfers' File, Progress and State columns need the room.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.leave_button)
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(self.who)
        column.addWidget(self.connection)
        column.addWidget(self.share_bar)
        #: Where the question open now is shown: under the bar, never over it.
        self.question_area = QWidget()
        self._question_layout = QVBoxLayout(self.question_area)
        self._question_layout.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.question_area)
        column.addWidget(splitter, 1)
        self._column = column
        column.addLayout(bottom)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.form)
        self.pages.addWidget(page)
        self.setCentralWidget(self.pages)
        # Tab walks the page as it is laid out: the chat, then the files, Leave last.
        chain = [
            self.chat.transcript,
            self.chat.send_to,
            self.chat.entry,
            self.chat.send_button,
            self.files_tabs,
            self.shared_files.tree,
            self.shared_files.download_button,
            self.transfers.table,
            self.leave_button,
        ]
        for before, after in itertools.pairwise(chain):
            self.setTabOrder(before, after)
        self._question: QuestionPanel | None = None
        self._question_kind = ""
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.timeout.connect(self._next_question)
        self._reps: tuple[str, ...] = ()
        self._reconnecting = False
        self._waiting: deque[_Asked] = deque()
        self.resize(820, 560)

    # Pages -------------------------------------------------------------------------------

    def joined(self, session_number: str, me: str) -> None:
        self.in_session = True
        self.setWindowTitle(f"Helpline — session {session_number} — {shown(me, 80)}")
        self.pages.setCurrentIndex(1)
        self.chat.entry.setFocus()

    def set_reps(self, reps: Sequence[str]) -> None:
        """Who helps: the line at the top names the rep(s) in the session."""
        self._reps = tuple(reps)
        if not reps:
            self.who.setText("Waiting for a support person…")
            return
        names = ", ".join(shown(r, 80) for r in reps)
        if self._reconnecting:
            # The top line is what a customer on the phone reads out: it must not say
            # "connected" while the connection bar below says it is down.
            self.who.setText(f"Reconnecting to {names} (support)…")
        else:
            self.who.setText(f"You are connected with {names} (support).")

    def set_reconnecting(self, down: bool) -> None:
        """Our own connection to the relay dropped (True) or came back (False)."""
        self._reconnecting = down
        if self.in_session:
            self.set_reps(self._reps)

    def ended(self, text: str) -> None:
        """The session is over: say how, and leave nothing that could act."""
        self.in_session = False
        self.withdraw_question()
        self.who.setText(shown(text))
        self.chat.add_notice(text)
        self.chat.entry.setEnabled(False)
        self.chat.send_button.setEnabled(False)
        self.shared_files.download_button.setEnabled(False)
        self.leave_button.setText("&Close")
        self.share_bar.set_items([])

    def show_error(self, text: str) -> None:
        self.statusBar().showMessage(shown(text), 15000)

    # Questions ---------------------------------------------------------------------------

    def ask(
        self,
        kind: str,
        question: str,
        on_answer: Callable[[bool, int | None], None],
        *,
        details: Sequence[str] = (),
        choices: Sequence[str] = (),
    ) -> None:
        """Put *question* to the customer (after any that is open or paused for).

        *kind* names what it is about ("screen", "sysinfo", "file 3"), so the
        controller can withdraw it when the rep does or it times out.
        """
        self._waiting.append(_Asked(kind, question, on_answer, tuple(details), tuple(choices)))
        if self._question is None and not self._pause.isActive():
            self._next_question()

    @property
    def question(self) -> QuestionPanel | None:
        """The question open now, if any."""
        return self._question

    def withdraw_question(self, kind: str | None = None) -> None:
        """Questions about *kind* (None: all) no longer stand: they close unanswered."""
        self._waiting = deque(w for w in self._waiting if kind is not None and w.kind != kind)
        if self._question is not None and kind in (None, self._question_kind):
            self._question.withdraw()

    def _next_question(self) -> None:
        self._question = None
        if not self._waiting:
            return
        asked = self._waiting.popleft()
        panel = QuestionPanel(
            asked.question,
            asked.on_answer,
            details=asked.details,
            choices=asked.choices,
        )
        panel.closed.connect(lambda how: self._question_closed(panel, how))
        self._question, self._question_kind = panel, asked.kind
        self._question_layout.addWidget(panel)
        # What would be sent (system information) needs the room more than the chat.
        self._column.setStretchFactor(self.question_area, 2 if asked.details else 0)
        panel.show()
        # A dialog would have come to the front by itself; the window must now.
        self.raise_()
        self.activateWindow()
        QApplication.alert(self)

    def _question_closed(self, panel: QuestionPanel, how: bool | None) -> None:
        self._question_layout.removeWidget(panel)
        panel.deleteLater()
        if self._question is not panel:
            return
        self._question = None
        self._column.setStretchFactor(self.question_area, 0)
        if how is False:
            self._pause.start(round(PAUSE_AFTER_NO * 1000))
        else:
            self._next_question()

    # Closing -----------------------------------------------------------------------------

    def _leave(self) -> None:
        if self.in_session and self.on_leave is not None:
            self.on_leave()
        else:
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.in_session and self.on_leave is not None:
            self.on_leave()  # a customer may leave at any time; closing is leaving
        self.withdraw_question()
        event.accept()
        if self.on_closed is not None:
            self.on_closed()
