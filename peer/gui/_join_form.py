"""The customer's first screen: the code the rep read out, a name, Join.

A join link fills it in (code and relay); the customer may still change
the name. The relay field only shows when nothing gave one, since a
customer on the phone is told a code, not an address. The form reads no
network: Join hands the typed values to the controller, which reports a
wrong code or an unreachable relay back here with :meth:`show_error`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from peer.gui._text import PlainLabel

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["JoinForm"]

WELCOME = "Type the session code your support person gave you, then Join."


class JoinForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Called with (code or link, name, relay) when the customer presses Join.
        self.on_join: Callable[[str, str, str], None] | None = None
        self.intro = PlainLabel(WELCOME)
        self.intro.setStyleSheet("font-size: 13pt;")
        self.code = QLineEdit()
        self.code.setPlaceholderText("like 4821-9376-309-3617")
        self.code.setAccessibleName("Session code")
        self.code.setStyleSheet("font-size: 18pt; letter-spacing: 2px;")
        self.name = QLineEdit()
        self.name.setAccessibleName("Your name")
        self.relay = QLineEdit()
        self.relay.setPlaceholderText("ws://HOST:PORT (your support person can tell you)")
        self.relay.setAccessibleName("Relay address")
        self.join_button = QPushButton("&Join")
        self.join_button.setDefault(True)
        self.join_button.clicked.connect(self.submit)
        for field in (self.code, self.name, self.relay):
            field.returnPressed.connect(self.submit)
        self.error = PlainLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        self._form = form = QFormLayout()
        form.addRow("Session &code:", self.code)
        form.addRow("Your &name:", self.name)
        form.addRow("&Relay:", self.relay)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.join_button)
        layout.addStretch(1)
        self.setTabOrder(self.code, self.name)
        self.setTabOrder(self.name, self.relay)
        self.setTabOrder(self.relay, self.join_button)

    def prefill(self, code: str, name: str, relay: str | None) -> None:
        self.code.setText(code)
        self.name.setText(name)
        self.relay.setText(relay or "")
        self._form.setRowVisible(self.relay, not relay and "://" not in code)
        (self.name if code else self.code).setFocus()

    def submit(self) -> None:
        if not self.join_button.isEnabled() or self.on_join is None:
            return
        self.error.hide()
        self.busy("Connecting…")
        self.on_join(self.code.text().strip(), self.name.text().strip(), self.relay.text().strip())

    def busy(self, text: str) -> None:
        self.join_button.setEnabled(False)
        self.join_button.setText(text)

    def show_error(self, text: str) -> None:
        """The join failed: say why and let the customer try again."""
        self.error.setText(text)
        self.error.show()
        self.join_button.setEnabled(True)
        self.join_button.setText("&Join")
