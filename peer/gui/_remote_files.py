"""The customer's granted folder as the rep browses it (F2): list, open folders, fetch.

The rep types a path inside the folder the customer granted, or picks an
entry; Fetch asks the customer for it, and the customer's window asks them
to allow that one transfer. Listing needs the customer's file access (Ask
for file access, in the Files menu); a refusal shows in the status line.
Names come from the customer's disk, so they are list items (plain text)
passed through :func:`shown`. The controller sends the requests and feeds
the answers back (:meth:`set_listing`); this dialog only shows them.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from peer._file_settings import human_size
from peer.gui._text import PlainLabel, shown

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from codec import FileEntry

__all__ = ["RemoteFilesDialog"]


class RemoteFilesDialog(QDialog):
    def __init__(self, customer: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Files on {shown(customer, 80)}'s computer")
        #: Called with a folder's path to list ("" is the granted folder itself).
        self.on_list: Callable[[str], None] | None = None
        #: Called with the path of a file or folder to fetch.
        self.on_fetch: Callable[[str], None] | None = None
        #: The folder the list shows now.
        self.folder = ""
        self.path = QLineEdit()
        self.path.setPlaceholderText("a file or folder in the shared folder, e.g. logs/today.txt")
        self.path.setAccessibleName("Path in the customer's shared folder")
        self.path.returnPressed.connect(self._typed)
        self.up_button = QPushButton("&Up")
        self.up_button.setToolTip("The folder above (Alt+Up)")
        self.up_button.setShortcut(QKeySequence("Alt+Up"))
        self.up_button.clicked.connect(self._up)
        self.list_button = QPushButton("&List")
        self.list_button.setToolTip("List the folder typed above")
        self.list_button.clicked.connect(lambda: self.list_folder(self.typed()))
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Name", "Size"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("The customer's files")
        self.tree.itemDoubleClicked.connect(self._opened)
        self.tree.currentItemChanged.connect(self._picked)
        self.status = PlainLabel()
        self.fetch_button = QPushButton("&Fetch")
        self.fetch_button.setShortcut(QKeySequence("Ctrl+Shift+G"))
        self.fetch_button.setToolTip(
            "Ask the customer for this file or folder (Ctrl+Shift+G); they allow each one"
        )
        self.fetch_button.clicked.connect(self._fetch)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        top = QHBoxLayout()
        top.addWidget(self.path, 1)
        top.addWidget(self.list_button)
        top.addWidget(self.up_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.fetch_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bottom)
        self.setTabOrder(self.path, self.list_button)
        self.setTabOrder(self.list_button, self.up_button)
        self.setTabOrder(self.up_button, self.tree)
        self.setTabOrder(self.tree, self.fetch_button)
        self.setTabOrder(self.fetch_button, self.close_button)
        self.resize(560, 420)

    def set_listing(self, path: str, entries: Sequence[FileEntry], error: str) -> None:
        """What the customer's side answered for *path*: its entries, or why not."""
        self.tree.clear()
        if error:
            self.status.setText(f"Cannot list {shown(path or 'the shared folder')}: {shown(error)}")
            return
        self.folder = path
        self.path.setText(path)
        for entry in sorted(entries, key=lambda e: (not e.is_dir, e.name.casefold())):
            name = shown(entry.name, 255) + ("/" if entry.is_dir else "")
            row = QTreeWidgetItem([name, "" if entry.is_dir else human_size(entry.size)])
            row.setData(0, Qt.ItemDataRole.UserRole, (entry.name, entry.is_dir))
            self.tree.addTopLevelItem(row)
        self.tree.resizeColumnToContents(0)
        where = shown(path) if path else "The shared folder"
        count = f"{len(entries)} item" + ("" if len(entries) == 1 else "s")
        self.status.setText(f"{where}: {count}" if entries else f"{where} is empty")

    def typed(self) -> str:
        """The path in the line, without the slashes around it."""
        return self.path.text().strip().strip("/")

    def names(self) -> list[str]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]

    def item(self, name: str) -> QTreeWidgetItem:
        """The row shown as *name* (a folder ends with /)."""
        found = self.tree.findItems(name, Qt.MatchFlag.MatchExactly, 0)
        if not found:
            raise LookupError(f"no {name!r} in the list: {self.names()}")
        return found[0]

    def list_folder(self, path: str) -> None:
        """Ask for the entries of *path* ('': the granted folder itself)."""
        self.status.setText(f"Asking for {shown(path) if path else 'the shared folder'}…")
        if self.on_list is not None:
            self.on_list(path)

    def _typed(self) -> None:
        """Enter in the path: a folder is opened, anything else fetched (the customer says)."""
        text = self.typed()
        folders = {self._joined(name) for name, is_dir in self._rows() if is_dir}
        if text == self.folder or text in folders:
            self.list_folder(text)
        else:
            self._fetch()

    def _rows(self) -> list[tuple[str, bool]]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in items if item is not None]

    def _up(self) -> None:
        if self.folder:
            self.list_folder(posixpath.dirname(self.folder))

    def _joined(self, name: str) -> str:
        return posixpath.join(self.folder, name) if self.folder else name

    def _opened(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        name, is_dir = item.data(0, Qt.ItemDataRole.UserRole)
        if is_dir:
            self.list_folder(self._joined(name))
        else:
            self._fetch()

    def _picked(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        if item is not None:
            self.path.setText(self._joined(item.data(0, Qt.ItemDataRole.UserRole)[0]))

    def _fetch(self) -> None:
        path = self.typed()
        if not path or path == self.folder:
            self.status.setText("Pick or type a file or folder to fetch first.")
            return
        self.status.setText(f"Asked for {shown(path)}; the customer is asked to allow it…")
        if self.on_fetch is not None:
            self.on_fetch(path)
