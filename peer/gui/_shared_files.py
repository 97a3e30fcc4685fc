"""The customer's list of what the rep shares (F1): pick files, Download.

Each row is one shared item as the rep's program listed it (a file, or a
folder with its count); names are the rep's to choose, so they are list
items (plain text) passed through :func:`shown`. Nothing downloads until
the customer asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from peer._file_settings import human_size
from peer.gui._text import PlainLabel, shown

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from codec import SharedItem

__all__ = ["SharedFilesPanel"]

NONE_YET = "Nothing is shared with you yet."


class SharedFilesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Called with the numbers of the items to download.
        self.on_download: Callable[[list[int]], None] | None = None
        self.heading = PlainLabel(NONE_YET)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Shared file", "Size", "Files"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.setAccessibleName("Files the rep shares")
        self.tree.itemDoubleClicked.connect(lambda *_: self.download())
        self.tree.itemSelectionChanged.connect(self._enable)
        self.download_button = QPushButton("&Download")
        self.download_button.setShortcut(QKeySequence("Ctrl+D"))
        self.download_button.setToolTip("Download the chosen files (Ctrl+D)")
        self.download_button.clicked.connect(self.download)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.download_button)
        self._enable()

    def set_items(self, rep: str, items: Sequence[SharedItem]) -> None:
        self.tree.clear()
        for item in items:
            row = QTreeWidgetItem([shown(item.name, 255), human_size(item.size), str(item.count)])
            row.setData(0, Qt.ItemDataRole.UserRole, item.number)
            self.tree.addTopLevelItem(row)
        for column in range(3):
            self.tree.resizeColumnToContents(column)
        if items:
            self.heading.setText(f"{shown(rep, 80)} shares these with you; pick and Download:")
            self.tree.topLevelItem(0).setSelected(True)  # type: ignore[union-attr]
        else:
            self.heading.setText(NONE_YET)
        self._enable()

    def names(self) -> list[str]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]

    def download(self) -> None:
        numbers = [int(i.data(0, Qt.ItemDataRole.UserRole)) for i in self.tree.selectedItems()]
        if numbers and self.on_download is not None:
            self.on_download(numbers)

    def _enable(self) -> None:
        self.download_button.setEnabled(bool(self.tree.selectedItems()))
