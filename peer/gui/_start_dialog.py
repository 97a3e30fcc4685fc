"""Starting a session (S1, S2): type, tracking code, name, relay, prefilled; one click starts.

The choices come from the site policy (its session types, whether a
tracking code is required) and the defaults from the config file, so a rep
whose config holds them only presses Start. The policy's own check
(:meth:`codec.Policy.start`) decides; its refusal is shown under the form,
as is a relay address that cannot be a relay's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from codec import PolicyRefusalError
from peer._connection import check_relay
from peer._errors import RelayUnreachableError
from peer.gui._text import PlainLabel

if TYPE_CHECKING:
    from collections.abc import Callable

    from codec import Policy

__all__ = ["StartChoice", "StartDialog"]


@dataclass(frozen=True, slots=True)
class StartChoice:
    session_type: str
    tracking: str | None
    name: str
    #: The relay to use; None starts one on this machine.
    relay: str | None
    #: A code (or link) another rep gave, to join their session as an assistant (M4).
    assist: str | None = None


class StartDialog(QDialog):
    def __init__(
        self,
        policy: Policy,
        on_start: Callable[[StartChoice], None],
        *,
        session_type: str | None = None,
        tracking: str | None = None,
        name: str = "",
        relay: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Helpline — start a support session")
        self.policy = policy
        self._on_start = on_start
        self.session_type = QComboBox()
        self.session_type.addItems(list(policy.session_types))
        folded = [t.casefold() for t in policy.session_types]
        if session_type is not None and session_type.casefold() in folded:
            self.session_type.setCurrentIndex(folded.index(session_type.casefold()))
        self.tracking = QLineEdit(tracking or "")
        required = policy.require_tracking_code
        self.tracking.setPlaceholderText("required by this site" if required else "optional")
        self.name = QLineEdit(name)
        self.relay = QLineEdit(relay or "")
        self.relay.setPlaceholderText("empty: start a relay on this machine")
        self.assist = QLineEdit()
        self.assist.setPlaceholderText("optional: a code another rep gave you, to assist them")
        self.error = PlainLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        self.start_button = QPushButton("&Start session")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.submit)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow("Session &type:", self.session_type)
        form.addRow("T&racking code:" + (" *" if required else ""), self.tracking)
        form.addRow("Your &name:", self.name)
        form.addRow("Re&lay:", self.relay)
        form.addRow("Or a&ssist with:", self.assist)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.setTabOrder(self.session_type, self.tracking)
        self.setTabOrder(self.tracking, self.name)
        self.setTabOrder(self.name, self.relay)
        self.setTabOrder(self.relay, self.assist)
        self.setTabOrder(self.assist, self.start_button)
        self.resize(460, 0)

    def submit(self) -> None:
        tracking = self.tracking.text().strip() or None
        try:
            kind, tracking = self.policy.start(self.session_type.currentText(), tracking)
        except PolicyRefusalError as e:
            self.show_error(str(e).replace("start with --tracking CODE ", "type one "))
            self.tracking.setFocus()
            return
        if not self.name.text().strip():
            self.show_error("type your name as customers will see it")
            self.name.setFocus()
            return
        relay = self.relay.text().strip() or None
        try:
            if relay is not None:
                check_relay(relay)  # said here, not after the dialog has closed
        except RelayUnreachableError as e:
            self.show_error(str(e))
            self.relay.setFocus()
            return
        self.error.hide()
        assist = self.assist.text().strip() or None
        self._on_start(StartChoice(kind, tracking, self.name.text().strip(), relay, assist))
        self.accept()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
