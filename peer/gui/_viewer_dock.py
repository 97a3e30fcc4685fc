"""Where the customer's screen appears in a session's tab: docked, or detached in a window.

The viewer itself is :class:`peer._viewer.ViewerWindow` (the screen-sharing
issue's window, with its fit/1:1 and full-screen tools); the dock holds
it inside the tab, and Detach gives it a window of its own (closing that
window docks it again rather than stopping the view: Stop does that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from peer._viewer import RELEASE_KEYS, ViewerWindow
from peer.gui._text import PlainLabel, shown

if TYPE_CHECKING:
    from collections.abc import Callable

    from peer._share_rep import InputMessage

__all__ = ["ViewerDock"]

EMPTY = "No screen is shared. View desktop asks the customer to show theirs."


class ViewerDock(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Called when the rep takes the keyboard back from the remote screen.
        self.on_release: Callable[[], None] | None = None
        self.viewer: ViewerWindow | None = None
        self.placeholder = PlainLabel(EMPTY)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #555; font-size: 12pt;")
        self.hint = PlainLabel()
        self.hint.setStyleSheet("color: #555;")
        self.detach_button = QPushButton("&Detach viewer")
        self.detach_button.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.detach_button.setToolTip("Show the customer's screen in a window of its own")
        self.detach_button.clicked.connect(self.toggle_detached)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        top = QHBoxLayout()
        top.addWidget(self.hint, 1)
        top.addWidget(self.detach_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        self._show_tools(False)

    @property
    def detached(self) -> bool:
        return self.viewer is not None and self.viewer.isWindow()

    def open_view(
        self, banner: str, *, control: bool, post: Callable[[InputMessage], None]
    ) -> ViewerWindow:
        """A view started (or changed, e.g. view to control): show it here."""
        if self.viewer is not None:
            self.viewer.set_banner(shown(banner), control=control)
        else:
            self.viewer = ViewerWindow(shown(banner), control=control, post=post)
            self.viewer.setWindowFlags(Qt.WindowType.Widget)
            self.viewer.screen_widget.on_release = self._released
            self.viewer.installEventFilter(self)
            self.stack.addWidget(self.viewer)
            self.stack.setCurrentWidget(self.viewer)
        who = shown(banner.partition("'s ")[0], 80)
        self.hint.setText(
            f"Click the screen to type on {who}'s computer; {RELEASE_KEYS} gives the keyboard back."
            if control
            else "View only: your mouse and keyboard stay yours."
        )
        self._show_tools(True)
        return self.viewer

    def close_view(self) -> None:
        viewer, self.viewer = self.viewer, None
        if viewer is not None:
            viewer.removeEventFilter(self)
            if viewer.isWindow():
                viewer.hide()
            self.stack.removeWidget(viewer)
            viewer.deleteLater()
        self.stack.setCurrentWidget(self.placeholder)
        self._show_tools(False)

    def toggle_detached(self) -> None:
        viewer = self.viewer
        if viewer is None:
            return
        if viewer.isWindow():
            self._dock(viewer)
        else:
            self.stack.removeWidget(viewer)
            viewer.setParent(None)
            viewer.setWindowFlags(Qt.WindowType.Window)
            viewer.resize(1024, 700)
            viewer.show()
            self.detach_button.setText("&Dock viewer")
            self.stack.setCurrentWidget(self.placeholder)
            self.placeholder.setText("The customer's screen is in its own window.")

    def _dock(self, viewer: ViewerWindow) -> None:
        viewer.setWindowFlags(Qt.WindowType.Widget)
        self.stack.addWidget(viewer)
        self.stack.setCurrentWidget(viewer)
        viewer.show()
        self.detach_button.setText("&Detach viewer")
        self.placeholder.setText(EMPTY)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Closing the detached window docks the viewer again; only Stop ends the view.
        if watched is self.viewer and event.type() == QEvent.Type.Close and self.detached:
            event.ignore()
            self._dock(self.viewer)
            return True
        return False

    def _released(self) -> None:
        if self.on_release is not None:
            self.on_release()

    def _show_tools(self, on: bool) -> None:
        self.hint.setVisible(on)
        self.detach_button.setVisible(on)
