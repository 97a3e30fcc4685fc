"""Who is in the session: name, role, the primary customer marked; a context menu per person.

The menu offers what the controlling rep can do to that person: make a
secondary customer primary (M1), hand control to an assistant (M5), remove
someone. The controller says which of those this session offers
(:attr:`RosterPanel.offers`); an entry it does not offer is not shown.
Names are list items (plain text) passed through :func:`shown`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from codec import Role
from peer.gui._text import shown

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["Person", "RosterChoice", "RosterPanel"]


class RosterChoice(Enum):
    """What the menu offers to do to a person."""

    PRIMARY = "primary"
    TRANSFER = "transfer"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    role: Role
    primary: bool = False
    me: bool = False


class RosterPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Called with (what, name).
        self.on_choice: Callable[[RosterChoice, str], None] | None = None
        #: Which menu entries this session offers now (the controlling rep's).
        self.offers: set[RosterChoice] = set()
        self.people: list[Person] = []
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["In this session", "Role"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("People in the session")
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu_at)
        self.tree.setToolTip("Right-click someone, or press Shift+F10, for what you can do")
        for keys in ("Shift+F10", "Menu"):  # platforms differ in sending these as a menu event
            QShortcut(
                QKeySequence(keys),
                self.tree,
                self._menu_for_current,
                context=Qt.ShortcutContext.WidgetShortcut,
            )
        #: The context menu shown last (for tests).
        self.menu: QMenu | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)

    def set_people(self, people: Sequence[Person]) -> None:
        self.people = list(people)
        self.tree.clear()
        for person in people:
            marks = [person.role.value]
            marks += ["primary"] if person.primary else []
            marks += ["you"] if person.me else []
            name = ("★ " if person.primary else "") + shown(person.name, 80)
            item = QTreeWidgetItem([name, ", ".join(marks)])
            item.setData(0, Qt.ItemDataRole.UserRole, person.name)
            self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(0)

    def rows(self) -> list[tuple[str, str]]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [(i.text(0), i.text(1)) for i in items if i is not None]

    def menu_for(self, name: str) -> QMenu:
        """The context menu of the person called *name* (empty when nothing applies)."""
        menu = QMenu(self)
        person = next((p for p in self.people if p.name == name), None)
        if person is None or person.me:
            return menu
        shown_name = shown(name, 80)
        entries = []
        if person.role is Role.CUSTOMER and not person.primary:
            entries.append((RosterChoice.PRIMARY, f"Make {shown_name} the primary customer"))
        if person.role is Role.ASSISTANT:
            entries.append((RosterChoice.TRANSFER, f"Transfer control to {shown_name}"))
        entries.append((RosterChoice.REMOVE, f"Remove {shown_name} from the session"))
        entries = [(what, label) for what, label in entries if what in self.offers]
        for what, label in entries:
            action = menu.addAction(label)
            action.triggered.connect(partial(self._chose, what, name))
        return menu

    def _chose(self, what: RosterChoice, name: str, _checked: bool = False) -> None:
        if self.on_choice is not None:
            self.on_choice(what, name)

    def _menu_at(self, point: QPoint) -> None:
        item = self.tree.itemAt(point)
        if item is not None:
            self._popup(item, point)

    def _menu_for_current(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self._popup(item, self.tree.visualItemRect(item).center())

    def _popup(self, item: QTreeWidgetItem, point: QPoint) -> None:
        menu = self.menu_for(str(item.data(0, Qt.ItemDataRole.UserRole)))
        if not menu.isEmpty():
            self.menu = menu
            menu.popup(self.tree.viewport().mapToGlobal(point))
