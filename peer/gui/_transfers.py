"""Transfers, one row each: the file, who with, a progress bar, rate, time left, Cancel.

Rows are keyed by the engine's transfer number and updated in place from
its :class:`peer._file_events.TransferView` snapshots; a finished row
keeps its outcome (verified, refused, cancelled, with the reason).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from peer._file_settings import human_size
from peer.gui._text import shown

if TYPE_CHECKING:
    from collections.abc import Callable

    from peer._file_events import TransferView

__all__ = ["TransfersPanel", "time_left"]

_COLUMNS = ["File", "With", "Progress", "Rate", "Time left", "State", ""]
#: Columns a compact panel leaves out (their words go into State and a tooltip).
_WIDE_ONLY = (1, 3, 4)


def time_left(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = max(0, round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


class TransfersPanel(QWidget):
    def __init__(self, parent: QWidget | None = None, *, compact: bool = False) -> None:
        """*compact*: for a narrow pane (the customer's window), so State stays in view.

        With, Rate and Time left are not columns there: the rate and the time
        left are said in State while a file moves, and the other side in the
        File cell's tooltip.
        """
        super().__init__(parent)
        self._compact = compact
        #: Called with the number of the transfer to cancel.
        self.on_cancel: Callable[[int], None] | None = None
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if compact:
            for column in _WIDE_ONLY:
                self.table.setColumnHidden(column, True)
            # File and State share what is left and wrap, rather than scroll out of view.
            header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
            self.table.setWordWrap(True)
            self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setAccessibleName("Transfers")
        self._rows: dict[int, int] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)

    def update_view(self, view: TransferView) -> None:
        row = self._rows.get(view.number)
        if row is None:
            row = self._rows[view.number] = self.table.rowCount()
            self.table.insertRow(row)
            bar = QProgressBar()
            bar.setRange(0, 100)
            self.table.setCellWidget(row, 2, bar)
            cancel = QPushButton("Cancel")
            cancel.setToolTip("Stop this transfer; a partly received file is removed")
            cancel.clicked.connect(lambda: self.on_cancel(view.number) if self.on_cancel else None)
            self.table.setCellWidget(row, 6, cancel)
        arrow = "to " if view.sending else "from "
        with_whom = arrow + shown(view.peer, 80)
        self._set(row, 0, f"{shown(view.name, 255)} ({human_size(view.size)})").setToolTip(
            with_whom
        )
        self._set(row, 1, with_whom)
        self.progress_bar(view.number).setValue(math.floor(view.percent))
        active = view.state not in ("complete", "refused", "cancelled")
        self._set(row, 3, f"{human_size(int(view.rate))}/s" if active and view.rate else "")
        self._set(row, 4, time_left(view.left) if active else "")
        state = {"complete": "complete, verified"}.get(view.state, view.state)
        if view.reason:
            state += f": {shown(view.reason, 200)}"
        if self._compact and active and view.rate:
            state += f", {human_size(int(view.rate))}/s"
            state += f", {time_left(view.left)} left" if view.left is not None else ""
        self._set(row, 5, state)
        button = self.table.cellWidget(row, 6)
        button.setEnabled(active)
        if self._compact:
            self.table.resizeRowToContents(row)

    def progress_bar(self, number: int) -> QProgressBar:
        bar = self.table.cellWidget(self._rows[number], 2)
        assert isinstance(bar, QProgressBar)
        return bar

    def state(self, number: int) -> str:
        item = self.table.item(self._rows[number], 5)
        return item.text() if item is not None else ""

    def numbers(self) -> list[int]:
        return list(self._rows)

    def _set(self, row: int, column: int, text: str) -> QTableWidgetItem:
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem(text)
            self.table.setItem(row, column, item)
        else:
            item.setText(text)
        return item
