"""The customer's always-visible bar: what is shared now, who controls, a Stop for each (R2).

The window keeps it at the top whatever else is open, so the customer can
always see what a rep may see or touch and take it back in one click. The
controller fills it from the consent state after every change; the bar
only shows lines and reports which Stop was pressed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from peer.gui._text import PlainLabel, shown

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["ShareBar"]

IDLE = "Nothing is shared: no one sees or controls your computer."
_IDLE_STYLE = "QFrame#shareBar { background: #e8f0e8; border: 1px solid #9bbf9b; }"
_ACTIVE_STYLE = "QFrame#shareBar { background: #fff1c2; border: 2px solid #d49a00; }"


class ShareBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shareBar")
        #: Called with the key of the activity whose Stop was pressed.
        self.on_stop: Callable[[str], None] | None = None
        self._rows: dict[str, tuple[PlainLabel, QPushButton]] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 4)
        self.idle = PlainLabel(IDLE)
        self._layout.addWidget(self.idle)
        self.setStyleSheet(_IDLE_STYLE)
        self.setAccessibleName("What is shared")

    def set_items(self, items: Sequence[tuple[str, str, str]]) -> None:
        """*items*: (key, what is shared in words, the Stop button's label)."""
        wanted = {key for key, _, _ in items}
        for key in [k for k in self._rows if k not in wanted]:
            label, _ = self._rows.pop(key)
            row = label.parentWidget()
            if row is not None:
                row.hide()
                row.deleteLater()
        for key, text, stop in items:
            if key not in self._rows:
                self._rows[key] = self._add_row(key)
            label, button = self._rows[key]
            label.setText(shown(text))
            button.setText(stop)
        self.idle.setVisible(not items)
        self.setStyleSheet(_ACTIVE_STYLE if items else _IDLE_STYLE)

    def texts(self) -> list[str]:
        return [label.text() for label, _ in self._rows.values()]

    def stop_button(self, key: str) -> QPushButton:
        return self._rows[key][1]

    def _add_row(self, key: str) -> tuple[PlainLabel, QPushButton]:
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        label = PlainLabel()
        label.setStyleSheet("font-weight: bold;")
        button = QPushButton()
        button.clicked.connect(lambda: self.on_stop(key) if self.on_stop else None)
        line.addWidget(label, 1)
        line.addWidget(button)
        self._layout.addWidget(row)
        return label, button
