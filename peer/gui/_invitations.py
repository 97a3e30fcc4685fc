"""Invitations (S4) from the console: by e-mail or by a link, and the ones still open.

The CLI's ``/invite email``, ``/invite link``, ``/invite list`` and
``/invite cancel N`` in one dialog. Each invitation has a code of its own
that admits one person until it expires; the list shows the codes that
still admit someone, and Withdraw makes the chosen one admit nobody. The
dialog only shows and asks: the controller issues and withdraws codes,
then calls :meth:`set_invitations` with what is open now (also when an
invitation is used, expires or is retired elsewhere).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from peer.gui._text import PlainLabel, shown

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from peer._desk import OpenInvitation

__all__ = ["InvitationsDialog"]

#: How often the "open for" column is brought up to date while the dialog shows (ms).
REFRESH_MS = 30_000
NONE_OPEN = "No invitation is open."


class InvitationsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Helpline — invitations")
        #: Called with an e-mail address to send an invitation to.
        self.on_email: Callable[[str], None] | None = None
        #: Called to issue an invitation link (the controller copies it).
        self.on_link: Callable[[], None] | None = None
        #: Called with the code of the invitation to withdraw.
        self.on_withdraw: Callable[[str], None] | None = None
        #: Called to fetch what is open now (on show and every REFRESH_MS).
        self.on_refresh: Callable[[], None] | None = None
        intro = PlainLabel(
            "Each invitation has a code of its own that admits one person; "
            "the code you read out stays as it is."
        )
        self.address = QLineEdit()
        self.address.setPlaceholderText("name@example.org")
        self.address.setAccessibleName("E-mail address to invite")
        self.address.returnPressed.connect(self._email)
        self.email_button = QPushButton("Send by &e-mail")
        self.email_button.clicked.connect(self._email)
        self.link_button = QPushButton("Copy a new &link")
        self.link_button.setToolTip("A join link with a code of its own, to paste into a message")
        self.link_button.clicked.connect(lambda: self.on_link() if self.on_link else None)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Code", "Admits", "Open for"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("Open invitations")
        self.tree.currentItemChanged.connect(lambda *_: self._enable())
        self.withdraw_button = QPushButton("&Withdraw")
        self.withdraw_button.setToolTip("The chosen invitation's code admits nobody from now on")
        self.withdraw_button.clicked.connect(self._withdraw)
        self.status = PlainLabel()
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        email = QHBoxLayout()
        email.addWidget(self.address, 1)
        email.addWidget(self.email_button)
        form = QFormLayout()
        form.addRow("E-mail:", email)
        form.addRow("Link:", self.link_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.withdraw_button)
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(PlainLabel("Open invitations:"))
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status)
        layout.addLayout(bottom)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        self.set_invitations([])
        self.resize(560, 360)

    def set_invitations(self, invitations: Sequence[OpenInvitation]) -> None:
        """Show what is open now; the chosen row stays chosen while its code is open."""
        chosen = self.chosen()
        self.tree.clear()
        for invitation in invitations:
            item = QTreeWidgetItem([str(invitation.code), invitation.whom, invitation.left])
            self.tree.addTopLevelItem(item)
            if str(invitation.code) == chosen:
                self.tree.setCurrentItem(item)
        for column in range(2):
            self.tree.resizeColumnToContents(column)
        if not invitations:
            empty = QTreeWidgetItem([NONE_OPEN])
            empty.setDisabled(True)
            self.tree.addTopLevelItem(empty)
        self._enable()

    def rows(self) -> list[list[str]]:
        """What the list shows, row by row (code, whom it admits, how long it stays open)."""
        items = [self.tree.topLevelItem(n) for n in range(self.tree.topLevelItemCount())]
        return [[item.text(c) for c in range(3)] for item in items if item is not None]

    def choose(self, code: str) -> None:
        """Make the row of *code* the chosen one, as a click on it does."""
        for n in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(n)
            if item is not None and item.text(0) == code:
                self.tree.setCurrentItem(item)

    def chosen(self) -> str | None:
        item = self.tree.currentItem()
        return item.text(0) if item is not None and not item.isDisabled() else None

    def say(self, text: str) -> None:
        self.status.setText(shown(text))

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self._refresh()
        self._timer.start()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()
        super().hideEvent(event)  # type: ignore[arg-type]

    def _refresh(self) -> None:
        if self.on_refresh is not None:
            self.on_refresh()

    def _enable(self) -> None:
        self.withdraw_button.setEnabled(self.chosen() is not None)

    def _email(self) -> None:
        address = self.address.text().strip()
        if address and self.on_email is not None:
            self.on_email(address)
            self.address.clear()

    def _withdraw(self) -> None:
        code = self.chosen()
        if code is not None and self.on_withdraw is not None:
            self.on_withdraw(code)
