"""The rep's console window: one tab per session (M3), New session, and a careful close.

Tabs are added by the controller as sessions start; the number of
sessions the site allows at once (``max_sessions``) caps New session,
whose tooltip then says so. Closing the window while a session runs asks
first, since closing ends them for everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget, QToolBar

from peer.gui._session_tab import SessionTab
from peer.gui._text import PlainLabel

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ConsoleWindow"]


class ConsoleWindow(QMainWindow):
    def __init__(self, max_sessions: int) -> None:
        super().__init__()
        self.setWindowTitle("Helpline console")
        self.max_sessions = max_sessions
        #: Called when the rep asks for a new session.
        self.on_new_session: Callable[[], None] | None = None
        #: Called when the rep confirmed closing with sessions open: end them, then quit.
        self.on_end_all: Callable[[], None] | None = None
        #: Called once the window is closed for good.
        self.on_closed: Callable[[], None] | None = None
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.welcome = PlainLabel("Start a session with New session (Ctrl+N).")
        self.welcome.setStyleSheet("font-size: 13pt; padding: 24px;")
        self.tabs.addTab(self.welcome, "Welcome")
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.setCentralWidget(self.tabs)
        tools = QToolBar("Sessions")
        tools.setMovable(False)
        self.new_action = QAction("&New session", self)
        self.new_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_action.triggered.connect(
            lambda: self.on_new_session() if self.on_new_session else None
        )
        tools.addAction(self.new_action)
        self.addToolBar(tools)
        self.confirm: QMessageBox | None = None
        self._closing = False
        self.resize(1280, 820)
        self.refresh()

    # Tabs --------------------------------------------------------------------------------

    def add_session(self, title: str) -> SessionTab:
        if self.tabs.indexOf(self.welcome) >= 0:
            self.tabs.removeTab(self.tabs.indexOf(self.welcome))
        tab = SessionTab()
        self.tabs.setCurrentIndex(self.tabs.addTab(tab, title))
        self.refresh()
        return tab

    def sessions(self) -> list[SessionTab]:
        tabs = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [t for t in tabs if isinstance(t, SessionTab)]

    def running(self) -> list[SessionTab]:
        return [t for t in self.sessions() if not t.over]

    def refresh(self) -> None:
        """New session only while the site's cap on sessions at once is not reached."""
        full = len(self.running()) >= self.max_sessions
        self.new_action.setEnabled(not full)
        tip = (
            f"Not now: this site allows {self.max_sessions} session(s) at once."
            if full
            else "Start another support session (Ctrl+N)"
        )
        self.new_action.setToolTip(tip)
        self.new_action.setStatusTip(tip)

    def _close_tab(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if isinstance(tab, SessionTab) and not tab.over:
            self.tabs.setCurrentIndex(index)
            tab.say("End the session first (End session), then close its tab.")
            return
        self.tabs.removeTab(index)
        self.refresh()

    # Closing -----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.running()
        if not running or self._closing:
            event.accept()
            if self.on_closed is not None:
                self.on_closed()
            return
        event.ignore()
        box = QMessageBox(self)
        box.setWindowTitle("Close the console?")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"{len(running)} session(s) still running. Closing ends them for everyone in them."
        )
        box.setStandardButtons(QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(
            lambda button: (
                self._end_all()
                if box.standardButton(button) == QMessageBox.StandardButton.Close
                else None
            )
        )
        self.confirm = box
        box.open()  # not exec(): see peer.gui._question

    def _end_all(self) -> None:
        if self._closing:
            return
        self._closing = True
        if self.on_end_all is not None:
            self.on_end_all()
        else:
            self.close()
