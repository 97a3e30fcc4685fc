"""The rep's activity bar: one button per activity, each with a shortcut and a reason when off.

A disabled button still shows its tooltip in Qt only when hovered, and not
at all on some styles, so the reason also goes into the button's status
tip and accessible description, and :meth:`reason` gives it to tests. The
Files button opens a menu of the file actions (F1 share, F2 access, send,
browse and fetch, end).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QMenu, QToolButton, QWidget

from peer.gui._activities import Action

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["SHORTCUTS", "ActivityBar", "FileAction"]

SHORTCUTS = {
    Action.VIEW_DESKTOP: "Ctrl+Shift+V",
    Action.CONTROL_DESKTOP: "Ctrl+Shift+C",
    Action.VIEW_APP: "Ctrl+Shift+A",
    Action.CONTROL_APP: "Ctrl+Shift+P",
    Action.SHOW_DESKTOP: "Ctrl+Shift+S",
    Action.STOP: "Ctrl+Shift+X",
    Action.FILES: "Ctrl+Shift+F",
    Action.SYSINFO: "Ctrl+Shift+I",
}

_HELP = {
    Action.VIEW_DESKTOP: "Ask the customer to let you see their desktop",
    Action.CONTROL_DESKTOP: "Ask the customer to let you control their desktop",
    Action.VIEW_APP: "Ask the customer to let you see one application (they pick it)",
    Action.CONTROL_APP: "Ask the customer to let you control one application",
    Action.SHOW_DESKTOP: "Ask the customer to look at your own desktop",
    Action.STOP: "Stop what is shared now",
    Action.FILES: "Share files, ask for file access, send or fetch files",
    Action.SYSINFO: "Ask the customer for their system information",
}


class FileAction:
    """The Files menu's entries (their labels)."""

    SHARE = "Share files for the customer to download…"
    ACCESS = "Ask for file access"
    SEND = "Send files to the customer…"
    BROWSE = "Browse and fetch the customer's files…"
    END = "End file transfer"


class ActivityBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Called with the action pressed (Files: with the menu entry's label).
        self.on_action: Callable[[Action], None] | None = None
        self.on_file_action: Callable[[str], None] | None = None
        self.buttons: dict[Action, QToolButton] = {}
        self._reasons: dict[Action, str | None] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for action in Action:
            button = QToolButton()
            button.setText(action.value)
            button.setShortcut(QKeySequence(SHORTCUTS[action]))
            button.setAutoRaise(False)
            if action is Action.FILES:
                menu = QMenu(button)
                for label in (
                    FileAction.SHARE, FileAction.ACCESS, FileAction.SEND, FileAction.BROWSE,
                    FileAction.END,
                ):  # fmt: skip
                    menu.addAction(label).triggered.connect(partial(self._file, label))
                button.setMenu(menu)
                button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            else:
                button.clicked.connect(lambda _=False, a=action: self._pressed(a))
            row.addWidget(button)
            self.buttons[action] = button
        row.addStretch(1)

    def set_reasons(self, reasons: Mapping[Action, str | None]) -> None:
        """Enable each button whose reason is None; the others say why not."""
        for action, reason in reasons.items():
            self._reasons[action] = reason
            button = self.buttons[action]
            button.setEnabled(reason is None)
            shortcut = SHORTCUTS[action]
            tip = f"{_HELP[action]} ({shortcut})" if reason is None else f"Not now: {reason}."
            button.setToolTip(tip)
            button.setStatusTip(tip)
            button.setAccessibleDescription(tip)

    def reason(self, action: Action) -> str | None:
        return self._reasons.get(action)

    def _pressed(self, action: Action) -> None:
        if self._reasons.get(action) is None and self.on_action is not None:
            self.on_action(action)

    def _file(self, label: str, _checked: bool = False) -> None:
        if self._reasons.get(Action.FILES) is None and self.on_file_action is not None:
            self.on_file_action(label)
