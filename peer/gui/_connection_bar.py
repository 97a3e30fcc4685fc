"""The line that says the connection to the relay dropped, that we are coming back, or that we
could not (SPEC X3).

Hidden while all is well. A drop shows an amber line at once (what is sent
meanwhile waits and goes once we are back); coming back turns it green for a
few seconds; giving up leaves it red with the reason. Another member's drop
(the rep's, a customer's) is said the same way, by name. The controller
calls these from the session's events; the bar only shows them.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QWidget

from peer.gui._text import PlainLabel, shown

__all__ = ["ConnectionBar"]

_STYLES = {
    "down": "QFrame#connectionBar { background: #fff1c2; border: 2px solid #d49a00; }",
    "back": "QFrame#connectionBar { background: #e8f0e8; border: 1px solid #9bbf9b; }",
    "lost": "QFrame#connectionBar { background: #fbe3e1; border: 2px solid #b3261e; }",
}
#: How long "Reconnected" stays before the bar hides again, in milliseconds.
BACK_SHOWN_MS = 6000


class ConnectionBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionBar")
        self.setAccessibleName("Connection")
        self.label = PlainLabel()
        self.label.setStyleSheet("font-weight: bold;")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.label, 1)
        self._hide_later = QTimer(self)
        self._hide_later.setSingleShot(True)
        self._hide_later.timeout.connect(self.hide)
        #: "", "down", "back" or "lost": what the bar says now (for tests and screenshots).
        self.state = ""
        self.hide()

    def reconnecting(self, reason: str) -> None:
        self._say(
            "down",
            f"Reconnecting… {reason.rstrip('.')}. What you send meanwhile is delivered once "
            "the connection is back.",
        )

    def reconnected(self) -> None:
        self._say("back", "Reconnected: the session goes on where it was.")
        self._hide_later.start(BACK_SHOWN_MS)

    def lost(self, reason: str) -> None:
        """The session broke: after a drop we could not come back from, or otherwise."""
        start = "Could not reconnect" if self.state == "down" else "Disconnected"
        self._say("lost", f"{start}: {reason}")

    def member_away(self, name: str, seconds: float) -> None:
        self._say(
            "down",
            f"{name}'s connection dropped; waiting up to {seconds:g} s for them to come back.",
        )

    def member_back(self, name: str) -> None:
        self._say("back", f"{name} is back.")
        self._hide_later.start(BACK_SHOWN_MS)

    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()

    def _say(self, state: str, text: str) -> None:
        self._hide_later.stop()
        self.state = state
        self.label.setText(shown(text))
        self.setStyleSheet(_STYLES[state])
        self.show()
